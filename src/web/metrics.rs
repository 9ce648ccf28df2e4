//! `/metrics` in the Prometheus/OpenMetrics text format (the `prometheus-client` crate):
//! requests by route pattern, method and status with a latency histogram, sign-in outcomes,
//! and at each scrape the pool, the mail and webhook outboxes (depth, oldest age) and this
//! instance's live connections. Off unless `GATEHOUSE_METRICS_TOKEN` is set; then a scrape
//! must bring it as a bearer token.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, HttpRequest, HttpResponse};
use diesel::prelude::*;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use super::{AppError, State};
use crate::db::DbConn;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Request {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Route {
    method: String,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Outcome {
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Outbox {
    outbox: String,
}

fn latency_histogram() -> Histogram {
    // 0.5 ms to about 4 s.
    Histogram::new(exponential_buckets(0.0005, 2.0, 14))
}

/// This instance's metrics.
pub struct Metrics {
    registry: Registry,
    requests: Family<Request, Counter>,
    latency: Family<Route, Histogram, fn() -> Histogram>,
    sign_ins: Family<Outcome, Counter>,
    pool_connections: Gauge,
    pool_idle: Gauge,
    outbox_depth: Family<Outbox, Gauge>,
    outbox_oldest: Family<Outbox, Gauge>,
    live_connections: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("gatehouse");
        let requests = Family::<Request, Counter>::default();
        let latency =
            Family::<Route, Histogram, fn() -> Histogram>::new_with_constructor(latency_histogram);
        let sign_ins = Family::<Outcome, Counter>::default();
        let (pool_connections, pool_idle) = (Gauge::default(), Gauge::default());
        let outbox_depth = Family::<Outbox, Gauge>::default();
        let outbox_oldest = Family::<Outbox, Gauge>::default();
        let live_connections = Gauge::default();
        registry.register("http_requests", "Requests answered", requests.clone());
        registry.register(
            "http_request_duration_seconds",
            "Time to answer (to the headers, for live streams)",
            latency.clone(),
        );
        registry.register("sign_ins", "Sign-in outcomes", sign_ins.clone());
        registry.register(
            "db_pool_connections",
            "Database connections open in this instance's pool",
            pool_connections.clone(),
        );
        registry.register(
            "db_pool_idle",
            "Idle database connections in the pool (in use = open - idle)",
            pool_idle.clone(),
        );
        registry.register(
            "outbox_pending",
            "Messages waiting in an outbox (mail, webhooks)",
            outbox_depth.clone(),
        );
        registry.register(
            "outbox_oldest_pending_seconds",
            "Age of the oldest waiting message",
            outbox_oldest.clone(),
        );
        registry.register(
            "live_connections",
            "Live (SSE) connections this instance holds",
            live_connections.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            sign_ins,
            pool_connections,
            pool_idle,
            outbox_depth,
            outbox_oldest,
            live_connections,
        }
    }
}

impl Metrics {
    fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let (method, route) = (method.to_owned(), route.to_owned());
        self.latency
            .get_or_create(&Route {
                method: method.clone(),
                route: route.clone(),
            })
            .observe(seconds);
        self.requests
            .get_or_create(&Request {
                method,
                route,
                status,
            })
            .inc();
    }

    /// One sign-in's outcome (`complete`, `second_step`, `refused`, …).
    pub fn sign_in(&self, outcome: &str) {
        self.sign_ins
            .get_or_create(&Outcome {
                outcome: outcome.to_owned(),
            })
            .inc();
    }
}

/// Times every request; the route is its pattern (`/users/{id}/edit`), never the raw path.
pub async fn record(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = req.method().as_str().to_owned();
    let route = req.match_pattern().unwrap_or_else(|| "unmatched".into());
    let state = req.app_data::<State>().cloned();
    let response = next.call(req).await?;
    if let Some(state) = state {
        let status = response.status().as_u16();
        let seconds = started.elapsed().as_secs_f64();
        state.metrics.observe(&method, &route, status, seconds);
    }
    Ok(response)
}

/// (pending, age of the oldest in seconds) of each outbox.
fn outboxes(
    conn: &mut DbConn,
    now: chrono::NaiveDateTime,
) -> QueryResult<Vec<(&'static str, i64, i64)>> {
    use crate::db::schema::{email_outbox, webhook_deliveries};
    let age = |oldest: Option<chrono::NaiveDateTime>| {
        oldest.map_or(0, |at| (now - at).num_seconds().max(0))
    };
    let (mail, mail_oldest): (i64, Option<chrono::NaiveDateTime>) = email_outbox::table
        .filter(email_outbox::status.eq(crate::mail::store::PENDING))
        .select((
            diesel::dsl::count_star(),
            diesel::dsl::min(email_outbox::created_at),
        ))
        .first(conn)?;
    let (hooks, hooks_oldest): (i64, Option<chrono::NaiveDateTime>) = webhook_deliveries::table
        .filter(webhook_deliveries::status.eq(crate::webhooks::store::PENDING))
        .select((
            diesel::dsl::count_star(),
            diesel::dsl::min(webhook_deliveries::created_at),
        ))
        .first(conn)?;
    Ok(vec![
        ("mail", mail, age(mail_oldest)),
        ("webhooks", hooks, age(hooks_oldest)),
    ])
}

/// Whether the scrape brings the configured token (their digests compared, so the time taken
/// tells nothing of the token).
fn authorized(req: &HttpRequest, token: &str) -> bool {
    use sha2::{Digest, Sha256};
    let given = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    Sha256::digest(given.as_bytes()) == Sha256::digest(token.as_bytes())
}

/// `GET /metrics`.
pub async fn scrape(req: HttpRequest, state: State) -> Result<HttpResponse, AppError> {
    let Some(token) = state.config.metrics_token.as_deref() else {
        return Err(AppError::NotFound);
    };
    if !authorized(&req, token) {
        return Ok(HttpResponse::Unauthorized()
            .insert_header(("WWW-Authenticate", "Bearer realm=\"metrics\""))
            .finish());
    }
    let now = state.clock.now();
    let queues = state.db(move |conn| Ok(outboxes(conn, now)?)).await?;
    let metrics = &state.metrics;
    for (outbox, pending, oldest) in queues {
        let labels = Outbox {
            outbox: outbox.to_owned(),
        };
        metrics.outbox_depth.get_or_create(&labels).set(pending);
        metrics.outbox_oldest.get_or_create(&labels).set(oldest);
    }
    let pool = state.pool.state();
    metrics.pool_connections.set(pool.connections.into());
    metrics.pool_idle.set(pool.idle_connections.into());
    metrics
        .live_connections
        .set(i64::try_from(state.live.connections()).unwrap_or(i64::MAX));
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &metrics.registry)
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("metrics: {e}")))?;
    Ok(HttpResponse::Ok()
        .content_type("application/openmetrics-text; version=1.0.0; charset=utf-8")
        .body(text))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/metrics", web::get().to(scrape));
}
