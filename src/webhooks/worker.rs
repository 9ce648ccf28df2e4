//! Delivers the webhook outbox: every instance claims due deliveries (each one by one
//! instance), POSTs them signed, and records the outcome; a failure is retried with a growing
//! wait, and an endpoint failing for a day is paused.
//!
//! Each delivery carries `Gatehouse-Event` (the event), `Gatehouse-Delivery` (its id, the same
//! on every retry) and `Gatehouse-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of
//! "<t>.<body>" with the endpoint's secret>`.

use std::sync::Arc;
use std::time::Duration;

use super::store::{self, Attempt, Due};
use crate::web::AppState;

/// Deliveries one instance sends per round.
const PER_ROUND: i64 = 16;

pub fn spawn(state: Arc<AppState>) {
    actix_web::rt::spawn(async move {
        let client = match reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("Gatehouse-Webhooks/1")
            .build()
        {
            Ok(client) => client,
            Err(e) => {
                log::error!("webhooks: no HTTP client: {e}");
                return;
            }
        };
        let every = Duration::from_millis(state.config.webhook_poll_ms.max(50));
        loop {
            let sent = round(&state, &client).await;
            if sent < PER_ROUND as usize {
                actix_web::rt::time::sleep(every).await;
            }
        }
    });
}

/// Claims and sends one round; how many were claimed.
async fn round(state: &Arc<AppState>, client: &reqwest::Client) -> usize {
    let now = state.clock.now();
    let claimed = match state
        .db(move |conn| Ok(store::claim_due(conn, now, PER_ROUND)?))
        .await
    {
        Ok(claimed) => claimed,
        Err(e) => {
            log::warn!("webhooks: cannot read due deliveries: {e}");
            return 0;
        }
    };
    let count = claimed.len();
    for due in claimed {
        let attempt = send(client, &due, state.clock.now().and_utc().timestamp()).await;
        let now = state.clock.now();
        let wait = retry_wait(state.config.webhook_retry_secs, due.attempts);
        let retry_at = now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(1));
        let webhook_id = due.webhook_id;
        let delivered = attempt.delivered;
        let result = state
            .db(move |conn| {
                store::record_attempt(conn, &due, &attempt, (now, retry_at))?;
                if !delivered {
                    super::service::pause_if_failing(conn, webhook_id, now)?;
                }
                Ok(())
            })
            .await;
        if let Err(e) = result {
            log::warn!("webhooks: cannot record a delivery: {e}");
        }
    }
    count
}

/// The wait before the next attempt: the base, doubled with each failure, at most an hour.
fn retry_wait(base_secs: u64, attempts: i32) -> Duration {
    let doubled = base_secs
        .max(1)
        .saturating_mul(1u64 << attempts.clamp(0, 12));
    Duration::from_secs(doubled.min(3_600))
}

async fn send(client: &reqwest::Client, due: &Due, timestamp: i64) -> Attempt {
    let signature = super::signature(&due.secret, timestamp, &due.payload);
    let response = client
        .post(&due.url)
        .header("Content-Type", "application/json")
        .header("Gatehouse-Event", &due.event)
        .header("Gatehouse-Delivery", &due.event_id)
        .header(
            "Gatehouse-Signature",
            format!("t={timestamp},v1={signature}"),
        )
        .body(due.payload.clone())
        .send()
        .await;
    match response {
        Ok(response) => {
            let status = response.status();
            let text = response.text().await.unwrap_or_default();
            Attempt {
                status: Some(i32::from(status.as_u16())),
                response: text,
                delivered: status.is_success(),
            }
        }
        Err(e) => Attempt {
            status: None,
            response: format!("no answer: {e}"),
            delivered: false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_doubles_up_to_an_hour() {
        assert_eq!(retry_wait(10, 0), Duration::from_secs(10));
        assert_eq!(retry_wait(10, 3), Duration::from_secs(80));
        assert_eq!(retry_wait(10, 20), Duration::from_secs(3_600));
    }
}
