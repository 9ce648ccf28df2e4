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
        .route("/password/forgot", web::get().to(forgot_form))
        .route("/password/forgot", web::post().to(forgot))
        .route("/password/reset/{token}", web::get().to(reset_form))
        .route("/password/reset/{token}", web::post().to(reset))
        .route("/unblock/{token}", web::get().to(unblock_form))
        .route("/unblock/{token}", web::post().to(unblock_by_link))
        .route(
            "/users/{id}/reset-password",
            web::get().to(confirm_reset_password),
        )
        .route("/users/{id}/reset-password", web::post().to(reset_password))
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
    #[serde(default)]
    reset: Option<String>,
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
        notice: match (&query.signed_out, &query.reset) {
            (_, Some(_)) => {
                Some("Your password was changed. Sign in with your new password.".to_owned())
            }
            (Some(_), None) => Some("You have been signed out.".to_owned()),
            (None, None) => None,
        },
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

/// A confirmation dialog about one user of the manager's organization (404 for any other).
async fn confirm_about_user(
    req: &HttpRequest,
    state: &State,
    user: &CurrentUser,
    user_id: i64,
    dialog: impl FnOnce(store::SessionUserRow) -> crate::invites::views::ConfirmPending,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::UsersManage)?;
    if !htmx::is_htmx(req) {
        return Ok(HttpResponse::SeeOther()
            .insert_header(("Location", "/users"))
            .finish());
    }
    let org_id = user.org_id;
    let target = state
        .db(move |conn| Ok(store::session_user(conn, user_id)?.filter(|u| u.org_id == org_id)))
        .await?
        .ok_or(AppError::NotFound)?;
    htmx::html(&dialog(target))
}

pub async fn confirm_unblock_user(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let user_id = id.into_inner();
    confirm_about_user(&req, &state, &user, user_id, |target| {
        crate::invites::views::ConfirmPending {
            user_id,
            action: "unblock",
            title: "Unblock user?".into(),
            message: format!(
                "{} {} ({}) can sign in again, and their failed sign-in count starts from zero.",
                target.first_name, target.last_name, target.email
            ),
            button: "Unblock user",
            danger: false,
        }
    })
    .await
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

pub async fn forgot_form(req: HttpRequest) -> Result<HttpResponse, AppError> {
    htmx::html(&super::views::ForgotPage {
        csrf: csrf::token(&req),
        email: String::new(),
        sent: false,
        error: None,
    })
}

#[derive(Deserialize)]
pub struct ForgotForm {
    #[serde(default)]
    email: String,
}

pub async fn forgot(
    req: HttpRequest,
    state: State,
    form: web::Form<ForgotForm>,
) -> Result<HttpResponse, AppError> {
    let email = normalize_email(&form.email);
    let page = |sent: bool, error: Option<String>, status: StatusCode| {
        let page = super::views::ForgotPage {
            csrf: csrf::token(&req),
            email: form.email.clone(),
            sent,
            error,
        };
        htmx::html_with_status(&page, status)
    };
    if !crate::users::is_valid_email(&email) {
        return page(
            false,
            Some("Enter an email address like name@example.com.".into()),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    let meta = RequestMeta::of(&req, &state.config.trusted_proxies);
    let now = state.clock.now();
    if !state.signup_ip_limiter.allow(&meta.ip, now)
        || !state
            .signup_email_limiter
            .allow(&format!("reset:{email}"), now)
    {
        return page(
            false,
            Some("Too many requests. Wait a few minutes, then try again.".into()),
            StatusCode::TOO_MANY_REQUESTS,
        );
    }
    let base_url = state.base_url.clone();
    if state
        .db(move |conn| Ok(super::reset::request(conn, &email, &base_url, now)?))
        .await?
    {
        state.mail_wakeup.notify_one();
    }
    page(true, None, StatusCode::OK)
}

pub async fn reset_form(
    req: HttpRequest,
    state: State,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let secret = token.into_inner();
    let (lookup, now) = (secret.clone(), state.clock.now());
    let found = state
        .db(move |conn| Ok(super::reset::look_up(conn, &lookup, now)?))
        .await?;
    reset_page(&req, secret, found, Default::default())
}

fn reset_page(
    req: &HttpRequest,
    token: String,
    found: Option<(String, String, String)>,
    errors: crate::web::form_errors::FieldErrors,
) -> Result<HttpResponse, AppError> {
    let valid = found.is_some();
    let (first, last, email) = found.unwrap_or_default();
    let status = match (valid, errors.is_empty()) {
        (false, _) => StatusCode::GONE,
        (true, true) => StatusCode::OK,
        (true, false) => StatusCode::UNPROCESSABLE_ENTITY,
    };
    let page = super::views::ResetPage {
        csrf: csrf::token(req),
        token,
        name: format!("{first} {last}"),
        email,
        errors,
        valid,
    };
    htmx::html_with_status(&page, status)
}

#[derive(Deserialize)]
pub struct NewPasswordForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

pub async fn reset(
    req: HttpRequest,
    state: State,
    token: web::Path<String>,
    form: web::Form<NewPasswordForm>,
) -> Result<HttpResponse, AppError> {
    let secret = token.into_inner();
    let (lookup, now) = (secret.clone(), state.clock.now());
    let found = state
        .db(move |conn| Ok(super::reset::look_up(conn, &lookup, now)?))
        .await?;
    let Some((first, last, email)) = found.clone() else {
        return reset_page(&req, secret, None, Default::default());
    };
    let mut errors = crate::web::form_errors::FieldErrors::default();
    super::password::check_new(
        &form.password,
        &form.password_confirm,
        &[&first, &last, &email],
        &mut errors,
    );
    if !errors.is_empty() {
        return reset_page(&req, secret, found, errors);
    }
    let hash = state.hasher.hash(form.password.clone()).await?;
    let meta = RequestMeta::of(&req, &state.config.trusted_proxies);
    let done = state
        .db(move |conn| Ok(super::reset::complete(conn, &secret, &hash, &meta, now)?))
        .await?;
    if !done {
        return reset_page(&req, String::new(), None, Default::default());
    }
    state.mail_wakeup.notify_one();
    Ok(HttpResponse::SeeOther()
        .insert_header(("Location", "/login?reset=1"))
        .finish())
}

pub async fn confirm_reset_password(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let user_id = id.into_inner();
    confirm_about_user(&req, &state, &user, user_id, |target| crate::invites::views::ConfirmPending {
        user_id,
        action: "reset-password",
        title: "Reset password?".into(),
        message: format!(
            "{} {} gets an email at {} with a link to choose a new password (valid for one hour). Their current password keeps working until they use it.",
            target.first_name, target.last_name, target.email
        ),
        button: "Reset Password",
        danger: false,
    })
    .await
}

pub async fn reset_password(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::UsersManage)?;
    let user_id = id.into_inner();
    let (actor, org_id, now, base_url) = (
        user.actor(),
        user.org_id,
        state.clock.now(),
        state.base_url.clone(),
    );
    let meta = RequestMeta::of(&req, &state.config.trusted_proxies);
    let sent = state
        .db(move |conn| {
            Ok(super::reset::send_for_user(
                conn, &actor, org_id, user_id, &base_url, &meta, now,
            )?)
        })
        .await?;
    if !sent {
        return Err(AppError::NotFound);
    }
    state.mail_wakeup.notify_one();
    Ok(crate::invites::routes::changed(
        &req,
        "A password reset link was emailed to the user.",
    ))
}
