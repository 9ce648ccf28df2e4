//! Changing one's password, and the change an expired password forces.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{check_current_password, me, page, refused};
use crate::account::service;
use crate::auth::password;
use crate::auth::routes::sign_in_session;
use crate::auth::session_store::Proof;
use crate::validation::FieldErrors;
use crate::web::current_user::WithExpiredPassword;
use crate::web::request_meta::origin_of;
use crate::web::{csrf, htmx, AppError, CurrentUser, State};

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
    let meta = origin_of(req, &state.config.trusted_proxies);
    let (me, now) = (me(user), state.clock.now());
    state
        .db(move |conn| Ok(service::change_password(conn, &me, &hash, &meta, now)?))
        .await?;
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
    /// An administrator set a temporary password (rather than the password growing old).
    temporary: bool,
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
    temporary: bool,
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
        temporary,
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
    expired_page(
        &req,
        user.temporary_password,
        &query.next,
        min_length,
        FieldErrors::default(),
    )
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
            expired_page(&req, user.temporary_password, &next, min_length, errors)
        }
        Ok(hash) => {
            save_password(&req, &state, &session, &user, hash).await?;
            Ok(HttpResponse::SeeOther()
                .insert_header(("Location", next))
                .finish())
        }
    }
}
