//! "The live connection is not activity." actix-session loads the session of every request
//! that carries the cookie, and our store moves `sessions.last_seen_at` when it does (at most
//! once a minute), which is what keeps a session from idling out. A tab left open on a live
//! stream must not keep its session alive, nor move Last active.
//!
//! So the live routes run inside a task-local marker set by `mark` (a middleware wrapped
//! outside the session middleware): `DbSessionStore::load` sees it and checks the session
//! without touching it, and the live handlers authenticate through
//! `current_user::without_activity`, which does not move Last active either. Afterwards each
//! connection's session is re-checked every few seconds by the poller, read-only, and the
//! stream ends when it no longer stands (signed out, expired, deactivated, blocked, Sign out
//! everywhere).

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;

tokio::task_local! {
    static QUIET: ();
}

/// The paths of live connections.
pub const LIVE_PATHS: [&str; 2] = ["/activity/stream", "/presence/stream"];

/// True inside a live request (its session must be read, never touched).
pub fn is_quiet() -> bool {
    QUIET.try_with(|_| ()).is_ok()
}

/// Middleware: marks live requests for the session store.
pub async fn mark(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if LIVE_PATHS.contains(&req.path()) {
        QUIET.scope((), next.call(req)).await
    } else {
        next.call(req).await
    }
}
