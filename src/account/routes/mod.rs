//! My account: `GET /account`, `POST /account/password`, `POST /account/email` (and its
//! cancel, and `/email/confirm/{token}`, the link sent to the new address),
//! `POST /account/sign-out-everywhere`, and the change an expired password forces.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::service;
use crate::validation::FieldErrors;
use crate::web::request_meta::origin_of;
use crate::web::shell::{Nav, Shell};
use crate::web::{htmx, AppError, CurrentUser, State};

mod change_email;
mod change_password;
mod profile;

use change_email::*;
use change_password::*;
use profile::{own_sections, save_profile};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/account", web::get().to(show))
        .route("/account/password", web::post().to(change_password))
        .route("/account/email", web::post().to(change_email))
        .route("/account/profile", web::post().to(save_profile))
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
    pub pending_email: Option<crate::account::email::PendingEmail>,
    pub min_length: usize,
    pub has_totp: bool,
    pub recovery_codes_left: i64,
    /// The organization requires a second factor of one of this person's roles.
    pub mfa_required: bool,
    /// The fields the organization lets people edit themselves, in sections.
    pub field_sections: Vec<crate::fields::views::FieldSection>,
    /// Links to the organization's identity providers.
    pub links: Vec<crate::sso::views::LinkLine>,
    /// The organization's enabled providers not linked yet: (id, name).
    pub linkable: Vec<(i64, String)>,
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
    let (min_length, recovery_codes_left, pending_email, (identities, providers)) = state
        .db(move |conn| {
            Ok((
                crate::settings::store::policy(conn, org_id)?.min_length(),
                crate::mfa::store::recovery_codes_left(conn, user_id)?,
                crate::account::email::pending_email_change(conn, user_id, now)?,
                (
                    crate::sso::store::identities_of(conn, user_id)?,
                    crate::sso::store::providers(conn, org_id)?,
                ),
            ))
        })
        .await?;
    let linkable = providers
        .iter()
        .filter(|p| p.enabled && !identities.iter().any(|i| i.provider_id == p.id))
        .map(|p| (p.id, p.name.clone()))
        .collect();
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
        field_sections: own_sections(state, user, None).await?,
        links: identities
            .iter()
            .map(crate::sso::views::LinkLine::of)
            .collect(),
        linkable,
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
    /// After linking or unlinking an identity provider.
    #[serde(default)]
    sso: Option<String>,
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
        _ => match query.sso.as_deref() {
            Some("linked") => Some("Your account is linked: you can sign in with it now.".to_owned()),
            Some("unlinked") => Some("The link was removed.".to_owned()),
            _ => None,
        },
    };
    htmx::html(&page(&req, &state, &user, notice, FieldErrors::default()).await?)
}

pub async fn sign_out_everywhere(
    req: HttpRequest,
    state: State,
    session: Session,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let meta = origin_of(&req, &state.config.trusted_proxies);
    let (me, now) = (me(&user), state.clock.now());
    state
        .db(move |conn| Ok(service::sign_out_everywhere(conn, &me, &meta, now)?))
        .await?;
    session.purge();
    Ok(HttpResponse::SeeOther()
        .insert_header(("Location", "/login?signed_out=1"))
        .finish())
}
