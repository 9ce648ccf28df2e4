//! The workspace switcher in the header: once the organization has a second workspace, each
//! person who manages one (its Owners and Managers, or administrators of the whole
//! organization's access) switches between them; the choice is remembered per person and
//! opens that workspace's Users page.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use diesel::prelude::*;

use crate::auth::permissions::Permission;
use crate::db::schema::{current_workspaces, workspace_members, workspaces};
use crate::db::DbConn;
use crate::web::{csrf, htmx, AppError, CurrentUser, State};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/workspaces/switcher", web::get().to(switcher))
        .route("/workspaces/switch", web::post().to(switch));
}

#[derive(Template)]
#[template(path = "workspaces/_switcher.html")]
struct Switcher {
    csrf: String,
    /// (id, name, the one remembered)
    options: Vec<(i64, String, bool)>,
}

/// The active workspaces a person manages, by name: every one for an administrator of the
/// whole organization's access, else those where they are an Owner or a Manager.
pub fn managed_by(
    conn: &mut DbConn,
    (org_id, user_id): (i64, i64),
    everywhere: bool,
) -> QueryResult<Vec<(i64, String)>> {
    let active = workspaces::table
        .filter(workspaces::org_id.eq(org_id))
        .filter(workspaces::archived_at.is_null())
        .order(workspaces::name_key)
        .select((workspaces::id, workspaces::name));
    if everywhere {
        return active.load(conn);
    }
    let theirs = workspace_members::table
        .filter(workspace_members::user_id.eq(user_id))
        .filter(workspace_members::level.eq_any(["owner", "manager"]))
        .select(workspace_members::workspace_id);
    active.filter(workspaces::id.eq_any(theirs)).load(conn)
}

fn everywhere(user: &CurrentUser) -> bool {
    user.can(Permission::UsersAccess) && user.scope.is_none()
}

/// `GET /workspaces/switcher`: the header's switcher (empty when there is nothing to switch).
async fn switcher(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    htmx::Fragment::of(&req)?;
    if !user.several_workspaces {
        return Ok(HttpResponse::Ok().finish());
    }
    let me = (user.org_id, user.id);
    let all = everywhere(&user);
    let managed = state.db(move |conn| Ok(managed_by(conn, me, all)?)).await?;
    if managed.is_empty() {
        return Ok(HttpResponse::Ok().finish());
    }
    let current = user
        .workspace_id
        .filter(|id| managed.iter().any(|(m, _)| m == id))
        .unwrap_or(managed[0].0);
    htmx::html(&Switcher {
        csrf: csrf::token(&req),
        options: managed
            .into_iter()
            .map(|(id, name)| (id, name, id == current))
            .collect(),
    })
}

/// `POST /workspaces/switch`: remembers the choice and opens the workspace's Users page; a
/// workspace they do not manage is not found.
async fn switch(
    state: State,
    user: CurrentUser,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let id: i64 = form
        .iter()
        .rev()
        .find(|(k, _)| k == "workspace")
        .and_then(|(_, v)| v.parse().ok())
        .ok_or(AppError::NotFound)?;
    let me = (user.org_id, user.id);
    let all = everywhere(&user);
    state
        .db(move |conn| {
            if !managed_by(conn, me, all)?.iter().any(|(m, _)| *m == id) {
                return Err(AppError::NotFound);
            }
            let updated = diesel::update(current_workspaces::table.find(me.1))
                .set(current_workspaces::workspace_id.eq(id))
                .execute(conn)?;
            if updated == 0 {
                diesel::insert_into(current_workspaces::table)
                    .values((
                        current_workspaces::user_id.eq(me.1),
                        current_workspaces::workspace_id.eq(id),
                    ))
                    .execute(conn)?;
            }
            Ok(())
        })
        .await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/workspaces/{id}/users"),
        ))
        .finish())
}
