//! Shared web plumbing: app state, errors, CSRF, the signed-in user, htmx rendering, headers.

pub mod clock;
pub mod confirm;
pub mod csrf;
pub mod current_user;
pub mod errors;
pub mod htmx;
pub mod input;
pub mod metrics;
pub mod pages;
pub mod request_id;
pub mod request_meta;
pub mod shell;

use std::sync::Arc;

use actix_web::web;

pub use clock::Clock;
pub use current_user::CurrentUser;
pub use errors::AppError;

use crate::auth::password::Hasher;
use crate::config::Config;
use crate::db::{Pool, PooledConn};

/// Everything a handler may need, shared by all workers.
pub struct AppState {
    pub pool: Pool,
    pub config: Config,
    /// The public URL: every printed or emailed link starts with it.
    pub base_url: String,
    pub clock: Clock,
    pub hasher: Hasher,
    pub cookie_key: actix_web::cookie::Key,
    /// Sign-in attempts per client IP per minute, on every instance together.
    pub login_limiter: crate::auth::rate_limit::Shared,
    /// API requests per token per minute.
    pub api_limiter: crate::auth::rate_limit::Shared,
    /// The outbox workers' sends, drained when the instance stops.
    pub background: crate::jobs::Background,
    /// Sign-up requests per client IP per hour.
    pub signup_ip_limiter: crate::auth::rate_limit::Shared,
    /// Sign-up emails per address per hour (nobody's inbox gets flooded).
    pub signup_email_limiter: crate::auth::rate_limit::Shared,
    pub mailer: crate::mail::Mailer,
    /// Wakes the mail worker when this instance queues mail.
    pub mail_wakeup: Arc<tokio::sync::Notify>,
    /// Live connections, new events and presence of this instance.
    pub live: Arc<crate::presence::Hub>,
    /// Each organization's roles and products (fixed when it is made).
    pub catalog: crate::orgs::catalog::Catalog,
    /// OpenID Connect: the providers' discovery documents and keys, cached per issuer.
    pub oidc: crate::sso::oidc::Oidc,
    /// This instance's counters and histograms (`/metrics`).
    pub metrics: metrics::Metrics,
    /// Whether the database failed to answer lately (a 503 rather than a 500).
    pub health: Arc<crate::db::Health>,
}

pub type State = web::Data<Arc<AppState>>;

impl AppState {
    /// Runs blocking database work on actix's blocking pool with a pooled connection. Mail
    /// queued by the work wakes the mail worker when it is done (its transaction committed).
    pub async fn db<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut PooledConn) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let (pool, wakeup) = (self.pool.clone(), self.mail_wakeup.clone());
        let health = self.health.clone();
        // On the blocking thread, inside the request's span: its logs carry the request's id.
        let span = tracing::debug_span!("db");
        web::block(move || {
            let _in_span = span.enter();
            let mut conn = pool.get().map_err(|e| {
                log::warn!("no database connection: {e}");
                health.note_unreachable();
                AppError::Unavailable
            })?;
            crate::mail::store::take_queued();
            let done = f(&mut conn);
            if matches!(done, Err(AppError::Unavailable)) {
                health.note_unreachable();
            }
            if crate::mail::store::take_queued() {
                wakeup.notify_one();
            }
            done
        })
        .await
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("blocking task failed: {e}")))?
    }
}
