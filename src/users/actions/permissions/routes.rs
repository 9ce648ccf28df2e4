//! `GET/POST /users/{id}/permissions` (`?copy_from=EMAIL` fills the dialog from another user).

use crate::web::errors::triage;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::service::{self, Access, AccessError};
use super::views::{PermissionRow, PermissionsDialog, RoleBox};
use super::{describe, Override};
use crate::auth::permissions::Permission;
use crate::users::actions::lifecycle::routes::editor_of;
use crate::users::authority::{self, Act};
use crate::web::request_meta::origin_of;
use crate::web::{htmx, AppError, CurrentUser, State};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/users/{id}/permissions", web::get().to(form))
        .route("/users/{id}/permissions", web::post().to(save));
}

pub const SAVED: &str = "Permissions have been updated.";

/// The dialog for `user_id`, showing `shown` (or what is stored).
async fn dialog(
    state: &State,
    user: &CurrentUser,
    user_id: i64,
    shown: Option<Access>,
) -> Result<PermissionsDialog, AppError> {
    let editor = editor_of(user);
    state
        .db(move |conn| {
            let target =
                crate::users::actions::edit::store::edit_row(conn, editor.org_id, user_id)?
                    .ok_or(AppError::NotFound)?;
            let standing = authority::ensure(conn, &editor, user_id, Act::Profile)?;
            let read_only = authority::check(&editor.standing(), &standing, Act::Access).is_err();
            let held = service::access_of(conn, user_id)?;
            let allowed = service::grantable(conn, &editor)?;
            let shown = shown.unwrap_or_else(|| held.clone());
            let all_roles = service::role_permissions_of(conn, editor.org_id)?;
            let permissions = Permission::ALL
                .into_iter()
                .map(|p| {
                    let from_roles: Vec<String> = all_roles
                        .iter()
                        .filter(|(id, _, given)| shown.role_ids.contains(id) && given.contains(&p))
                        .map(|(_, name, _)| name.clone())
                        .collect();
                    let choice = shown.overrides.get(p.as_str()).copied();
                    PermissionRow {
                        name: p.as_str(),
                        description: describe(p),
                        effective: match choice {
                            Some(Override::Grant) => true,
                            Some(Override::Deny) => false,
                            None => !from_roles.is_empty(),
                        },
                        from_roles,
                        choice: match choice {
                            Some(Override::Grant) => "grant",
                            Some(Override::Deny) => "deny",
                            None => "",
                        },
                        locked: !allowed.permissions.contains(p.as_str()),
                    }
                })
                .collect();
            let roles = all_roles
                .iter()
                .map(|(id, name, _)| RoleBox {
                    id: *id,
                    name: name.clone(),
                    checked: shown.role_ids.contains(id),
                    locked: !allowed.roles.contains(id),
                })
                .collect();
            let supervisor = all_roles.iter().any(|(id, name, _)| {
                shown.role_ids.contains(id) && name == crate::auth::permissions::SUPERVISOR
            });
            let chat_access = match (supervisor, target.chat_scope.as_str()) {
                (false, _) => "applies to Supervisors only.".to_owned(),
                (true, crate::users::actions::edit::CHAT_ASSIGNED) => {
                    let divisions = crate::users::actions::edit::store::divisions(conn, editor.org_id)?;
                    let assigned = crate::divisions::store::assigned(conn, user_id)?;
                    match crate::divisions::store::names(&divisions, &assigned) {
                        names if names.is_empty() => {
                            "Assigned divisions only, and none is assigned: no chats until Edit User assigns one.".to_owned()
                        }
                        names => format!("Assigned divisions only: {}.", names.join(", ")),
                    }
                }
                (true, _) => "All divisions.".to_owned(),
            };
            Ok(PermissionsDialog {
                chat_access,
                user_id,
                name: format!("{} {}", target.first_name, target.last_name),
                version: target.version,
                roles,
                permissions,
                copy_from: String::new(),
                notice: None,
                error: None,
                read_only,
            })
        })
        .await
}

#[derive(Deserialize)]
pub struct CopyQuery {
    #[serde(default)]
    copy_from: String,
}

pub async fn form(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    id: web::Path<i64>,
    query: web::Query<CopyQuery>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::UsersAccess)?;
    htmx::Fragment::of(&req)?;
    let user_id = id.into_inner();
    let email = crate::users::normalize_email(&query.copy_from);
    if email.is_empty() {
        return htmx::html(&dialog(&state, &user, user_id, None).await?);
    }
    // Copy: the other user's roles and overrides, as far as this editor may hand them out.
    let (editor, lookup) = (editor_of(&user), email.clone());
    let copied = state
        .db(move |conn| {
            use crate::db::schema::users;
            use diesel::prelude::*;
            let source: Option<i64> = users::table
                .filter(users::org_id.eq(editor.org_id))
                .filter(users::email.eq(&lookup))
                .select(users::id)
                .first(conn)
                .optional()?;
            let Some(source) = source.filter(|s| *s != user_id) else {
                return Ok(None);
            };
            let held = service::access_of(conn, user_id)?;
            let allowed = service::grantable(conn, &editor)?;
            let theirs = service::access_of(conn, source)?;
            Ok(Some(service::within_access(&held, &theirs, &allowed)))
        })
        .await?;
    let mut view = dialog(&state, &user, user_id, copied.clone()).await?;
    view.copy_from = query.copy_from.clone();
    match copied {
        Some(_) => {
            view.notice = Some(format!(
                "Copied the roles and permissions of {email} (as far as your own access allows). Review them, then Save."
            ))
        }
        None => {
            view.error = Some(format!(
                "No other user of your organization has the email {email}."
            ))
        }
    }
    htmx::html(&view)
}

fn access_of_form(pairs: &[(String, String)]) -> (Access, i32) {
    let mut access = Access::default();
    let mut version = 0;
    for (name, value) in pairs {
        if name == "role" {
            if let Ok(id) = value.parse() {
                access.role_ids.insert(id);
            }
        } else if name == "version" {
            version = value.parse().unwrap_or(0);
        } else if let Some(permission) = name.strip_prefix("override_").and_then(Permission::parse)
        {
            match Override::parse(value) {
                Some(o) => {
                    access.overrides.insert(permission.as_str(), o);
                }
                None => {
                    access.overrides.remove(permission.as_str());
                }
            }
        }
    }
    (access, version)
}

pub async fn save(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    id: web::Path<i64>,
    pairs: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::UsersAccess)?;
    let user_id = id.into_inner();
    let (wanted, version) = access_of_form(&pairs);
    let editor = editor_of(&user);
    let meta = origin_of(&req, &state.config.trusted_proxies);
    let now = state.clock.now();
    let saving = wanted.clone();
    let outcome = state
        .db(move |conn| {
            triage(service::save(
                conn, &editor, user_id, &saving, version, &meta, now,
            ))
        })
        .await?;
    match outcome {
        Ok(()) => Ok(htmx::changed(&req, SAVED)),
        Err(AccessError::Stale { by }) => {
            let mut view = dialog(&state, &user, user_id, None).await?;
            view.error = Some(format!(
                "{by} changed this user after you opened the dialog, so nothing was saved. Review the current roles and permissions below and save again."
            ));
            htmx::html_with_status(&view, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(error) => {
            let mut view = dialog(&state, &user, user_id, Some(wanted)).await?;
            view.error = Some(format!("{error} Nothing was saved."));
            htmx::html_with_status(&view, StatusCode::UNPROCESSABLE_ENTITY)
        }
    }
}
