//! My account: `GET /account`, `POST /account/password`, `POST /account/email` (and its
//! cancel, and `/email/confirm/{token}`, the link sent to the new address),
//! `POST /account/sign-out-everywhere`, and the change an expired password forces.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::service::{self, EmailError};
use crate::auth::password;
use crate::auth::routes::sign_in_session;
use crate::auth::session_store::Proof;
use crate::web::current_user::WithExpiredPassword;
use crate::web::form_errors::FieldErrors;
use crate::web::request_meta::RequestMeta;
use crate::web::shell::{Nav, Shell};
use crate::web::{csrf, htmx, AppError, CurrentUser, State};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/account", web::get().to(show))
        .route("/account/password", web::post().to(change_password))
        .route("/account/email", web::post().to(change_email))
        .route("/account/email/cancel", web::post().to(cancel_email_change))
        .route("/email/confirm/{token}", web::get().to(confirm_email_form))
        .route("/email/confirm/{token}", web::post().to(confirm_email))
        .route(
            "/account/password/expired",
            web::get().to(expired_password_form),
        )
        .route(
            "/account/password/expired",
            web::post().to(change_expired_password),
        )
        .route(
            "/account/sign-out-everywhere",
            web::post().to(sign_out_everywhere),
        );
    super::mfa::configure(cfg);
}

#[derive(Template)]
#[template(path = "account/page.html")]
pub struct AccountPage {
    pub shell: Shell,
    pub name: String,
    pub email: String,
    pub roles: String,
    pub notice: Option<String>,
    pub errors: FieldErrors,
    /// What was typed into the email form (after a refusal).
    pub new_email: String,
    /// A new address waiting for its confirmation link to be opened.
    pub pending_email: Option<service::PendingEmail>,
    pub min_length: usize,
    pub has_totp: bool,
    pub recovery_codes_left: i64,
    /// The organization requires a second factor of one of this person's roles.
    pub mfa_required: bool,
}

/// My account as stored now, with `notice` and `errors` to show.
pub async fn page(
    req: &HttpRequest,
    state: &State,
    user: &CurrentUser,
    notice: Option<String>,
    errors: FieldErrors,
) -> Result<AccountPage, AppError> {
    let (user_id, org_id) = (user.id, user.org_id);
    let now = state.clock.now();
    let (min_length, recovery_codes_left, pending_email) = state
        .db(move |conn| {
            Ok((
                crate::settings::store::policy(conn, org_id)?.min_length(),
                crate::mfa::store::recovery_codes_left(conn, user_id)?,
                service::pending_email_change(conn, user_id, now)?,
            ))
        })
        .await?;
    Ok(AccountPage {
        shell: Shell::new(req, user, Nav::Account),
        name: user.display_name(),
        email: user.email.clone(),
        roles: user.roles.join(", "),
        notice,
        errors,
        new_email: String::new(),
        pending_email,
        min_length,
        has_totp: user.has_totp,
        recovery_codes_left,
        mfa_required: user.mfa_required,
    })
}

/// The page again after a refused form: 422, messages beside the fields.
pub fn refused(view: &AccountPage) -> Result<HttpResponse, AppError> {
    htmx::html_with_status(view, StatusCode::UNPROCESSABLE_ENTITY)
}

pub fn me(user: &CurrentUser) -> service::Me {
    service::Me {
        actor: user.actor(),
        org_id: user.org_id,
        user_id: user.id,
        first_name: user.first_name.clone(),
    }
}

/// Checks the person's current password (re-entered before changing email, password or
/// two-step verification); a message beside `field` when it is wrong.
pub async fn check_current_password(
    state: &State,
    user: &CurrentUser,
    typed: &str,
    field: &'static str,
    errors: &mut FieldErrors,
) -> Result<(), AppError> {
    let user_id = user.id;
    let stored = state
        .db(move |conn| Ok(service::password_hash_of(conn, user_id)?))
        .await?;
    if typed.is_empty() || !state.hasher.verify(stored, typed.to_owned()).await? {
        errors.add(field, "This is not your current password.");
    }
    Ok(())
}

#[derive(Deserialize)]
pub struct NoticeQuery {
    #[serde(default)]
    changed: Option<String>,
}

pub async fn show(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    query: web::Query<NoticeQuery>,
) -> Result<HttpResponse, AppError> {
    let notice = match query.changed.as_deref() {
        Some("password") | Some("1") => {
            Some("Your password was changed. Your other sessions were signed out.".to_owned())
        }
        Some("email") => Some(
            "Check the inbox of your new address: your email address changes when you open the link we sent there.".to_owned(),
        ),
        Some("email-cancelled") => Some("The change of your email address was cancelled.".to_owned()),
        Some("totp-off") => Some("The authenticator app was removed.".to_owned()),
        _ => None,
    };
    htmx::html(&page(&req, &state, &user, notice, FieldErrors::default()).await?)
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

/// Checks a password change and hashes the new password; the messages otherwise.
async fn new_password_hash(
    state: &State,
    user: &CurrentUser,
    form: &PasswordForm,
) -> Result<Result<String, FieldErrors>, AppError> {
    let mut errors = FieldErrors::default();
    check_current_password(
        state,
        user,
        &form.current_password,
        "current_password",
        &mut errors,
    )
    .await?;
    let org_id = user.org_id;
    let min_length = state
        .db(move |conn| Ok(crate::settings::store::policy(conn, org_id)?.min_length()))
        .await?;
    let personal = [
        user.first_name.as_str(),
        user.last_name.as_str(),
        user.email.as_str(),
    ];
    password::check_new(
        &form.password,
        &form.password_confirm,
        min_length,
        &personal,
        &mut errors,
    );
    if errors.get("password").is_none() && form.password == form.current_password {
        errors.add(
            "password",
            "Choose a password different from the current one.",
        );
    }
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    Ok(Ok(state.hasher.hash(form.password.clone()).await?))
}

/// Saves the new password; every session ends and this browser gets a fresh one, as proven
/// as the one it replaces.
async fn save_password(
    req: &HttpRequest,
    state: &State,
    session: &Session,
    user: &CurrentUser,
    hash: String,
) -> Result<(), AppError> {
    let meta = RequestMeta::of(req, &state.config.trusted_proxies);
    let (me, now) = (me(user), state.clock.now());
    state
        .db(move |conn| Ok(service::change_password(conn, &me, &hash, &meta, now)?))
        .await?;
    state.mail_wakeup.notify_one();
    sign_in_session(req, session, user.id, Proof::of(session))
}

pub async fn change_password(
    req: HttpRequest,
    state: State,
    session: Session,
    user: CurrentUser,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, AppError> {
    match new_password_hash(&state, &user, &form).await? {
        Err(errors) => refused(&page(&req, &state, &user, None, errors).await?),
        Ok(hash) => {
            save_password(&req, &state, &session, &user, hash).await?;
            Ok(HttpResponse::SeeOther()
                .insert_header(("Location", "/account?changed=password"))
                .finish())
        }
    }
}

#[derive(Template)]
#[template(path = "account/expired.html")]
struct ExpiredPasswordPage {
    csrf: String,
    next: String,
    min_length: usize,
    errors: FieldErrors,
}

#[derive(Deserialize)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
}

fn expired_page(
    req: &HttpRequest,
    next: &str,
    min_length: usize,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let view = ExpiredPasswordPage {
        csrf: csrf::token(req),
        next: crate::auth::forms::safe_next(next)
            .unwrap_or("/")
            .to_owned(),
        min_length,
        errors,
    };
    htmx::html_with_status(&view, status)
}

pub async fn expired_password_form(
    req: HttpRequest,
    state: State,
    user: WithExpiredPassword,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, AppError> {
    let WithExpiredPassword(user) = user;
    if !user.password_expired {
        return Ok(HttpResponse::SeeOther()
            .insert_header(("Location", "/account"))
            .finish());
    }
    let org_id = user.org_id;
    let min_length = state
        .db(move |conn| Ok(crate::settings::store::policy(conn, org_id)?.min_length()))
        .await?;
    expired_page(&req, &query.next, min_length, FieldErrors::default())
}

#[derive(Deserialize)]
pub struct ExpiredForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
    #[serde(default)]
    next: String,
}

pub async fn change_expired_password(
    req: HttpRequest,
    state: State,
    session: Session,
    user: WithExpiredPassword,
    form: web::Form<ExpiredForm>,
) -> Result<HttpResponse, AppError> {
    let WithExpiredPassword(user) = user;
    let form = form.into_inner();
    let next = crate::auth::forms::safe_next(&form.next)
        .unwrap_or("/")
        .to_owned();
    let change = PasswordForm {
        current_password: form.current_password,
        password: form.password,
        password_confirm: form.password_confirm,
    };
    match new_password_hash(&state, &user, &change).await? {
        Err(errors) => {
            let org_id = user.org_id;
            let min_length = state
                .db(move |conn| Ok(crate::settings::store::policy(conn, org_id)?.min_length()))
                .await?;
            expired_page(&req, &next, min_length, errors)
        }
        Ok(hash) => {
            save_password(&req, &state, &session, &user, hash).await?;
            Ok(HttpResponse::SeeOther()
                .insert_header(("Location", next))
                .finish())
        }
    }
}

#[derive(Deserialize)]
pub struct EmailForm {
    #[serde(default)]
    new_email: String,
    #[serde(default)]
    email_password: String,
}

pub async fn change_email(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    form: web::Form<EmailForm>,
) -> Result<HttpResponse, AppError> {
    let mut errors = FieldErrors::default();
    let email = crate::users::normalize_email(&form.new_email);
    if !crate::users::is_valid_email(&email) {
        errors.add("new_email", "Enter an email address like name@example.com.");
    } else if email == user.email {
        errors.add("new_email", "This is your email address already.");
    }
    check_current_password(
        &state,
        &user,
        &form.email_password,
        "email_password",
        &mut errors,
    )
    .await?;
    if errors.is_empty() {
        let meta = RequestMeta::of(&req, &state.config.trusted_proxies);
        let (me, now, new_email) = (me(&user), state.clock.now(), email.clone());
        let base_url = state.base_url.clone();
        let outcome = state
            .db(move |conn| {
                match service::request_email_change(conn, &me, &new_email, &base_url, &meta, now) {
                    Ok(()) => Ok(Ok(())),
                    Err(EmailError::Database(e)) => Err(e.into()),
                    Err(other) => Ok(Err(other)),
                }
            })
            .await?;
        match outcome {
            Ok(()) => {
                state.mail_wakeup.notify_one();
                return Ok(HttpResponse::SeeOther()
                    .insert_header(("Location", "/account?changed=email"))
                    .finish());
            }
            Err(error) => errors.add("new_email", error.to_string()),
        }
    }
    let mut view = page(&req, &state, &user, None, errors).await?;
    view.new_email = form.new_email.clone();
    refused(&view)
}

pub async fn cancel_email_change(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let meta = RequestMeta::of(&req, &state.config.trusted_proxies);
    let (me, now) = (me(&user), state.clock.now());
    state
        .db(move |conn| Ok(service::cancel_email_change(conn, &me, &meta, now)?))
        .await?;
    Ok(HttpResponse::SeeOther()
        .insert_header(("Location", "/account?changed=email-cancelled"))
        .finish())
}

/// The link sent to the new address, and what came of it.
#[derive(Template)]
#[template(path = "account/confirm_email.html")]
pub struct ConfirmEmailPage {
    pub csrf: String,
    pub token: String,
    pub step: ConfirmStep,
}

pub enum ConfirmStep {
    /// Not pressed yet: from which address to which.
    Ask {
        old: String,
        new: String,
    },
    Done(service::Confirmed),
}

/// A button first: a GET never changes anything (mail scanners open links).
pub async fn confirm_email_form(
    req: HttpRequest,
    state: State,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (secret, now) = (token.into_inner(), state.clock.now());
    let lookup = secret.clone();
    let link = state
        .db(move |conn| Ok(service::look_up_email_change(conn, &lookup, now)?))
        .await?;
    let (step, status) = match link {
        Some(link) => (
            ConfirmStep::Ask {
                old: link.user.email,
                new: link.new_email,
            },
            StatusCode::OK,
        ),
        None => (
            ConfirmStep::Done(service::Confirmed::Gone),
            StatusCode::GONE,
        ),
    };
    let page = ConfirmEmailPage {
        csrf: csrf::token(&req),
        token: secret,
        step,
    };
    htmx::html_with_status(&page, status)
}

pub async fn confirm_email(
    req: HttpRequest,
    state: State,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (secret, now) = (token.into_inner(), state.clock.now());
    let meta = RequestMeta::of(&req, &state.config.trusted_proxies);
    let done = state
        .db(move |conn| Ok(service::confirm_email_change(conn, &secret, &meta, now)?))
        .await?;
    let status = match done {
        service::Confirmed::Changed(_) => {
            state.mail_wakeup.notify_one();
            StatusCode::OK
        }
        service::Confirmed::Taken(_) => StatusCode::CONFLICT,
        service::Confirmed::Gone => StatusCode::GONE,
    };
    let page = ConfirmEmailPage {
        csrf: csrf::token(&req),
        token: String::new(),
        step: ConfirmStep::Done(done),
    };
    htmx::html_with_status(&page, status)
}

pub async fn sign_out_everywhere(
    req: HttpRequest,
    state: State,
    session: Session,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let meta = RequestMeta::of(&req, &state.config.trusted_proxies);
    let (me, now) = (me(&user), state.clock.now());
    state
        .db(move |conn| Ok(service::sign_out_everywhere(conn, &me, &meta, now)?))
        .await?;
    session.purge();
    Ok(HttpResponse::SeeOther()
        .insert_header(("Location", "/login?signed_out=1"))
        .finish())
}
