//! `GET /account`, `POST /account/password`, `POST /account/sign-out-everywhere`.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::service;
use crate::auth::password;
use crate::auth::routes::sign_in_session;
use crate::web::form_errors::FieldErrors;
use crate::web::request_meta::RequestMeta;
use crate::web::shell::{Nav, Shell};
use crate::web::{htmx, AppError, CurrentUser, State};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/account", web::get().to(show))
        .route("/account/password", web::post().to(change_password))
        .route(
            "/account/sign-out-everywhere",
            web::post().to(sign_out_everywhere),
        );
}

#[derive(Template)]
#[template(path = "account/page.html")]
struct AccountPage {
    shell: Shell,
    name: String,
    email: String,
    roles: String,
    notice: Option<String>,
    errors: FieldErrors,
}

fn page(
    req: &HttpRequest,
    user: &CurrentUser,
    notice: Option<String>,
    errors: FieldErrors,
) -> AccountPage {
    AccountPage {
        shell: Shell::new(req, user, Nav::Account),
        name: user.display_name(),
        email: user.email.clone(),
        roles: user.roles.join(", "),
        notice,
        errors,
    }
}

fn me(user: &CurrentUser) -> service::Me {
    service::Me {
        actor: user.actor(),
        org_id: user.org_id,
        user_id: user.id,
        first_name: user.first_name.clone(),
    }
}

#[derive(Deserialize)]
pub struct NoticeQuery {
    #[serde(default)]
    changed: Option<String>,
}

pub async fn show(
    req: HttpRequest,
    user: CurrentUser,
    query: web::Query<NoticeQuery>,
) -> Result<HttpResponse, AppError> {
    let notice = query
        .changed
        .as_ref()
        .map(|_| "Your password was changed. Your other sessions were signed out.".to_owned());
    htmx::html(&page(&req, &user, notice, FieldErrors::default()))
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

pub async fn change_password(
    req: HttpRequest,
    state: State,
    session: Session,
    user: CurrentUser,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, AppError> {
    let user_id = user.id;
    let stored = state
        .db(move |conn| Ok(service::password_hash_of(conn, user_id)?))
        .await?;
    let mut errors = FieldErrors::default();
    if !state
        .hasher
        .verify(stored, form.current_password.clone())
        .await?
    {
        errors.add("current_password", "This is not your current password.");
    }
    let personal = [
        user.first_name.as_str(),
        user.last_name.as_str(),
        user.email.as_str(),
    ];
    password::check_new(
        &form.password,
        &form.password_confirm,
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
        return htmx::html_with_status(
            &page(&req, &user, None, errors),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    let hash = state.hasher.hash(form.password.clone()).await?;
    let meta = RequestMeta::of(&req, &state.config.trusted_proxies);
    let (me, now) = (me(&user), state.clock.now());
    state
        .db(move |conn| Ok(service::change_password(conn, &me, &hash, &meta, now)?))
        .await?;
    state.mail_wakeup.notify_one();
    // Every session ended, this one included; this browser gets a fresh one.
    sign_in_session(&req, &session, user_id)?;
    Ok(HttpResponse::SeeOther()
        .insert_header(("Location", "/account?changed=1"))
        .finish())
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
