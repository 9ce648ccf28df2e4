//! PostgreSQL: each instance LISTENs on `gatehouse_live` (see migration 000029), which every
//! new audit event and every live connection opened or closed on any instance notifies at
//! commit, and wakes its poller, so live events and the online dot cross instances within
//! tens of milliseconds. The poller's own interval stays as the catch-up: a notice missed while
//! this connection was down costs at most one interval. SQLite serves one instance, whose
//! poller is woken directly.
//!
//! libpq reads notices without blocking, so a thread of its own asks for them every
//! `LISTEN_EVERY` (a read on a socket, no query). It holds the hub weakly and ends with it.

use std::sync::{Arc, Weak};
use std::time::Duration;

use diesel::RunQueryDsl;

use super::Hub;

const CHANNEL: &str = "gatehouse_live";
const LISTEN_EVERY: Duration = Duration::from_millis(25);
const RECONNECT_AFTER: Duration = Duration::from_secs(2);

pub fn spawn(state: &crate::web::AppState) {
    if state.config.database_url.backend != crate::db::Backend::Postgres {
        return;
    }
    let url = state.config.database_url.target.clone();
    let hub = Arc::downgrade(&state.live);
    let started = std::thread::Builder::new()
        .name("live-listener".into())
        .spawn(move || listen(&url, &hub));
    if let Err(e) = started {
        log::warn!("live listener not started ({e}): other instances' news comes at each poll");
    }
}

fn listen(url: &str, hub: &Weak<Hub>) {
    let mut said_down = false;
    while hub.strong_count() > 0 {
        let connected = crate::db::connect_pg(url)
            .map_err(|e| e.to_string())
            .and_then(|mut conn| {
                diesel::sql_query(format!("LISTEN {CHANNEL}"))
                    .execute(&mut conn)
                    .map(|_| conn)
                    .map_err(|e| e.to_string())
            });
        match connected {
            Ok(mut conn) => {
                if said_down {
                    log::info!("live listener: listening again");
                    said_down = false;
                }
                // Whatever happened while not listening is read now.
                wake(hub);
                if let Err(e) = relay(&mut conn, hub) {
                    log::warn!("live listener lost its connection: {e}");
                }
            }
            Err(e) if !said_down => {
                log::warn!("live listener cannot connect ({e}); retrying");
                said_down = true;
            }
            Err(_) => {}
        }
        std::thread::sleep(RECONNECT_AFTER);
    }
}

/// Wakes the poller for each batch of notices until the connection fails or the hub is gone.
fn relay(conn: &mut diesel::PgConnection, hub: &Weak<Hub>) -> diesel::QueryResult<()> {
    loop {
        let mut heard = false;
        for notice in conn.notifications_iter() {
            notice?;
            heard = true;
        }
        if heard && !wake(hub) {
            return Ok(());
        }
        if hub.strong_count() == 0 {
            return Ok(());
        }
        std::thread::sleep(LISTEN_EVERY);
    }
}

/// Wakes the poller; false when the instance is gone.
fn wake(hub: &Weak<Hub>) -> bool {
    match hub.upgrade() {
        Some(hub) => {
            hub.wake.notify_one();
            true
        }
        None => false,
    }
}
