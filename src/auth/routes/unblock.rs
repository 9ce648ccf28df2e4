//! Unblocking: the emailed link, and **Unblock user** by an administrator; plus the shared
//! confirmation of per-user admin actions.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use crate::auth::service;
use crate::web::request_meta::origin_of;
use crate::web::{csrf, htmx, AppError, State};

/// The emailed link shows a button: a GET never changes anything (mail scanners open links).
pub async fn unblock_form(
    req: HttpRequest,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    htmx::html(&crate::auth::views::UnblockPage {
        csrf: csrf::token(&req),
        token: token.into_inner(),
        done: None,
    })
}

pub async fn unblock_by_link(
    req: HttpRequest,
    state: State,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (secret, now) = (token.into_inner(), state.clock.now());
    let meta = origin_of(&req, &state.config.trusted_proxies);
    let done = state
        .db(move |conn| Ok(service::unblock_by_link(conn, &secret, &meta, now)?))
        .await?;
    let page = crate::auth::views::UnblockPage {
        csrf: csrf::token(&req),
        token: String::new(),
        done: Some(done),
    };
    htmx::html_with_status(
        &page,
        if done {
            StatusCode::OK
        } else {
            StatusCode::GONE
        },
    )
}
