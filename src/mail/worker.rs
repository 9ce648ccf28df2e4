//! Delivers the outbox: wakes when this instance queues mail, and every few seconds for
//! retries and for mail queued by other instances.

use std::sync::Arc;
use std::time::Duration;

use super::store;
use crate::web::AppState;

/// Sends everything due now; returns how many were delivered.
pub async fn deliver_due(state: &AppState) -> usize {
    let now = state.clock.now();
    let claimed = match state
        .db(move |conn| Ok(store::claim_due(conn, now, 20)?))
        .await
    {
        Ok(rows) => rows,
        Err(e) => {
            log::warn!("outbox: cannot read due mail: {e}");
            return 0;
        }
    };
    log::debug!("outbox: {} due", claimed.len());
    let mut delivered = 0;
    for row in claimed {
        let result = state.mailer.send(&state.config.mail_from, &row).await;
        let now = state.clock.now();
        let (id, attempts) = (row.id, row.attempts);
        let outcome = match result {
            Ok(()) => {
                delivered += 1;
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
                let next = now + super::backoff(attempts);
                state
                    .db(move |conn| Ok(store::mark_failed(conn, id, &error, next)?))
                    .await
            }
        };
        if let Err(e) = outcome {
            log::warn!("outbox: cannot record the outcome of mail {id}: {e}");
        }
    }
    delivered
}

pub fn spawn(state: Arc<AppState>) {
    actix_web::rt::spawn(async move {
        loop {
            while deliver_due(&state).await > 0 {}
            let _ =
                actix_web::rt::time::timeout(Duration::from_secs(2), state.mail_wakeup.notified())
                    .await;
        }
    });
}
