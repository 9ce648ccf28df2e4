//! The app's clock. Production reads the system time; tests move it forward to reach expiry,
//! lockout and presence deadlines without sleeping.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use chrono::{NaiveDateTime, Utc};

#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset_ms: Arc<AtomicI64>,
}

impl Clock {
    /// Now, in UTC, truncated to milliseconds so values survive both backends unchanged.
    pub fn now(&self) -> NaiveDateTime {
        let now =
            Utc::now() + chrono::Duration::milliseconds(self.offset_ms.load(Ordering::Relaxed));
        let millis = now.timestamp_millis();
        chrono::DateTime::from_timestamp_millis(millis)
            .unwrap_or(now)
            .naive_utc()
    }

    /// Moves this clock (and every copy of it) forward.
    pub fn advance(&self, by: chrono::Duration) {
        self.offset_ms
            .fetch_add(by.num_milliseconds(), Ordering::Relaxed);
    }
}
