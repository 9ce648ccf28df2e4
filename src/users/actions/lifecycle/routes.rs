//! `GET/POST /users/{id}/delete`, `POST /users/{id}/activate`, `POST /users/{id}/deactivate`,
//! and `GET /users/lookup` (suggestions for a new owner's email).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::service::{self, LifecycleError, Reassign};
use super::views::{DeleteDialog, PeopleOptions};
use super::{describe_owned_by_workspace, store};
use crate::auth::permissions::Permission;
use crate::users::authority::{self, Act, Editor};
use crate::users::forms::ListQuery;
use crate::web::errors::{triage, ServiceError};
use crate::web::request_meta::origin_of;
use crate::web::{htmx, AppError, CurrentUser, State};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/users/lookup", web::get().to(lookup))
        .route("/users/{id}/delete", web::get().to(confirm_delete))
        .route("/users/{id}/delete", web::post().to(delete))
        .route("/users/{id}/activate", web::post().to(activate))
        .route("/users/{id}/deactivate", web::post().to(deactivate));
}

pub fn editor_of(user: &CurrentUser) -> Editor {
    Editor {
        id: user.id,
        org_id: user.org_id,
        email: user.email.clone(),
        permissions: user.permissions,
        owner: user.is_owner(),
        scope: user.scope.clone(),
    }
}

/// A refused rule as the person sees it (a toast for htmx): nothing was changed.
pub fn refusal(error: LifecycleError) -> AppError {
    match error {
        LifecycleError::NotFound => AppError::NotFound,
        LifecycleError::Database(e) => e.into(),
        LifecycleError::Refused(refusal) => refusal.into(),
        other => AppError::Conflict(format!("{other} Nothing was changed.")),
    }
}

/// A lifecycle error the dialog shows again (a reassignment that cannot be) stays; the rest
/// are answered by the error pages.
impl ServiceError for LifecycleError {
    fn sort(self) -> Result<Self, AppError> {
        match self {
            shown @ LifecycleError::Invalid(_) => Ok(shown),
            other => Err(refusal(other)),
        }
    }
}

async fn dialog(state: &State, user: &CurrentUser, user_id: i64) -> Result<DeleteDialog, AppError> {
    let (org_id, editor) = (user.org_id, editor_of(user));
    let (target, licenses, owned) = state
        .db(move |conn| {
            authority::ensure(conn, &editor, user_id, Act::Delete)?;
            let target = store::snapshot(conn, org_id, user_id)?.ok_or(AppError::NotFound)?;
            Ok((
                target,
                store::license_names(conn, user_id)?,
                store::owned_by_workspace(conn, user_id)?,
            ))
        })
        .await?;
    Ok(DeleteDialog {
        user_id,
        name: format!("{} {}", target.first_name, target.last_name),
        first_name: target.first_name,
        email: target.email,
        licenses,
        owned: describe_owned_by_workspace(&owned),
        reassign_email: String::new(),
        leave_unassigned: false,
        reassign_error: None,
        can_deactivate: target.status == crate::users::status::ACTIVE,
    })
}

pub async fn confirm_delete(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::UsersDelete)?;
    htmx::Fragment::of(&req)?;
    htmx::html(&dialog(&state, &user, id.into_inner()).await?)
}

#[derive(Deserialize)]
pub struct DeleteForm {
    /// "user" or "nobody".
    #[serde(default)]
    reassign: String,
    #[serde(default)]
    reassign_email: String,
}

pub async fn delete(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    id: web::Path<i64>,
    form: web::Form<DeleteForm>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::UsersDelete)?;
    let user_id = id.into_inner();
    let form = form.into_inner();
    let editor = editor_of(&user);
    let meta = origin_of(&req, &state.config.trusted_proxies);
    let now = state.clock.now();
    let (leave, email) = (form.reassign != "user", form.reassign_email.clone());
    let outcome = state
        .db(move |conn| {
            let reassign = if leave {
                Ok(Reassign::Nobody)
            } else {
                service::reassign_target(conn, &editor, &email, &[user_id])
            };
            triage(reassign.and_then(|to| service::delete(conn, &editor, user_id, to, &meta, now)))
        })
        .await?;
    match outcome {
        Ok(done) => {
            let handed = done.records;
            let moved = match (handed.moved, handed.unassigned) {
                (0, 0) => String::new(),
                (_, n) if leave => format!(" {n} records are now unassigned."),
                (moved, 0) => format!(" {moved} records went to {}.", form.reassign_email.trim()),
                (moved, n) => format!(
                    " {moved} records went to {}; {n} in workspaces they do not belong to are now unassigned.",
                    form.reassign_email.trim()
                ),
            };
            Ok(htmx::changed(
                &req,
                &format!("{} was deleted.{moved}", done.email),
            ))
        }
        Err(shown) => {
            let mut view = dialog(&state, &user, user_id).await?;
            view.reassign_email = form.reassign_email;
            view.leave_unassigned = leave;
            view.reassign_error = Some(shown.to_string());
            htmx::html_with_status(&view, StatusCode::UNPROCESSABLE_ENTITY)
        }
    }
}

async fn set_active(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    user_id: i64,
    active: bool,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::UsersStatus)?;
    let editor = editor_of(&user);
    let meta = origin_of(&req, &state.config.trusted_proxies);
    let now = state.clock.now();
    state
        .db(move |conn| {
            service::set_active(conn, &editor, user_id, active, &meta, now).map_err(refusal)
        })
        .await?;
    Ok(htmx::changed(
        &req,
        if active {
            "The user is active again. Give them licenses with Edit."
        } else {
            "The user was deactivated: signed out, and their licenses were released."
        },
    ))
}

pub async fn activate(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    set_active(req, state, user, id.into_inner(), true).await
}

pub async fn deactivate(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    set_active(req, state, user, id.into_inner(), false).await
}

#[derive(Deserialize)]
pub struct LookupQuery {
    #[serde(default, alias = "reassign_email", alias = "copy_from")]
    q: String,
}

/// Up to eight active users whose name or email contains what was typed (3+ characters), as
/// `<option>`s for a datalist.
pub async fn lookup(
    state: State,
    user: CurrentUser,
    query: web::Query<LookupQuery>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::UsersView)?;
    let typed = query.q.trim().to_lowercase();
    if typed.chars().count() < 3 {
        return htmx::html(&PeopleOptions { people: Vec::new() });
    }
    let org_id = user.org_id;
    let list = ListQuery::from_pairs(&[("q".into(), typed)])
        .seen_by(user.scope.as_ref(), state.clock.now());
    let rows = state
        .db(move |conn| {
            Ok(crate::users::store::list_chunk(
                conn,
                org_id,
                &list,
                25,
                crate::users::store::Columns::Page,
            )?
            .0)
        })
        .await?;
    let people = rows
        .into_iter()
        .filter(|r| r.status == crate::users::status::ACTIVE && r.locked_at.is_none())
        .take(8)
        .map(|r| (r.email, format!("{} {}", r.first_name, r.last_name)))
        .collect();
    htmx::html(&PeopleOptions { people })
}
