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
    let worker = state.background.track(work(state.clone()));
    actix_web::rt::spawn(worker);
}

/// Rounds until the instance stops (after the round being sent).
async fn work(state: Arc<AppState>) {
    {
        let allow_private = state.config.webhooks_allow_private;
        let client = match reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("Gatehouse-Webhooks/1")
            .dns_resolver(Arc::new(PublicOnly { allow_private }))
            .build()
        {
            Ok(client) => client,
            Err(e) => {
                log::error!("webhooks: no HTTP client: {e}");
                return;
            }
        };
        let every = Duration::from_millis(state.config.webhook_poll_ms.max(50));
        while !state.background.stopping() {
            let sent = round(&state, &client, allow_private).await;
            if sent < PER_ROUND as usize {
                tokio::select! {
                    () = actix_web::rt::time::sleep(every) => {}
                    () = state.background.stopped() => {}
                }
            }
        }
    }
}

/// Claims and sends one round, side by side; how many were claimed.
async fn round(state: &Arc<AppState>, client: &reqwest::Client, allow_private: bool) -> usize {
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
    let sending: Vec<_> = claimed
        .into_iter()
        .map(|due| {
            let (state, client) = (state.clone(), client.clone());
            actix_web::rt::spawn(async move { deliver(&state, &client, due, allow_private).await })
        })
        .collect();
    for task in sending {
        let _ = task.await;
    }
    count
}

/// Sends one claimed delivery and records the outcome (a failure pauses an endpoint that has
/// failed for a day).
async fn deliver(state: &AppState, client: &reqwest::Client, due: Due, allow_private: bool) {
    let attempt = send(
        client,
        &due,
        state.clock.now().and_utc().timestamp(),
        allow_private,
    )
    .await;
    let now = state.clock.now();
    let wait = retry_wait(state.config.webhook_retry_secs, due.attempts);
    let retry_at = now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(1));
    let webhook_id = due.webhook_id;
    let delivered = attempt.delivered;
    let result = state
        .db(move |conn| {
            let ours = store::record_attempt(conn, &due, &attempt, (now, retry_at))?;
            if ours && !delivered {
                super::service::pause_if_failing(conn, webhook_id, now)?;
            }
            Ok(())
        })
        .await;
    if let Err(e) = result {
        log::warn!("webhooks: cannot record a delivery: {e}");
    }
}

/// Resolves names to public addresses only (unless the operator allows private ones): a name
/// that points at this machine or a private network gets nothing, whenever it resolves.
pub(crate) struct PublicOnly {
    pub(crate) allow_private: bool,
}

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let (host, allow_private) = (name.as_str().to_owned(), self.allow_private);
        Box::pin(async move {
            let found: Vec<std::net::SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| allow_private || !super::service::private_ip(a.ip()))
                .collect();
            if found.is_empty() {
                return Err("the name is this machine or a private network (or nothing)".into());
            }
            Ok(Box::new(found.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Reads at most `limit` bytes of the answer (the log keeps its start only).
async fn answer_start(mut response: reqwest::Response, limit: usize) -> String {
    let mut kept = Vec::new();
    while kept.len() < limit {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                kept.extend_from_slice(&chunk[..chunk.len().min(limit - kept.len())])
            }
            _ => break,
        }
    }
    String::from_utf8_lossy(&kept).into_owned()
}

/// The wait before the next attempt: the base, doubled with each failure, at most an hour.
fn retry_wait(base_secs: u64, attempts: i32) -> Duration {
    let doubled = base_secs
        .max(1)
        .saturating_mul(1u64 << attempts.clamp(0, 12));
    Duration::from_secs(doubled.min(3_600))
}

async fn send(client: &reqwest::Client, due: &Due, timestamp: i64, allow_private: bool) -> Attempt {
    // An address written in the URL is not resolved: checked here, at each delivery.
    let literal_private = url::Url::parse(&due.url)
        .map(|u| super::service::private_host(&u))
        .unwrap_or(true);
    if literal_private && !allow_private {
        return Attempt {
            status: None,
            response: "refused: this machine or a private network".into(),
            delivered: false,
        };
    }
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
            let text = answer_start(response, 500).await;
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
