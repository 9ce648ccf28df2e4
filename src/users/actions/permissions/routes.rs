//! `GET/POST /users/{id}/permissions` (`?copy_from=EMAIL` fills the dialog from another user).

use crate::web::errors::triage;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::service::{self, Access, AccessError};
use super::views::{
    AccessPreview, PermissionRow, PermissionsDialog, PreviewFragment, RoleBox, ScopeBox,
    ScopeChoice,
};
use super::{describe, Override};
use crate::auth::permissions::Permission;
use crate::users::actions::lifecycle::routes::editor_of;
use crate::users::authority::{self, Act};
use crate::web::request_meta::origin_of;
use crate::web::{htmx, AppError, CurrentUser, State};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/users/{id}/permissions", web::get().to(form))
        .route("/users/{id}/permissions", web::post().to(save))
        .route("/users/{id}/permissions/preview", web::post().to(preview));
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
            let all_roles = crate::orgs::catalog::load_roles(conn, editor.org_id)?;
            let products = crate::licenses::product_permissions::all(conn, editor.org_id)?;
            let rows = rows_of(&all_roles, &products, &shown, &allowed);
            let preview = AccessPreview::between(
                service::effective(&held, &all_roles),
                service::effective(&shown, &all_roles),
                &products,
            );
            let roles = all_roles
                .iter()
                .map(|role| RoleBox {
                    id: role.id,
                    name: role.name.clone(),
                    checked: shown.role_ids.contains(&role.id),
                    locked: !allowed.roles.contains(&role.id),
                })
                .collect();
            let supervisor = all_roles.iter().any(|role| {
                shown.role_ids.contains(&role.id)
                    && role.name == crate::auth::permissions::SUPERVISOR
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
            // A scoped editor gives only scoped access: their own scope is the starting point.
            let offered = shown.scope.as_ref().or(editor.scope.as_ref());
            let scope = scope_choice(conn, &editor, (&standing, read_only), offered)?;
            Ok(PermissionsDialog {
                scope,
                chat_access,
                user_id,
                name: format!("{} {}", target.first_name, target.last_name),
                version: target.version,
                roles,
                permissions: rows,
                preview,
                copy_from: String::new(),
                notice: None,
                error: None,
                read_only,
            })
        })
        .await
}

/// One row per permission (console, then each product's), as `shown` adds up.
fn rows_of(
    roles: &[crate::orgs::catalog::Role],
    products: &[crate::licenses::product_permissions::ProductPermission],
    shown: &Access,
    allowed: &service::Grantable,
) -> Vec<PermissionRow> {
    let console = Permission::ALL.into_iter().map(|p| {
        (
            p.as_str().to_owned(),
            describe(p).to_owned(),
            "Console".to_owned(),
        )
    });
    let product = products.iter().map(|p| {
        (
            p.stored_name(),
            format!("In {}", p.product),
            p.product.clone(),
        )
    });
    let mut last_group = String::new();
    console
        .chain(product)
        .map(|(name, description, group)| {
            let from_roles: Vec<String> = roles
                .iter()
                .filter(|r| shown.role_ids.contains(&r.id) && r.permissions.has_name(&name))
                .map(|r| r.name.clone())
                .collect();
            let choice = shown.overrides.get(&name).copied();
            let section = (group != last_group).then(|| group.clone());
            last_group = group;
            PermissionRow {
                label: crate::roles::label_of_name(&name, products),
                locked: !allowed.permissions.contains(&name),
                name,
                description,
                section,
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
            }
        })
        .collect()
}

/// The Manages part of the dialog.
fn scope_choice(
    conn: &mut crate::db::DbConn,
    editor: &crate::users::authority::Editor,
    (target, read_only): (&authority::Standing, bool),
    shown: Option<&crate::users::scope::Scope>,
) -> Result<ScopeChoice, AppError> {
    let mine = editor.scope.as_ref();
    let boxes = |all: Vec<(i64, String)>,
                 held: Option<&std::collections::BTreeSet<i64>>,
                 own: Option<&std::collections::BTreeSet<i64>>| {
        all.into_iter()
            .map(|(id, name)| ScopeBox {
                id,
                name,
                checked: held.is_some_and(|h| h.contains(&id)),
                locked: own.is_some_and(|o| !o.contains(&id)),
            })
            .collect::<Vec<_>>()
    };
    let divisions = crate::users::actions::edit::store::divisions(conn, editor.org_id)?;
    let teams: Vec<(i64, String)> = crate::groups::store::all(conn, editor.org_id)?
        .into_iter()
        .filter(|g| g.kind() == crate::groups::Kind::Team)
        .map(|g| (g.id, g.name))
        .collect();
    Ok(ScopeChoice {
        everyone: shown.is_none(),
        divisions: boxes(
            divisions,
            shown.map(|s| &s.divisions),
            mine.map(|s| &s.divisions),
        ),
        teams: boxes(teams, shown.map(|s| &s.teams), mine.map(|s| &s.teams)),
        locked: read_only || target.owner || authority::is_superuser(conn, target.id)?,
        everyone_locked: mine.is_some(),
    })
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
            if authority::visible_standing(conn, &editor, source).is_err() {
                return Ok(None);
            }
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
    let mut limited = crate::users::scope::Scope::default();
    let mut some = false;
    for (name, value) in pairs {
        let id = value.parse::<i64>();
        if name == "scope" {
            some = value == "some";
        } else if let ("scope_division", Ok(id)) = (name.as_str(), &id) {
            limited.divisions.insert(*id);
        } else if let ("scope_team", Ok(id)) = (name.as_str(), &id) {
            limited.teams.insert(*id);
        } else if name == "role" {
            if let Ok(id) = value.parse() {
                access.role_ids.insert(id);
            }
        } else if name == "version" {
            version = value.parse().unwrap_or(0);
        } else if let Some(permission) = name
            .strip_prefix("override_")
            .filter(|p| !crate::auth::permissions::Permissions::of_name(p).is_empty())
        {
            match Override::parse(value) {
                Some(o) => {
                    access.overrides.insert(permission.to_owned(), o);
                }
                None => {
                    access.overrides.remove(permission);
                }
            }
        }
    }
    access.scope = some.then_some(limited);
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

/// `POST /users/{id}/permissions/preview`: what the dialog's ticks would grant and revoke,
/// before the Save (the dialog asks on every change).
pub async fn preview(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    id: web::Path<i64>,
    pairs: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::UsersAccess)?;
    htmx::Fragment::of(&req)?;
    let user_id = id.into_inner();
    let (wanted, _) = access_of_form(&pairs);
    let editor = editor_of(&user);
    let preview = state
        .db(move |conn| {
            authority::ensure(conn, &editor, user_id, Act::Access)?;
            let held = service::access_of(conn, user_id)?;
            let allowed = service::grantable(conn, &editor)?;
            let shown = service::within_access(&held, &wanted, &allowed);
            let roles = crate::orgs::catalog::load_roles(conn, editor.org_id)?;
            let products = crate::licenses::product_permissions::all(conn, editor.org_id)?;
            Ok(AccessPreview::between(
                service::effective(&held, &roles),
                service::effective(&shown, &roles),
                &products,
            ))
        })
        .await?;
    htmx::html(&PreviewFragment { preview })
}
