//! Delivers the outbox: wakes when this instance queues mail, when a send finishes, and every
//! few seconds for retries and for mail queued by other instances.
//!
//! Messages are sent side by side, at most `SENDING_AT_ONCE` at a time, each in its own task
//! bounded by the SMTP timeout: a mail server that hangs on one message holds one slot until
//! that message times out, while the worker goes on claiming and sending the rest (a sign-in
//! code never waits behind a stuck invitation). Claiming stays the outbox's guarded update, so
//! each message is still sent by one instance once.
//!
//! Outcomes are written with the claims: a finished send queues its outcome and wakes the
//! worker, whose next claim writes every outcome queued so far in its own transaction. A
//! commit per claim and per outcome made the worker the busiest SQLite writer while Edit User
//! saves queued two messages each.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::mail::store::{self, Outcome};
use crate::web::{AppError, AppState};

/// Outcomes of finished sends not yet written, each with the writes that failed for it.
type Unwritten = Arc<std::sync::Mutex<Vec<(Outcome, u8)>>>;

/// Failed writes after which an outcome is given up (logged; the lease lets the message be
/// sent again): one outcome the database refuses must not hold up every claim after it.
const WRITE_TRIES: u8 = 3;

fn take(unwritten: &Unwritten) -> Vec<(Outcome, u8)> {
    std::mem::take(&mut *unwritten.lock().unwrap_or_else(|e| e.into_inner()))
}

/// Writes `queued` (in a savepoint when inside a transaction); on failure puts them back for
/// the next write, each until `WRITE_TRIES`.
fn write_outcomes(
    conn: &mut crate::db::DbConn,
    queued: Vec<(Outcome, u8)>,
    unwritten: &Unwritten,
) -> diesel::QueryResult<()> {
    let outcomes: Vec<Outcome> = queued.iter().map(|(outcome, _)| outcome.clone()).collect();
    let written = crate::db::write_tx(conn, |conn| store::record(conn, &outcomes));
    if let Err(e) = &written {
        let mut back = unwritten.lock().unwrap_or_else(|e| e.into_inner());
        for (outcome, failed) in queued {
            if failed + 1 < WRITE_TRIES {
                back.push((outcome, failed + 1));
            } else {
                log::error!("outbox: gave up recording {outcome:?}: {e}");
            }
        }
    }
    written
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
            // Rung by a finished send: its outcome waits for the next claim.
            let finished = Arc::new(tokio::sync::Notify::new());
            while !state.background.stopping() {
                let free = free_slots(&slots);
                let wanted = free.len();
                if wanted == 0 {
                    // Every slot is sending: claim more as soon as one send ends.
                    tokio::select! {
                        _ = slots.clone().acquire_owned() => {}
                        () = state.background.stopped() => {}
                    }
                } else if start_due(&state, free, (&unwritten, &finished)).await < wanted {
                    // Nothing more is due (or the database is unreachable): wait for new
                    // mail, the next retry check or the instance stopping.
                    tokio::select! {
                        _ = actix_web::rt::time::timeout(IDLE_CHECK, state.mail_wakeup.notified()) => {}
                        () = finished.notified() => {}
                        () = state.background.stopped() => {}
                    }
                }
            }
            // Stopping: once every send has ended, what is still unwritten (a write that
            // failed, or was rolled back with a claim) gets one more try.
            let all = u32::try_from(SENDING_AT_ONCE).unwrap_or(u32::MAX);
            let _every_slot = slots.acquire_many(all).await;
            if let Err(e) = write_unwritten(&state, &unwritten).await {
                log::warn!("outbox: outcomes left unrecorded at shutdown (their mail may be sent again after the lease): {e}");
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
    (unwritten, finished): (&Unwritten, &Arc<tokio::sync::Notify>),
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
            let queued = take(&queue);
            let mut outcomes_written = false;
            let claimed = crate::db::write_tx(conn, |conn| {
                // In a savepoint: an outcome that cannot be written does not stop the claim.
                outcomes_written = write_outcomes(conn, queued.clone(), &queue).is_ok();
                store::claim_due(conn, now, limit, lease)
            });
            if claimed.is_err() && outcomes_written {
                // Rolled back with the claim: written by the next write.
                queue
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .extend(queued);
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
            let (state, unwritten, finished) = (state.clone(), unwritten.clone(), finished.clone());
            async move {
                deliver(&state, row, &unwritten).await;
                finished.notify_one();
                // The slot is free: the worker claims the next due message at once.
                drop(slot);
            }
        });
        actix_web::rt::spawn(sending);
    }
    started
}

/// Writes every outcome queued so far (none: nothing to do). Taken on the blocking thread, so
/// the sends that finished meanwhile join this write.
async fn write_unwritten(state: &AppState, unwritten: &Unwritten) -> Result<(), AppError> {
    let queue = unwritten.clone();
    state
        .db(move |conn| {
            let queued = take(&queue);
            Ok(write_outcomes(conn, queued, &queue)?)
        })
        .await
}

/// Sends one claimed message and records the outcome: sent, or a failed attempt retried
/// after a backoff (a timeout is a failed attempt like any other). The outcome is queued for
/// the worker, woken (by the caller) to write it in the transaction of its next claim; one whose write
/// failed is tried again by the next, and by the worker when the instance stops.
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
        .push((outcome, 0));
}
