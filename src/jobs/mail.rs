//! Delivers the outbox: wakes when this instance queues mail, when a send finishes, and every
//! few seconds for retries and for mail queued by other instances.
//!
//! Messages are sent side by side, at most `SENDING_AT_ONCE` at a time, each in its own task
//! bounded by the SMTP timeout: a mail server that hangs on one message holds one slot until
//! that message times out, while the worker goes on claiming and sending the rest (a sign-in
//! code never waits behind a stuck invitation). Claiming stays the outbox's guarded update, so
//! each message is still sent by one instance once.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::mail::store;
use crate::web::AppState;

/// Messages one instance sends at the same time. Small: mail servers limit the connections
/// of one client, and a handful at once already keeps a hung one from holding up the queue.
pub const SENDING_AT_ONCE: usize = 4;

/// How often the worker looks for due mail when nothing wakes it.
const IDLE_CHECK: Duration = Duration::from_secs(2);

pub fn spawn(state: Arc<AppState>) {
    let worker = state.background.track({
        let state = state.clone();
        async move {
            let slots = Arc::new(Semaphore::new(SENDING_AT_ONCE));
            while !state.background.stopping() {
                let free = free_slots(&slots);
                let wanted = free.len();
                if wanted == 0 {
                    // Every slot is sending: claim more as soon as one send ends.
                    tokio::select! {
                        _ = slots.clone().acquire_owned() => {}
                        () = state.background.stopped() => {}
                    }
                } else if start_due(&state, free).await < wanted {
                    // Nothing more is due (or the database is unreachable): wait for new
                    // mail, the next retry check or the instance stopping.
                    tokio::select! {
                        _ = actix_web::rt::time::timeout(IDLE_CHECK, state.mail_wakeup.notified()) => {}
                        () = state.background.stopped() => {}
                    }
                }
            }
        }
    });
    actix_web::rt::spawn(worker);
}

/// Every slot free right now (none while all are sending).
fn free_slots(slots: &Arc<Semaphore>) -> Vec<OwnedSemaphorePermit> {
    std::iter::from_fn(|| slots.clone().try_acquire_owned().ok()).collect()
}

/// Claims as many due messages as there are free slots and starts sending each in its own
/// task; returns how many were started. Unused slots are given back.
async fn start_due(state: &Arc<AppState>, mut slots: Vec<OwnedSemaphorePermit>) -> usize {
    if slots.is_empty() {
        return 0;
    }
    let now = state.clock.now();
    let limit = slots.len() as i64;
    let lease = crate::mail::lease(state.config.smtp_timeout_secs);
    let claimed = match state
        .db(move |conn| Ok(store::claim_due(conn, now, limit, lease)?))
        .await
    {
        Ok(rows) => rows,
        Err(e) => {
            log::warn!("outbox: cannot read due mail: {e}");
            return 0;
        }
    };
    log::debug!("outbox: {} due", claimed.len());
    let started = claimed.len();
    for row in claimed {
        let Some(slot) = slots.pop() else { break };
        let sending = state.background.track({
            let state = state.clone();
            async move {
                deliver(&state, row).await;
                // The slot is free: the worker claims the next due message at once.
                drop(slot);
            }
        });
        actix_web::rt::spawn(sending);
    }
    started
}

/// Sends one claimed message and records the outcome: sent, or a failed attempt retried
/// after a backoff (a timeout is a failed attempt like any other).
async fn deliver(state: &AppState, row: store::OutboxRow) {
    let result = state.mailer.send(&state.config.mail_from, &row).await;
    let now = state.clock.now();
    let (id, attempts) = (row.id, row.attempts);
    let outcome = match result {
        Ok(()) => {
            state
                .db(move |conn| Ok(store::mark_sent(conn, id, now)?))
                .await
        }
        Err(error) => {
            log::warn!(
                "outbox: mail {id} to {} failed (attempt {}): {error}",
                row.recipient,
                attempts + 1
            );
            let next = now + crate::mail::backoff(attempts);
            state
                .db(move |conn| Ok(store::mark_failed(conn, id, &error, next)?))
                .await
        }
    };
    if let Err(e) = outcome {
        log::warn!("outbox: cannot record the outcome of mail {id}: {e}");
    }
}
