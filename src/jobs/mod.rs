//! Periodic jobs of each instance. Each is safe to run on several instances at once: they
//! work through guarded updates in write transactions.

pub mod mail;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::web::AppState;

/// The outbox workers' work, so that a stopping instance (SIGTERM) ends it between messages:
/// the web server finishes its requests, then `drain` tells the workers to claim nothing
/// more and waits for the messages they are sending, each bounded by its own timeout.
#[derive(Default)]
pub struct Background {
    stop: CancellationToken,
    work: TaskTracker,
}

impl Background {
    /// `work`, counted until it finishes.
    pub fn track<F: Future>(&self, work: F) -> impl Future<Output = F::Output> {
        self.work.track_future(work)
    }

    /// Whether the instance is stopping (claim nothing more).
    pub fn stopping(&self) -> bool {
        self.stop.is_cancelled()
    }

    /// Resolves when the instance starts stopping.
    pub async fn stopped(&self) {
        self.stop.cancelled().await;
    }

    /// Stops the workers and waits, at most `within`, for what they are sending; false when
    /// something was still running (its claim's lease lets another instance send it later).
    pub async fn drain(&self, within: Duration) -> bool {
        self.stop.cancel();
        self.work.close();
        actix_web::rt::time::timeout(within, self.work.wait())
            .await
            .is_ok()
    }
}

/// Once a minute: expired sessions are removed and expired invitations give their seats back;
/// every tenth minute (and at start) inactive accounts are warned and blocked; every hour (and
/// at start) audit events past their organization's retention are deleted.
pub fn spawn(state: Arc<AppState>) {
    actix_web::rt::spawn(async move {
        let mut interval = actix_web::rt::time::interval(Duration::from_secs(60));
        let mut minute: u64 = 0;
        loop {
            interval.tick().await;
            run_once(&state).await;
            if minute % 10 == 0 {
                check_inactivity(&state).await;
            }
            if minute % 60 == 0 {
                purge_audit(&state).await;
            }
            minute += 1;
        }
    });
}

/// Deletes audit events past each organization's retention (hourly, and at start).
pub async fn purge_audit(state: &AppState) {
    let now = state.clock.now();
    let month_ago = now - chrono::Duration::days(30);
    if let Err(e) = state
        .db(move |conn| Ok(crate::webhooks::store::purge_delivered(conn, month_ago)?))
        .await
    {
        log::warn!("webhook delivery retention failed: {e}");
    }
    match state
        .db(move |conn| Ok(crate::audit::retention::purge(conn, now)?))
        .await
    {
        Ok(0) => {}
        Ok(deleted) => log::info!("retention: {deleted} old audit events deleted"),
        Err(e) => log::warn!("audit retention failed: {e}"),
    }
}

/// SQLite: the search indexes are merged and the write-ahead log checkpointed a little at a
/// time, off the writers' path (see `db::upkeep`).
pub fn spawn_checkpointer(state: Arc<AppState>) {
    if state.config.database_url.backend != crate::db::Backend::Sqlite {
        return;
    }
    actix_web::rt::spawn(async move {
        let mut interval = actix_web::rt::time::interval(crate::db::upkeep::EVERY);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            let done = state
                .db(|conn| {
                    // Both hold writers back for a while: say so when it is long.
                    let started = std::time::Instant::now();
                    crate::db::upkeep::run(conn)?;
                    let took = started.elapsed();
                    if took > Duration::from_millis(100) {
                        log::info!("slow upkeep: {} ms", took.as_millis());
                    }
                    Ok(())
                })
                .await;
            if let Err(e) = done {
                log::warn!("checkpoint failed: {e}");
            }
        }
    });
}

/// Warns and blocks accounts nobody signed into for the organization's limit.
pub async fn check_inactivity(state: &AppState) {
    let (now, base_url) = (state.clock.now(), state.base_url.clone());
    match state
        .db(move |conn| Ok(crate::auth::inactivity::run(conn, &base_url, now)?))
        .await
    {
        Ok(report) if report == Default::default() => {}
        Ok(report) => {
            log::info!(
                "inactivity: {} accounts warned, {} blocked",
                report.warned,
                report.blocked
            );
        }
        Err(e) => log::warn!("inactivity check failed: {e}"),
    }
}

pub async fn run_once(state: &AppState) {
    let now = state.clock.now();
    let result = state
        .db(move |conn| {
            let sessions = crate::auth::store::purge_expired_sessions(conn, now)?;
            let invitations = crate::invites::service::expire_invitations(conn, now)?;
            Ok((sessions, invitations))
        })
        .await;
    match result {
        Ok((0, 0)) => {}
        Ok((sessions, invitations)) => log::info!(
            "housekeeping: {sessions} expired sessions, {invitations} expired invitations"
        ),
        Err(e) => log::warn!("housekeeping failed: {e}"),
    }
}
