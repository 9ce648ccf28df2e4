//! The binary's logs (`init_logs`), and an id for every request: in the `X-Request-Id` answer header, in a `tracing` span around
//! its work (so each log line it causes, on the blocking threads too, carries it), in its one
//! summary log line, and on the error page of a failure, where the person can quote it.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use tracing::Instrument;

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The id of the request being answered (`None` outside a request, as in background jobs).
pub fn current() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

const HEADER: HeaderName = HeaderName::from_static("x-request-id");

pub async fn trace(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = crate::auth::tokens::short_id();
    let quiet = req.path() == "/healthz" || req.path().starts_with("/static/");
    let span = tracing::info_span!("request", id = %id, method = %req.method(), path = %req.path());
    let started = Instant::now();
    let mut res = REQUEST_ID
        .scope(id.clone(), next.call(req))
        .instrument(span.clone())
        .await?;
    if let Ok(value) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(HEADER, value);
    }
    if !quiet {
        let (status, ms) = (res.status().as_u16(), started.elapsed().as_millis());
        span.in_scope(|| tracing::info!(status, ms, "answered"));
    }
    Ok(res)
}

/// Logs on stderr, filtered by RUST_LOG: text lines, or JSON lines when
/// GATEHOUSE_LOG_FORMAT=json (each with its request's id, method and path). Libraries that use
/// `log` are heard through the same subscriber.
pub fn init_logs() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,actix_server=warn"));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    let json = std::env::var("GATEHOUSE_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    if json {
        logs.json().flatten_event(true).with_span_list(false).init();
    } else {
        logs.init();
    }
}
