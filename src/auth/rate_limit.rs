//! A fixed-window counter per key (client IP for sign-in, IP and email for sign-up, token for
//! the API). In memory (`RateLimiter`: one instance's count), or, on PostgreSQL, in the
//! database (`Shared`): every instance counts the same attempts, so N instances do not allow N
//! times the limit.

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

/// A limit every instance shares on PostgreSQL (one statement per attempt), kept in memory on
/// SQLite (one instance).
pub struct Shared {
    name: &'static str,
    local: RateLimiter,
}

#[derive(diesel::QueryableByName)]
struct Hits {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    hits: i32,
}

impl Shared {
    pub fn new(name: &'static str, per_window: u32, window_seconds: i64) -> Self {
        Shared {
            name,
            local: RateLimiter::per_window(per_window, window_seconds),
        }
    }

    /// Counts one attempt for `key`; false when the key is over its limit for this window.
    pub async fn allow(
        &self,
        state: &crate::web::AppState,
        key: &str,
        now: NaiveDateTime,
    ) -> Result<bool, crate::web::AppError> {
        if state.config.database_url.backend != crate::db::Backend::Postgres {
            return Ok(self.local.allow(key, now));
        }
        let (bucket, window) = self.bucket(key, now);
        let (pool, health) = (state.pool.clone(), state.health.clone());
        let hits = actix_web::web::block(move || -> Result<i32, crate::web::AppError> {
            let mut conn = pool.get().map_err(|_| {
                health.note_unreachable();
                crate::web::AppError::Unavailable
            })?;
            Ok(hit(&mut conn, &bucket, window)?)
        })
        .await
        .map_err(|e| crate::web::AppError::Unexpected(e.into()))??;
        Ok(u32::try_from(hits).unwrap_or(u32::MAX) <= self.local.per_window)
    }

    /// `allow` on a connection the caller holds already (the API counts its token in the
    /// statement batch that reads the token): one upsert on PostgreSQL, memory on SQLite.
    pub fn allow_on(
        &self,
        conn: &mut crate::db::DbConn,
        key: &str,
        now: NaiveDateTime,
    ) -> diesel::QueryResult<bool> {
        if !matches!(conn, crate::db::DbConn::Pg(_)) {
            return Ok(self.local.allow(key, now));
        }
        let (bucket, window) = self.bucket(key, now);
        let hits = hit(conn, &bucket, window)?;
        Ok(u32::try_from(hits).unwrap_or(u32::MAX) <= self.local.per_window)
    }

    /// This instance's own count, for refusals that only shield the database (bad secrets
    /// from one address): whether `key` is past the limit already.
    pub fn exceeded_here(&self, key: &str, now: NaiveDateTime) -> bool {
        self.local.exceeded(key, now)
    }

    /// Counts one attempt for `key` on this instance only (see `exceeded_here`).
    pub fn count_here(&self, key: &str, now: NaiveDateTime) {
        self.local.allow(key, now);
    }

    /// The key's row in `rate_hits` and (the window's first second, now).
    fn bucket(&self, key: &str, now: NaiveDateTime) -> (String, (i64, i64)) {
        let (seconds, length) = (now.and_utc().timestamp(), self.local.window_seconds);
        // The window's first second: one unit for every limit in the table.
        let window = seconds / length * length;
        (format!("{}:{key}", self.name), (window, seconds))
    }
}

/// One more hit in the bucket's window (PostgreSQL: one upsert); now and then the windows that
/// ended over two hours ago (the longest is one) go.
fn hit(
    conn: &mut crate::db::DbConn,
    bucket: &str,
    (window, now): (i64, i64),
) -> diesel::QueryResult<i32> {
    use diesel::sql_types::{BigInt, Text};
    use diesel::RunQueryDsl;
    let crate::db::DbConn::Pg(pg) = conn else {
        return Ok(0);
    };
    let found: Hits = diesel::sql_query(
        "INSERT INTO rate_hits (bucket, window_start, hits) VALUES ($1, $2, 1) \
         ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_hits.hits + 1 \
         RETURNING hits",
    )
    .bind::<Text, _>(bucket)
    .bind::<BigInt, _>(window)
    .get_result(pg)?;
    if found.hits == 1 && rand::random::<u8>() < 4 {
        diesel::sql_query("DELETE FROM rate_hits WHERE window_start < $1")
            .bind::<BigInt, _>(now - 7_200)
            .execute(pg)?;
    }
    Ok(found.hits)
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
