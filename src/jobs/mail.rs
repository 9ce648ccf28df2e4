//! Delivers the outbox: wakes when this instance queues mail, when a send finishes, and every
//! few seconds for retries and for mail queued by other instances.
//!
//! Messages are sent side by side, at most `SENDING_AT_ONCE` at a time, each in its own task
//! bounded by the SMTP timeout: a mail server that hangs on one message holds one slot until
//! that message times out, while the worker goes on claiming and sending the rest (a sign-in
//! code never waits behind a stuck invitation). Claiming stays the outbox's guarded update, so
//! each message is still sent by one instance once.
//!
//! Outcomes are written in groups: a finished send queues its outcome and writes every
//! outcome queued so far, unless another send or the next claim took them first (the claim
//! writes them in its own transaction). A commit per claim and per outcome made the worker
//! the busiest SQLite writer while Edit User saves queued two messages each.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::mail::store::{self, Outcome};
use crate::web::AppState;

/// Outcomes of finished sends not yet written.
type Unwritten = Arc<std::sync::Mutex<Vec<Outcome>>>;

fn take(unwritten: &Unwritten) -> Vec<Outcome> {
    std::mem::take(&mut *unwritten.lock().unwrap_or_else(|e| e.into_inner()))
}

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
            let unwritten = Unwritten::default();
            while !state.background.stopping() {
                let free = free_slots(&slots);
                let wanted = free.len();
                if wanted == 0 {
                    // Every slot is sending: claim more as soon as one send ends.
                    tokio::select! {
                        _ = slots.clone().acquire_owned() => {}
                        () = state.background.stopped() => {}
                    }
                } else if start_due(&state, free, &unwritten).await < wanted {
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
async fn start_due(
    state: &Arc<AppState>,
    mut slots: Vec<OwnedSemaphorePermit>,
    unwritten: &Unwritten,
) -> usize {
    if slots.is_empty() {
        return 0;
    }
    let now = state.clock.now();
    let limit = slots.len() as i64;
    let lease = crate::mail::lease(state.config.smtp_timeout_secs);
    let queue = unwritten.clone();
    let claimed = match state
        .db(move |conn| {
            let outcomes = take(&queue);
            let claimed = crate::db::write_tx(conn, |conn| {
                store::record(conn, &outcomes)?;
                store::claim_due(conn, now, limit, lease)
            });
            if claimed.is_err() {
                queue
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .extend(outcomes);
            }
            Ok(claimed?)
        })
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
            let (state, unwritten) = (state.clone(), unwritten.clone());
            async move {
                deliver(&state, row, &unwritten).await;
                // The slot is free: the worker claims the next due message at once.
                drop(slot);
            }
        });
        actix_web::rt::spawn(sending);
    }
    started
}

/// Sends one claimed message and records the outcome: sent, or a failed attempt retried
/// after a backoff (a timeout is a failed attempt like any other). The outcome is written
/// before this returns, by this send or by whichever write took it from `unwritten` first.
async fn deliver(state: &AppState, row: store::OutboxRow, unwritten: &Unwritten) {
    let result = state.mailer.send(&state.config.mail_from, &row).await;
    let now = state.clock.now();
    let (id, attempts) = (row.id, row.attempts);
    let outcome = match result {
        Ok(()) => Outcome::Sent { id, at: now },
        Err(error) => {
            log::warn!(
                "outbox: mail {id} to {} failed (attempt {}): {error}",
                row.recipient,
                attempts + 1
            );
            let next_attempt = now + crate::mail::backoff(attempts);
            Outcome::Failed {
                id,
                error,
                next_attempt,
            }
        }
    };
    unwritten
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(outcome);
    let queue = unwritten.clone();
    let written = state
        .db(move |conn| {
            // Taken on the blocking thread: the sends that finished meanwhile join this write.
            let outcomes = take(&queue);
            let written = store::record(conn, &outcomes);
            if written.is_err() {
                // The next claim or send tries them again.
                queue
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .extend(outcomes);
            }
            Ok(written?)
        })
        .await;
    if let Err(e) = written {
        log::warn!("outbox: cannot record the outcome of mail {id} yet: {e}");
    }
}
