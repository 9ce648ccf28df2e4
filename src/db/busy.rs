//! How a SQLite connection waits for a lock another connection holds.
//!
//! SQLite's own handler (`PRAGMA busy_timeout`) sleeps 1, 2, 5, 10, 15, 20, 25, 25, 25, 50,
//! 50 and then 100 ms between tries. Whenever two connections of the server wrote at once — a
//! request's save and the mail worker marking a message sent, a presence beat, a session
//! touch — the loser slept whole milliseconds after a lock that was free again within
//! microseconds: Edit User saves at one connection had BEGIN IMMEDIATE at 8.8 ms and the mail
//! worker's updates at 229 ms in the worst case (2026-12-07, 100,000 users). This handler
//! tries again after 50 µs, then less often, and gives up after the same ten seconds.

use std::cell::Cell;
use std::ffi::{c_char, c_int, c_void};
use std::sync::OnceLock;
use std::time::Duration;

use libsqlite3_sys as ffi;

/// How long a connection waits for a lock before the statement fails with SQLITE_BUSY.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// The pause before try `count + 1` (SQLite counts the tries from 0).
fn pause(count: u32) -> Duration {
    match count {
        0..=19 => Duration::from_micros(50),
        20..=99 => Duration::from_micros(250),
        _ => Duration::from_millis(1),
    }
}

/// The time spent waiting before try `count + 1`.
fn waited(count: u32) -> Duration {
    (0..count.min(100)).map(pause).sum::<Duration>() + pause(100) * count.saturating_sub(100)
}

thread_local! {
    /// A shorter wait for what this thread runs in `waiting_at_most`.
    static LIMIT: Cell<Option<Duration>> = const { Cell::new(None) };
}

/// Runs `f` (SQLite calls on this thread) with lock waits capped at `limit` instead of
/// `TIMEOUT`.
pub fn waiting_at_most<T>(limit: Duration, f: impl FnOnce() -> T) -> T {
    let before = LIMIT.with(|cap| cap.replace(Some(limit)));
    let result = f();
    LIMIT.with(|cap| cap.set(before));
    result
}

/// SQLite calls this with the number of times it already did for this lock: non-zero means
/// try again.
extern "C" fn on_busy(_: *mut c_void, count: c_int) -> c_int {
    let count = u32::try_from(count).unwrap_or(0);
    let limit = LIMIT.with(Cell::get).unwrap_or(TIMEOUT);
    if waited(count) >= limit {
        return 0;
    }
    std::thread::sleep(pause(count));
    1
}

/// Installs `on_busy` on the connection SQLite is opening.
unsafe extern "C" fn on_open(
    db: *mut ffi::sqlite3,
    _: *mut *mut c_char,
    _: *const ffi::sqlite3_api_routines,
) -> c_int {
    // SAFETY: SQLite hands an open connection to the extension entry point; the handler takes
    // no argument, so the null pointer is never read.
    unsafe { ffi::sqlite3_busy_handler(db, Some(on_busy), std::ptr::null_mut()) }
}

/// Makes every SQLite connection this process opens from now on wait with `on_busy`; false
/// when SQLite refused (the caller then sets SQLite's own busy timeout). `PRAGMA busy_timeout`
/// on a connection replaces the handler with SQLite's.
pub fn install() -> bool {
    static INSTALLED: OnceLock<bool> = OnceLock::new();
    *INSTALLED.get_or_init(|| {
        // SAFETY: an automatic extension runs inside sqlite3_open for each new connection;
        // `on_open` has the signature SQLite calls it with and only sets the busy handler.
        let rc = unsafe { ffi::sqlite3_auto_extension(Some(on_open)) };
        if rc != ffi::SQLITE_OK {
            log::warn!("SQLite busy handler not installed (code {rc}): using the busy timeout");
        }
        rc == ffi::SQLITE_OK
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pauses_grow_and_the_wait_ends_after_the_timeout() {
        assert_eq!(waited(0), Duration::ZERO);
        assert_eq!(waited(20), Duration::from_millis(1));
        assert_eq!(waited(100), Duration::from_millis(21));
        let last_try = (0..).find(|&n| waited(n) >= TIMEOUT).unwrap();
        assert!(waited(last_try - 1) < TIMEOUT);
        assert_eq!(on_busy(std::ptr::null_mut(), last_try as c_int), 0);
        let cut_short = waiting_at_most(Duration::from_millis(5), || {
            on_busy(std::ptr::null_mut(), 60)
        });
        assert_eq!(cut_short, 0, "60 tries have waited 11 ms");
        assert_eq!(
            on_busy(std::ptr::null_mut(), 60),
            1,
            "the cap ends with the call"
        );
    }
}
