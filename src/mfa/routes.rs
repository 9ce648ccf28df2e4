//! `GET/POST /login/mfa`, `POST /login/mfa/resend`, and **Reset MFA** on a user's row.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::service::{self, Verified};
use super::views::SecondStepPage;
use super::Method;
use crate::auth::routes::sign_in_session;
use crate::auth::session_store::{PendingSecondStep, Proof, PENDING_SECOND_STEP};
use crate::web::request_meta::origin_of;
use crate::web::{csrf, htmx, AppError, State};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/login/mfa", web::get().to(form))
        .route("/login/mfa", web::post().to(verify))
        .route("/login/mfa/resend", web::post().to(resend));
}

/// How long the second step may take after the password.
const PENDING_MINUTES: i64 = 10;

fn pending(session: &Session, state: &State) -> Option<(PendingSecondStep, Method)> {
    let pending: PendingSecondStep = session.get(PENDING_SECOND_STEP).ok().flatten()?;
    let age = state.clock.now().and_utc().timestamp() - pending.since;
    let method = Method::parse(&pending.method)?;
    (age < PENDING_MINUTES * 60).then_some((pending, method))
}

/// Back to the sign-in page, which says why (`notice` is one of the sign-in page's known
/// notices, never free text from a URL).
fn back_to_sign_in(notice: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", format!("/login?notice={notice}")))
        .finish()
}

fn page(
    req: &HttpRequest,
    pending: &PendingSecondStep,
    method: Method,
    error: Option<&str>,
    notice: Option<&str>,
) -> Result<HttpResponse, AppError> {
    let view = SecondStepPage {
        csrf: csrf::token(req),
        method: method.as_str(),
        masked_email: pending.email_hint.clone(),
        error: error.map(str::to_owned),
        notice: notice.map(str::to_owned),
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    htmx::html_with_status(&view, status)
}

const TIMED_OUT: &str = "timeout";

pub async fn form(
    req: HttpRequest,
    state: State,
    session: Session,
) -> Result<HttpResponse, AppError> {
    match pending(&session, &state) {
        Some((pending, method)) => page(&req, &pending, method, None, None),
        None => Ok(back_to_sign_in(TIMED_OUT)),
    }
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

pub async fn verify(
    req: HttpRequest,
    state: State,
    session: Session,
    form: web::Form<CodeForm>,
) -> Result<HttpResponse, AppError> {
    let Some((pending, method)) = pending(&session, &state) else {
        return Ok(back_to_sign_in(TIMED_OUT));
    };
    let meta = origin_of(&req, &state.config.trusted_proxies);
    let now = state.clock.now();
    if !state.login_limiter.allow(&state, &meta.ip, now).await? {
        let mut response = page(
            &req,
            &pending,
            method,
            Some("Too many attempts from your network. Wait a minute, then try again."),
            None,
        )?;
        *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
        return Ok(response);
    }
    let code = form.code.trim().to_owned();
    if code.is_empty() || code.len() > 20 {
        return page(&req, &pending, method, Some("Enter the code."), None);
    }
    let (user_id, base_url) = (pending.user_id, state.base_url.clone());
    let outcome = state
        .db(move |conn| {
            Ok(service::verify(
                conn, user_id, method, &code, &base_url, &meta, now,
            )?)
        })
        .await?;
    match outcome {
        Verified::SignedIn => {
            sign_in_session(&req, &session, pending.user_id, Proof::TwoFactor)?;
            let next = crate::auth::routes::landing(&state, pending.user_id, pending.next).await?;
            Ok(HttpResponse::SeeOther()
                .insert_header(("Location", next))
                .finish())
        }
        Verified::Wrong => page(
            &req,
            &pending,
            method,
            Some("That code is not right. Check it and try again."),
            None,
        ),
        Verified::CodeUsedUp => page(
            &req,
            &pending,
            method,
            Some("This code has expired or was tried too often. Send a new code."),
            None,
        ),
        Verified::Refused => {
            // The failure may have blocked the account and queued its unblock email.
            session.purge();
            Ok(back_to_sign_in("refused"))
        }
    }
}

pub async fn resend(
    req: HttpRequest,
    state: State,
    session: Session,
) -> Result<HttpResponse, AppError> {
    let Some((pending, method)) = pending(&session, &state) else {
        return Ok(back_to_sign_in(TIMED_OUT));
    };
    let now = state.clock.now();
    if method != Method::Email
        || !state
            .signup_email_limiter
            .allow(&state, &format!("mfa:{}", pending.user_id), now)
            .await?
    {
        return page(
            &req,
            &pending,
            method,
            Some("No new code was sent: wait a few minutes, then try again."),
            None,
        );
    }
    let user_id = pending.user_id;
    let sent = state
        .db(move |conn| {
            let Some(user) = crate::auth::store::login_candidate(conn, user_id)? else {
                return Ok(false);
            };
            service::send_email_code(conn, &user, now)?;
            Ok(true)
        })
        .await?;
    if !sent {
        session.purge();
        return Ok(back_to_sign_in(TIMED_OUT));
    }
    page(
        &req,
        &pending,
        method,
        None,
        Some("We sent a new code. Only the newest code works."),
    )
}
