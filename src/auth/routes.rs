//! `GET/POST /login`, `POST /logout`.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::forms::{safe_next, LoginForm};
use super::session_store::USER_ID;
use super::{service, store};
use crate::auth::permissions::Permission;
use crate::users::normalize_email;
use crate::web::current_user::session_user_id;
use crate::web::request_meta::RequestMeta;
use crate::web::{csrf, htmx, AppError, CurrentUser, State};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/login", web::get().to(form))
        .route("/login", web::post().to(submit))
        .route("/logout", web::post().to(logout))
        .route("/unblock/{token}", web::get().to(unblock_form))
        .route("/unblock/{token}", web::post().to(unblock_by_link))
        .route("/users/{id}/unblock", web::get().to(confirm_unblock_user))
        .route("/users/{id}/unblock", web::post().to(unblock_user));
}

/// The one message for every failed sign-in, so nobody learns which emails have accounts.
pub const GENERIC_FAILURE: &str = "Incorrect email or password.";

#[derive(Deserialize)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
    #[serde(default)]
    signed_out: Option<String>,
}

pub async fn form(
    req: HttpRequest,
    session: Session,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, AppError> {
    if session_user_id(&session).is_some() {
        let target = safe_next(&query.next).unwrap_or("/users").to_owned();
        return Ok(HttpResponse::SeeOther()
            .insert_header(("Location", target))
            .finish());
    }
    htmx::html(&super::views::LoginPage {
        csrf: csrf::token(&req),
        email: String::new(),
        next: query.next.clone(),
        error: None,
        notice: query
            .signed_out
            .as_ref()
            .map(|_| "You have been signed out.".to_owned()),
    })
}

/// Starts an authenticated session: a new session id (the old one is discarded, against
/// fixation) and a new CSRF token.
pub fn sign_in_session(req: &HttpRequest, session: &Session, user_id: i64) -> Result<(), AppError> {
    session.renew();
    session
        .insert(USER_ID, user_id)
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("session: {e}")))?;
    csrf::rotate(req);
    Ok(())
}

pub async fn submit(
    req: HttpRequest,
    state: State,
    session: Session,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let now = state.clock.now();
    let meta = RequestMeta::of(&req, &state.config.trusted_proxies);
    let page = |error: &str, status: StatusCode| {
        htmx::html_with_status(
            &super::views::LoginPage {
                csrf: csrf::token(&req),
                email: form.email.clone(),
                next: form.next.clone(),
                error: Some(error.to_owned()),
                notice: None,
            },
            status,
        )
    };
    if !state.login_limiter.allow(&meta.ip, now) {
        let mut response = page(
            "Too many sign-in attempts from your network. Wait a minute, then try again.",
            StatusCode::TOO_MANY_REQUESTS,
        )?;
        response.headers_mut().insert(
            actix_web::http::header::RETRY_AFTER,
            actix_web::http::header::HeaderValue::from_static("60"),
        );
        return Ok(response);
    }
    let email = normalize_email(&form.email);
    if email.is_empty() || form.password.is_empty() || form.password.len() > 1024 {
        return page(GENERIC_FAILURE, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let lookup = email.clone();
    let candidate = state
        .db(move |conn| Ok(store::find_login_candidate(conn, &lookup)?))
        .await?;
    let stored_hash = candidate.as_ref().and_then(|c| c.password_hash.clone());
    let password_ok = state
        .hasher
        .verify(stored_hash, form.password.clone())
        .await?;
    let base_url = state.base_url.clone();
    let signed_in = state
        .db(move |conn| {
            Ok(service::finish_sign_in(
                conn,
                candidate.as_ref(),
                &email,
                password_ok,
                &base_url,
                &meta,
                now,
            )?)
        })
        .await?;
    match signed_in {
        Some(user_id) => {
            sign_in_session(&req, &session, user_id)?;
            let target = safe_next(&form.next).unwrap_or("/users").to_owned();
            Ok(HttpResponse::SeeOther()
                .insert_header(("Location", target))
                .finish())
        }
        None => {
            // A block may have queued its unblock email.
            state.mail_wakeup.notify_one();
            page(GENERIC_FAILURE, StatusCode::UNPROCESSABLE_ENTITY)
        }
    }
}

pub async fn logout(
    req: HttpRequest,
    state: State,
    session: Session,
) -> Result<HttpResponse, AppError> {
    if let Some(user_id) = session_user_id(&session) {
        let meta = RequestMeta::of(&req, &state.config.trusted_proxies);
        let now = state.clock.now();
        state
            .db(move |conn| Ok(service::record_sign_out(conn, user_id, &meta, now)?))
            .await?;
    }
    session.purge();
    let location = "/login?signed_out=1";
    if htmx::is_htmx(&req) {
        Ok(HttpResponse::Ok()
            .insert_header(("HX-Redirect", location))
            .finish())
    } else {
        Ok(HttpResponse::SeeOther()
            .insert_header(("Location", location))
            .finish())
    }
}

/// The emailed link shows a button: a GET never changes anything (mail scanners open links).
pub async fn unblock_form(
    req: HttpRequest,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    htmx::html(&super::views::UnblockPage {
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
    let meta = RequestMeta::of(&req, &state.config.trusted_proxies);
    let done = state
        .db(move |conn| Ok(service::unblock_by_link(conn, &secret, &meta, now)?))
        .await?;
    let page = super::views::UnblockPage {
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

pub async fn confirm_unblock_user(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::UsersManage)?;
    if !htmx::is_htmx(&req) {
        return Ok(HttpResponse::SeeOther()
            .insert_header(("Location", "/users"))
            .finish());
    }
    let (org_id, user_id) = (user.org_id, id.into_inner());
    let target = state
        .db(move |conn| Ok(store::session_user(conn, user_id)?.filter(|u| u.org_id == org_id)))
        .await?
        .ok_or(AppError::NotFound)?;
    htmx::html(&crate::invites::views::ConfirmPending {
        user_id,
        action: "unblock",
        title: "Unblock user?".into(),
        message: format!(
            "{} {} ({}) can sign in again, and their failed sign-in count starts from zero.",
            target.first_name, target.last_name, target.email
        ),
        button: "Unblock user",
        danger: false,
    })
}

pub async fn unblock_user(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::UsersManage)?;
    let user_id = id.into_inner();
    if user_id == user.id {
        return Err(AppError::Forbidden);
    }
    let (actor, org_id, now) = (user.actor(), user.org_id, state.clock.now());
    let meta = RequestMeta::of(&req, &state.config.trusted_proxies);
    let done = state
        .db(move |conn| {
            Ok(service::unblock(
                conn,
                Some(org_id),
                user_id,
                service::Unblocker::Actor(&actor),
                &meta,
                now,
            )?)
        })
        .await?;
    if !done {
        return Err(AppError::NotFound);
    }
    Ok(crate::invites::routes::changed(
        &req,
        "The user is unblocked and can sign in again.",
    ))
}
