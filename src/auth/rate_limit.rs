//! A fixed-window counter per key (client IP for sign-in, IP and email for sign-up). In memory:
//! each instance limits on its own, which is what slowing a spray needs.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::NaiveDateTime;

pub struct RateLimiter {
    per_window: u32,
    window_seconds: i64,
    windows: Mutex<HashMap<String, (i64, u32)>>,
}

impl RateLimiter {
    /// `per_minute` attempts per key per minute.
    pub fn new(per_minute: u32) -> Self {
        Self::per_window(per_minute, 60)
    }

    pub fn per_window(per_window: u32, window_seconds: i64) -> Self {
        Self {
            per_window,
            window_seconds: window_seconds.max(1),
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Whether `key` is over its limit in this window already (counts nothing).
    pub fn exceeded(&self, key: &str, now: NaiveDateTime) -> bool {
        let minute = now.and_utc().timestamp() / self.window_seconds;
        let windows = self
            .windows
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        windows
            .get(key)
            .is_some_and(|(window, count)| *window == minute && *count >= self.per_window)
    }

    /// Counts one attempt for `key`; false when the key is over its limit for this window.
    pub fn allow(&self, key: &str, now: NaiveDateTime) -> bool {
        let minute = now.and_utc().timestamp() / self.window_seconds;
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
        entry.1 <= self.per_window
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exceeded_tells_without_counting() {
        let limiter = RateLimiter::new(1);
        let t = chrono::DateTime::from_timestamp(600, 0)
            .unwrap()
            .naive_utc();
        assert!(!limiter.exceeded("a", t));
        assert!(limiter.allow("a", t));
        assert!(limiter.exceeded("a", t));
        assert!(!limiter.exceeded("a", t + chrono::Duration::minutes(1)));
    }

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
