//! `/api/v1/workspaces`: the organization's workspaces, and each one's members for whoever
//! manages it (the workspace's Owners and Managers, or administrators of the organization's
//! access) — ADD USER, EDIT and Revoke Access through the very use cases of the workspace's
//! Users page (`workspaces::members::service`), audited as the token.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::caller::Caller;
use super::problem::Problem;
use super::tokens::Scope;
use crate::auth::permissions::Permission;
use crate::db::DbConn;
use crate::users::forms::{ListQuery, Page};
use crate::web::State;
use crate::workspaces::members::handover::{self, HandOver};
use crate::workspaces::members::service::{self, Added, MemberError, Steward};
use crate::workspaces::{store, Level, Membership, Restriction};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v1/workspaces", web::get().to(list))
        .route("/api/v1/workspaces/{id}/members", web::get().to(members))
        .route("/api/v1/workspaces/{id}/members", web::post().to(add))
        .route(
            "/api/v1/workspaces/{id}/members/{member}",
            web::put().to(update),
        )
        .route(
            "/api/v1/workspaces/{id}/members/{member}",
            web::delete().to(revoke),
        );
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WorkspaceOut {
    pub id: i64,
    pub name: String,
    /// Archived workspaces keep their records; nobody works in them.
    pub archived: bool,
    pub members: i64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MemberOut {
    pub user_id: i64,
    pub email: String,
    pub name: String,
    /// `active`, `inactive` or `invited` (pending until the invitation is accepted).
    pub status: String,
    /// `owner`, `manager` or `agent`.
    pub level: String,
    /// `no_export`, `no_invite`, `no_revoke`.
    pub restrictions: Vec<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MemberPage {
    pub members: Vec<MemberOut>,
    /// The next page's URL; `null` at the end.
    pub next: Option<String>,
}

/// An access level and its restrictions, as EDIT takes them.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct Access {
    /// `owner`, `manager` or `agent`.
    pub level: String,
    #[serde(default)]
    pub restrictions: Vec<String>,
}

/// ADD USER: an address (someone new to the organization is invited to it at once).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct NewMember {
    pub email: String,
    /// `owner`, `manager` or `agent`.
    pub level: String,
    #[serde(default)]
    pub restrictions: Vec<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Revoked {
    /// Contacts, leads and clients handed to `reassign_to`, or left unassigned.
    pub records_moved: i64,
    pub handed_to: Option<i64>,
}

impl From<MemberError> for Problem {
    fn from(error: MemberError) -> Self {
        match error {
            MemberError::NotFound => Problem::not_found(),
            MemberError::Refused(message) => Problem::new(StatusCode::FORBIDDEN, message),
            MemberError::Invalid(message) => {
                Problem::new(StatusCode::UNPROCESSABLE_ENTITY, message)
            }
            MemberError::Database(e) => e.into(),
        }
    }
}

/// The level and restrictions asked for; an unknown code is refused, not dropped.
fn membership_of(level: &str, restrictions: &[String]) -> Result<Membership, Problem> {
    let invalid = |message: String| Problem::new(StatusCode::UNPROCESSABLE_ENTITY, message);
    let level = Level::parse(level).ok_or_else(|| {
        invalid(format!(
            "level must be owner, manager or agent, not “{level}”."
        ))
    })?;
    let restrictions = restrictions
        .iter()
        .map(|code| {
            Restriction::parse(code).ok_or_else(|| {
                invalid(format!(
                    "“{code}” is not a restriction: no_export, no_invite or no_revoke."
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Membership::new(level, restrictions))
}

/// The token's maker as the steward of `workspace_id` (named in the audit log as the token);
/// a workspace they do not manage, or another organization's, is not found.
fn steward_of(
    conn: &mut DbConn,
    caller: &Caller,
    workspace_id: i64,
) -> Result<(Steward, store::Workspace), MemberError> {
    let user = &caller.user;
    service::steward(
        conn,
        (user.id, user.org_id, &caller.actor_label()),
        (user.permissions, user.scope.is_some()),
        workspace_id,
    )
}

/// The organization's workspaces, archived ones included, with their member counts.
#[utoipa::path(get, path = "/api/v1/workspaces", responses((status = 200, body = Vec<WorkspaceOut>)), security(("bearer" = [])))]
pub async fn list(caller: Caller, state: State) -> Result<HttpResponse, Problem> {
    caller.require(Scope::UsersRead, Permission::UsersView)?;
    let org_id = caller.user.org_id;
    let out = state
        .db(move |conn| {
            let counts = store::member_counts(conn, org_id)?;
            Ok(store::all(conn, org_id)?
                .into_iter()
                .map(|w| WorkspaceOut {
                    members: counts.get(&w.id).copied().unwrap_or(0),
                    archived: w.archived_at.is_some(),
                    id: w.id,
                    name: w.name,
                })
                .collect::<Vec<_>>())
        })
        .await?;
    Ok(HttpResponse::Ok().json(out))
}

/// A workspace's members in name order, 50 a page (the Users page's search as `q`).
#[utoipa::path(
    get,
    path = "/api/v1/workspaces/{id}/members",
    params(
        ("id" = i64, Path, description = "The workspace's id"),
        ("q" = Option<String>, Query, description = "Search names and emails"),
        ("after" = Option<String>, Query, description = "The cursor from `next`"),
    ),
    responses((status = 200, body = MemberPage), (status = 404, body = super::problem::ProblemBody)),
    security(("bearer" = []))
)]
pub async fn members(
    caller: Caller,
    state: State,
    id: web::Path<i64>,
    pairs: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, Problem> {
    caller.require_scope(Scope::UsersRead)?;
    let workspace_id = id.into_inner();
    let mut query = ListQuery::from_pairs(&pairs).seen_by(None, state.clock.now());
    query.workspace_id = Some(workspace_id);
    query.active_only = false;
    if matches!(query.page, Page::Before(_)) {
        query.page = Page::First;
    }
    let lookup = query.clone();
    let (rows, more, levels) = state
        .db(move |conn| {
            let (steward, _) = match steward_of(conn, &caller, workspace_id) {
                Ok(found) => found,
                Err(e) => return Ok(Err(Problem::from(e))),
            };
            let (rows, more) = crate::users::store::list_page(conn, steward.org_id, &lookup)?;
            let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
            let levels = store::memberships_of(conn, workspace_id, &ids)?;
            Ok(Ok((rows, more, levels)))
        })
        .await??;
    let next = match (more, rows.last()) {
        (true, Some(last)) => Some(format!(
            "/api/v1/workspaces/{workspace_id}/members?{}",
            query.to_query_string(query.sort, &Page::After(last.cursor(query.sort)))
        )),
        _ => None,
    };
    let page = MemberPage {
        members: rows
            .into_iter()
            .filter_map(|row| {
                let membership = levels.get(&row.id)?;
                Some(MemberOut {
                    user_id: row.id,
                    name: format!("{} {}", row.first_name, row.last_name),
                    email: row.email,
                    status: row.status,
                    level: membership.level.code().to_owned(),
                    restrictions: membership
                        .restrictions
                        .iter()
                        .map(|r| r.code().to_owned())
                        .collect(),
                })
            })
            .collect(),
        next,
    };
    let mut response = HttpResponse::Ok();
    if let Some(next) = &page.next {
        response.insert_header((header::LINK, format!("<{next}>; rel=\"next\"")));
    }
    Ok(response.json(page))
}

/// ADD USER: someone of the organization joins at the level given; an address new to the
/// organization is invited to it and the workspace at once (no license).
#[utoipa::path(
    post,
    path = "/api/v1/workspaces/{id}/members",
    params(("id" = i64, Path, description = "The workspace's id")),
    request_body = NewMember,
    responses(
        (status = 201, description = "Added (`invited`: false) or invited (`invited`: true)"),
        (status = 403, body = super::problem::ProblemBody),
        (status = 404, body = super::problem::ProblemBody),
        (status = 422, body = super::problem::ProblemBody),
    ),
    security(("bearer" = []))
)]
pub async fn add(
    caller: Caller,
    state: State,
    id: web::Path<i64>,
    body: web::Json<NewMember>,
) -> Result<HttpResponse, Problem> {
    caller.require_scope(Scope::UsersWrite)?;
    let workspace_id = id.into_inner();
    let membership = membership_of(&body.level, &body.restrictions)?;
    let email = body.email.trim().to_owned();
    let (meta, now, base_url) = (
        caller.origin.clone(),
        state.clock.now(),
        state.base_url.clone(),
    );
    let added = state
        .db(move |conn| {
            let done = steward_of(conn, &caller, workspace_id).and_then(|(steward, workspace)| {
                service::add(
                    conn,
                    (&steward, &workspace),
                    (&email, &membership),
                    (&base_url, &meta, now),
                )
            });
            Ok(done.map_err(Problem::from))
        })
        .await??;
    let (invited, email) = match added {
        Added::Member(_) => (false, body.email.trim().to_owned()),
        Added::Invited(email) => (true, email),
    };
    Ok(HttpResponse::Created().json(serde_json::json!({ "email": email, "invited": invited })))
}

/// EDIT: a member's access level and restrictions (the last Owner stays one; nobody their
/// own).
#[utoipa::path(
    put,
    path = "/api/v1/workspaces/{id}/members/{member}",
    params(("id" = i64, Path, description = "The workspace's id"), ("member" = i64, Path, description = "The member's user id")),
    request_body = Access,
    responses(
        (status = 204),
        (status = 403, body = super::problem::ProblemBody),
        (status = 404, body = super::problem::ProblemBody),
        (status = 422, body = super::problem::ProblemBody),
    ),
    security(("bearer" = []))
)]
pub async fn update(
    caller: Caller,
    state: State,
    path: web::Path<(i64, i64)>,
    body: web::Json<Access>,
) -> Result<HttpResponse, Problem> {
    caller.require_scope(Scope::UsersWrite)?;
    let (workspace_id, user_id) = path.into_inner();
    let membership = membership_of(&body.level, &body.restrictions)?;
    let (meta, now) = (caller.origin.clone(), state.clock.now());
    state
        .db(move |conn| {
            let done = steward_of(conn, &caller, workspace_id).and_then(|(steward, workspace)| {
                service::set_level(
                    conn,
                    (&steward, &workspace),
                    (user_id, &membership),
                    (&meta, now),
                )
            });
            Ok(done.map_err(Problem::from))
        })
        .await??;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize)]
pub struct RevokeQuery {
    /// The member of the same workspace who receives the contacts (else unassigned).
    pub reassign_to: Option<i64>,
}

/// Revoke Access: out of the workspace (the organization keeps them); their records in it
/// unassigned, or handed to `reassign_to`, another member of the workspace.
#[utoipa::path(
    delete,
    path = "/api/v1/workspaces/{id}/members/{member}",
    params(
        ("id" = i64, Path, description = "The workspace's id"),
        ("member" = i64, Path, description = "The member's user id"),
        ("reassign_to" = Option<i64>, Query, description = "Another member who receives the contacts"),
    ),
    responses(
        (status = 200, body = Revoked),
        (status = 403, body = super::problem::ProblemBody),
        (status = 404, body = super::problem::ProblemBody),
        (status = 422, body = super::problem::ProblemBody),
    ),
    security(("bearer" = []))
)]
pub async fn revoke(
    caller: Caller,
    state: State,
    path: web::Path<(i64, i64)>,
    query: web::Query<RevokeQuery>,
) -> Result<HttpResponse, Problem> {
    caller.require_scope(Scope::UsersWrite)?;
    let (workspace_id, user_id) = path.into_inner();
    let hand_over = query.reassign_to.map_or(HandOver::Unassigned, HandOver::To);
    let (meta, now) = (caller.origin.clone(), state.clock.now());
    let moved = state
        .db(move |conn| {
            let done = steward_of(conn, &caller, workspace_id).and_then(|(steward, workspace)| {
                handover::revoke(
                    conn,
                    (&steward, &workspace),
                    (user_id, hand_over),
                    (&meta, now),
                )
            });
            Ok(done.map_err(Problem::from))
        })
        .await??;
    Ok(HttpResponse::Ok().json(Revoked {
        records_moved: moved,
        handed_to: query.reassign_to,
    }))
}
