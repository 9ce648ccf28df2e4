//! Small pages: home, health, the favicon and the embedded static files.

use actix_web::http::header;
use actix_web::{web, HttpResponse};

use super::{AppError, CurrentUser, State};
use crate::auth::permissions::Permission;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home))
        .route("/healthz", web::get().to(healthz))
        .route("/readyz", web::get().to(readyz))
        .route("/static/{file}", web::get().to(static_file))
        .route("/favicon.ico", web::get().to(favicon));
}

/// Signed-in people land on User Management when they may see it, else on My account.
async fn home(user: CurrentUser) -> HttpResponse {
    let target = if user.can(Permission::UsersView) {
        "/users"
    } else {
        "/account"
    };
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, target))
        .finish()
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok")
}

/// Ready when the database answers.
async fn readyz(state: State) -> HttpResponse {
    let ok = state
        .db(|conn| {
            use diesel::connection::SimpleConnection;
            conn.batch_execute("SELECT 1").map_err(AppError::from)
        })
        .await
        .is_ok();
    if ok {
        HttpResponse::Ok().content_type("text/plain").body("ready")
    } else {
        HttpResponse::ServiceUnavailable()
            .content_type("text/plain")
            .body("database unavailable")
    }
}

pub const HTMX_FILE: &str = "htmx-2.0.8.min.js";

/// Static files are compiled into the binary, so it runs from any directory.
async fn static_file(path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let (body, content_type, cache): (&'static str, &str, &str) = match path.as_str() {
        HTMX_FILE => (
            include_str!("../../static/htmx-2.0.8.min.js"),
            "text/javascript",
            "public, max-age=31536000, immutable",
        ),
        "app.js" => (
            include_str!("../../static/app.js"),
            "text/javascript",
            "public, max-age=300",
        ),
        "app.css" => (
            include_str!("../../static/app.css"),
            "text/css",
            "public, max-age=300",
        ),
        _ => return Err(AppError::NotFound),
    };
    Ok(HttpResponse::Ok()
        .insert_header((
            header::CONTENT_TYPE,
            format!("{content_type}; charset=utf-8"),
        ))
        .insert_header((header::CACHE_CONTROL, cache))
        .body(body))
}

/// The brand mark at 16x16 and 32x32 (drawn by `docs/make-favicon.py`). Browsers ask for it at
/// this fixed address, so its URL cannot change when it does: cached for 30 days, not forever.
async fn favicon() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "image/x-icon"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=2592000"))
        .body(&include_bytes!("../../static/favicon.ico")[..])
}
