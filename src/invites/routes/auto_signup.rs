//! The auto-signup switch: confirm, then turn automatic sign-up on or off.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::super::service;
use super::super::views::{ConfirmSignup, SignupControls};
use crate::auth::permissions::Permission;
use crate::web::htmx;
use crate::web::request_meta::origin_of;
use crate::web::{AppError, CurrentUser, State};

/// `allow=1` or `allow=0`; a missing value is refused by the handler after the permission
/// check (an extractor error would answer 400 to someone without the permission).
#[derive(Deserialize)]
pub struct AllowForm {
    #[serde(default)]
    allow: String,
}

pub async fn confirm_auto_signup(
    req: HttpRequest,
    user: CurrentUser,
    query: web::Query<AllowForm>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::SettingsManage)?;
    htmx::Fragment::of(&req)?;
    htmx::html(&ConfirmSignup {
        allow: query.allow == "1",
    })
}

pub async fn set_auto_signup(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    form: web::Form<AllowForm>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::SettingsManage)?;
    let allow = match form.allow.as_str() {
        "1" => true,
        "0" => false,
        _ => return Err(AppError::BadRequest("Choose on or off.".into())),
    };
    let meta = origin_of(&req, &state.config.trusted_proxies);
    let (actor, org_id, now) = (user.actor(), user.org_id, state.clock.now());
    state
        .db(move |conn| {
            Ok(service::set_auto_signup(
                conn, &actor, org_id, allow, &meta, now,
            )?)
        })
        .await?;
    let message = if allow {
        "Users can now sign up automatically."
    } else {
        "Automatic sign-up is off. You can now invite users."
    };
    let controls = SignupControls {
        allow_auto_signup: allow,
        can_change: true,
        can_invite: user.can(Permission::UsersInvite),
        can_create: user.can(Permission::UsersInvite) && user.can(Permission::UsersEdit),
    };
    htmx::Hx::new()
        .toast(htmx::ToastKind::Success, message)
        .close_dialog()
        .on(htmx::html(&controls)?)
}
