//! A fixed-window counter per key (client IP for sign-in). In memory: each instance limits on
//! its own, which is what slowing a password spray needs.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::NaiveDateTime;

pub struct RateLimiter {
    per_minute: u32,
    windows: Mutex<HashMap<String, (i64, u32)>>,
}

impl RateLimiter {
    pub fn new(per_minute: u32) -> Self {
        Self {
            per_minute,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one attempt for `key`; false when the key is over its limit for this minute.
    pub fn allow(&self, key: &str, now: NaiveDateTime) -> bool {
        let minute = now.and_utc().timestamp() / 60;
        let mut windows = self
            .windows
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if windows.len() > 100_000 {
            windows.retain(|_, (window, _)| *window == minute);
        }
        let entry = windows.entry(key.to_owned()).or_insert((minute, 0));
        if entry.0 != minute {
            *entry = (minute, 0);
        }
        entry.1 += 1;
        entry.1 <= self.per_minute
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_applies_per_key_per_minute() {
        let limiter = RateLimiter::new(2);
        let t = chrono::DateTime::from_timestamp(600, 0)
            .unwrap()
            .naive_utc();
        assert!(limiter.allow("a", t) && limiter.allow("a", t));
        assert!(!limiter.allow("a", t));
        assert!(limiter.allow("b", t));
        assert!(limiter.allow("a", t + chrono::Duration::seconds(60)));
    }
}
