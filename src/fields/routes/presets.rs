//! `POST /settings/fields/presets/{code}` and `POST /settings/fields/username`: the parts of
//! Settings → User fields that are not one field.

use actix_web::{web, HttpRequest, HttpResponse};

use super::{list, page};
use crate::auth::permissions::Permission;
use crate::fields::presets;
use crate::users::username;
use crate::web::errors::triage;
use crate::web::request_meta::origin_of;
use crate::web::{htmx, AppError, CurrentUser, State};

/// `POST /settings/fields/username`: whether everyone must have a username.
pub async fn require_username(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    pairs: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::DirectoryManage)?;
    let wanted = pairs
        .iter()
        .rev()
        .find(|(k, _)| k == "required")
        .is_some_and(|(_, v)| v == "1");
    let meta = origin_of(&req, &state.config.trusted_proxies);
    let (actor, org_id, now) = (user.actor(), user.org_id, state.clock.now());
    let without = state
        .db(move |conn| {
            Ok(username::require(
                conn,
                (&actor, org_id),
                wanted,
                &meta,
                now,
            )?)
        })
        .await?;
    let mut view = page(&req, &state, &user).await?;
    view.notice = Some(match (wanted, without) {
        (false, _) => "Usernames are optional.".to_owned(),
        (true, 0) => "Every user must have a username.".to_owned(),
        (true, n) => format!(
            "Every user must have a username. {n} have none yet: Edit User asks for one at their next save."
        ),
    });
    htmx::html(&view)
}

pub async fn apply_preset(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::DirectoryManage)?;
    let preset = presets::find(&path.into_inner()).ok_or(AppError::NotFound)?;
    let meta = origin_of(&req, &state.config.trusted_proxies);
    let (actor, org_id, now) = (user.actor(), user.org_id, state.clock.now());
    let created = state
        .db(move |conn| {
            triage(presets::apply(conn, (&actor, org_id), preset, &meta, now))?.map_err(|refused| {
                AppError::Conflict(format!("{} could not be applied: {refused}", preset.name))
            })
        })
        .await?;
    let message = match created.len() {
        0 => format!(
            "{}: every field exists already; nothing changed.",
            preset.name
        ),
        1 => format!("{} applied: 1 field created.", preset.name),
        n => format!("{} applied: {n} fields created.", preset.name),
    };
    if htmx::is_htmx(&req) {
        return htmx::replaced("#field-list", &list(&state, org_id).await?, &message);
    }
    let mut view = page(&req, &state, &user).await?;
    view.notice = Some(message);
    htmx::html(&view)
}
