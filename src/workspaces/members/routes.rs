//! `/workspaces/{id}/users`: the workspace's Users page, ADD USER, EDIT, Revoke Access.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use super::service::Added;
use super::service::{self, MemberError, Steward};
use super::views::{
    level_options, restriction_options, AddDialog, EditDialog, MemberRow, MembersPage, MembersTable,
};
use crate::users::forms::{ListQuery, Page};
use crate::users::views::relative_time;
use crate::web::request_meta::origin_of;
use crate::web::shell::{initials, Nav, Shell};
use crate::web::{htmx, AppError, CurrentUser, State};
use crate::workspaces::{store, Level, Membership, Restriction};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/workspaces/{id}/users", web::get().to(list))
        .route(
            "/workspaces/{id}/users/export.csv",
            web::get().to(super::export::export),
        )
        .route("/workspaces/{id}/users", web::post().to(add))
        .route("/workspaces/{id}/users/add", web::get().to(add_dialog))
        .route(
            "/workspaces/{id}/users/{member}/edit",
            web::get().to(edit_dialog),
        )
        .route("/workspaces/{id}/users/{member}/edit", web::post().to(edit))
        .route(
            "/workspaces/{id}/users/{member}/revoke",
            web::get().to(super::revoke::revoke_dialog),
        )
        .route(
            "/workspaces/{id}/users/{member}/revoke",
            web::post().to(super::revoke::revoke),
        );
}

impl From<MemberError> for AppError {
    fn from(error: MemberError) -> Self {
        match error {
            MemberError::NotFound => AppError::NotFound,
            MemberError::Refused(message) => AppError::Denied(message),
            MemberError::Invalid(message) => AppError::BadRequest(message),
            MemberError::Database(e) => e.into(),
        }
    }
}

/// The steward `user` is of the workspace (404 for another organization's, 403 for someone
/// who does not manage it).
pub(super) async fn steward_of(
    state: &State,
    user: &CurrentUser,
    workspace_id: i64,
) -> Result<(Steward, store::Workspace), AppError> {
    let me = (user.id, user.org_id, user.email.clone());
    let held = (user.permissions, user.scope.is_some());
    state
        .db(move |conn| {
            Ok(service::steward(
                conn,
                (me.0, me.1, &me.2),
                held,
                workspace_id,
            )?)
        })
        .await
}

/// The levels a steward gives: a Manager gives Manager and Agent.
fn givable(steward: &Steward) -> Vec<Level> {
    Level::ALL
        .into_iter()
        .filter(|l| {
            steward.organization || steward.level() == Some(Level::Owner) || *l != Level::Owner
        })
        .collect()
}

pub(super) async fn table(
    state: &State,
    (steward, workspace_id): (&Steward, i64),
    pairs: &[(String, String)],
) -> Result<MembersTable, AppError> {
    let mut query = ListQuery::from_pairs(pairs).seen_by(None, state.clock.now());
    query.workspace_id = Some(workspace_id);
    query.active_only = false;
    let now = state.clock.now();
    let lookup = query.clone();
    let org_id = steward.org_id;
    let me = steward.id;
    let (rows, more, (levels, standings)) = state
        .db(move |conn| {
            let (rows, more) = crate::users::store::list_page(conn, org_id, &lookup)?;
            let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
            let levels = crate::workspaces::store::memberships_of(conn, workspace_id, &ids)?;
            let mut everyone = ids.clone();
            everyone.push(me);
            let standings = crate::users::authority::standings_of(conn, org_id, &everyone)?;
            Ok((rows, more, (levels, standings)))
        })
        .await?;
    let next_href = match (more, rows.last()) {
        (true, Some(last)) => Some(format!(
            "/workspaces/{workspace_id}/users?{}",
            query.to_query_string(query.sort, &Page::After(last.cursor(query.sort)))
        )),
        _ => None,
    };
    // The row offers only what would be allowed: not oneself, not above one's level or rank.
    let may_act = |id: i64, level: Option<Level>| -> bool {
        let handles = steward.organization
            || steward.level() == Some(Level::Owner)
            || level != Some(Level::Owner);
        let ranks = match (standings.get(&me), standings.get(&id)) {
            (Some(mine), Some(theirs)) => service::ranks_over(mine, theirs),
            _ => false,
        };
        id != me && handles && ranks
    };
    let may_revoke = steward.may(Restriction::NoRevoke);
    Ok(MembersTable {
        workspace_id,
        export_href: steward.may(Restriction::NoExport).then(|| {
            format!(
                "/workspaces/{workspace_id}/users/export.csv?{}",
                query.to_query_string(query.sort, &Page::First)
            )
        }),
        search: query.search.clone(),
        next_href,
        rows: rows
            .into_iter()
            .map(|row| MemberRow {
                initials: initials(&row.first_name, &row.last_name),
                name: format!("{} {}", row.first_name, row.last_name),
                level: levels.get(&row.id).map_or("", |m| m.level.label()),
                restrictions: levels.get(&row.id).map_or_else(Vec::new, |m| {
                    m.restrictions.iter().map(|r| r.label()).collect()
                }),
                pending: row.status == crate::users::status::INVITED,
                last_active: relative_time(row.last_active_at, now),
                last_active_exact: row
                    .last_active_at
                    .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
                    .unwrap_or_else(|| "Never signed in".into()),
                online: row.live && row.status == crate::users::status::ACTIVE,
                actions: may_act(row.id, levels.get(&row.id).map(|m| m.level)),
                revoke: may_revoke && may_act(row.id, levels.get(&row.id).map(|m| m.level)),
                email: row.email,
                id: row.id,
            })
            .collect(),
    })
}

pub async fn list(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    id: web::Path<i64>,
    pairs: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let (steward, workspace) = steward_of(&state, &user, id.into_inner()).await?;
    let table = table(&state, (&steward, workspace.id), &pairs).await?;
    htmx::page_or_fragment(&req, table, |table| MembersPage {
        shell: Shell::new(&req, &user, Nav::Workspace),
        name: workspace.name.clone(),
        table,
    })
}

pub async fn add_dialog(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    htmx::Fragment::of(&req)?;
    let (steward, workspace) = steward_of(&state, &user, id.into_inner()).await?;
    htmx::html(&AddDialog {
        workspace_id: workspace.id,
        email: String::new(),
        levels: level_options(&givable(&steward), Level::Agent),
        restrictions: restriction_options(steward.own_restrictions()),
        may_invite: steward.may(Restriction::NoInvite),
        error: None,
    })
}

pub(super) fn last<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .rev()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

/// The access level and restrictions a form asks for.
fn membership_in(pairs: &[(String, String)]) -> Result<Membership, MemberError> {
    let level = Level::parse(last(pairs, "level"))
        .ok_or_else(|| MemberError::Invalid("Choose an access level.".into()))?;
    let restrictions = pairs
        .iter()
        .filter(|(k, _)| k == "restriction")
        .filter_map(|(_, v)| Restriction::parse(v))
        .collect();
    Ok(Membership::new(level, restrictions))
}

/// The restriction boxes as the form left them.
fn ticked(pairs: &[(String, String)]) -> Vec<Restriction> {
    pairs
        .iter()
        .filter(|(k, _)| k == "restriction")
        .filter_map(|(_, v)| Restriction::parse(v))
        .collect()
}

pub async fn add(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    id: web::Path<i64>,
    pairs: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let (steward, workspace) = steward_of(&state, &user, id.into_inner()).await?;
    let email = last(&pairs, "email").trim().to_owned();
    let meta = origin_of(&req, &state.config.trusted_proxies);
    let now = state.clock.now();
    let shown_level = Level::parse(last(&pairs, "level")).unwrap_or(Level::Agent);
    let outcome = match membership_in(&pairs) {
        Err(e) => Err(e),
        Ok(membership) => {
            let (s, w, e) = (steward.clone(), workspace.clone(), email.clone());
            let base_url = state.base_url.clone();
            state
                .db(move |conn| {
                    Ok(service::add(
                        conn,
                        (&s, &w),
                        (&e, &membership),
                        (&base_url, &meta, now),
                    ))
                })
                .await?
        }
    };
    match outcome {
        Ok(added) => {
            let table = table(&state, (&steward, workspace.id), &[]).await?;
            let said = match added {
                Added::Member(name) => format!("{name} was added to {}.", workspace.name),
                Added::Invited(email) => format!(
                    "An invitation was sent to {email}: they join {} and the organization when they accept.",
                    workspace.name
                ),
            };
            htmx::replaced("#member-table", &table, &said)
        }
        Err(MemberError::Invalid(message) | MemberError::Refused(message)) => {
            let mut restrictions = restriction_options(steward.own_restrictions());
            let wanted = ticked(&pairs);
            for (code, _, on) in restrictions.iter_mut() {
                *on = *on || wanted.iter().any(|r| r.code() == *code);
            }
            htmx::html_with_status(
                &AddDialog {
                    workspace_id: workspace.id,
                    email,
                    levels: level_options(&givable(&steward), shown_level),
                    restrictions,
                    may_invite: steward.may(Restriction::NoInvite),
                    error: Some(message),
                },
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Err(other) => Err(other.into()),
    }
}

/// The member's name and membership, if the steward may act on them (their level, their
/// rank in the organization; never oneself).
pub(super) async fn member(
    state: &State,
    steward: &Steward,
    (workspace_id, user_id): (i64, i64),
) -> Result<(String, Membership), AppError> {
    let s = steward.clone();
    state
        .db(move |conn| {
            let (membership, _) = service::member(conn, &s, workspace_id, user_id)?;
            let name = crate::users::store::name_of(conn, user_id)?.ok_or(AppError::NotFound)?;
            Ok((name, membership))
        })
        .await
}

fn edit_view(
    steward: &Steward,
    (workspace_id, user_id, name): (i64, i64, String),
    (level, restrictions): (Level, &[Restriction]),
    error: Option<String>,
) -> EditDialog {
    let mut options = restriction_options(&[]);
    for (code, _, on) in options.iter_mut() {
        *on = restrictions.iter().any(|r| r.code() == *code);
    }
    EditDialog {
        workspace_id,
        user_id,
        name,
        levels: level_options(&givable(steward), level),
        restrictions: options,
        error,
    }
}

pub async fn edit_dialog(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    htmx::Fragment::of(&req)?;
    let (workspace_id, user_id) = path.into_inner();
    let (steward, workspace) = steward_of(&state, &user, workspace_id).await?;
    let (name, held) = member(&state, &steward, (workspace.id, user_id)).await?;
    htmx::html(&edit_view(
        &steward,
        (workspace.id, user_id, name),
        (held.level, &held.restrictions),
        None,
    ))
}

pub async fn edit(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    path: web::Path<(i64, i64)>,
    pairs: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let (workspace_id, user_id) = path.into_inner();
    let (steward, workspace) = steward_of(&state, &user, workspace_id).await?;
    let (name, held) = member(&state, &steward, (workspace.id, user_id)).await?;
    let meta = origin_of(&req, &state.config.trusted_proxies);
    let now = state.clock.now();
    let outcome = match membership_in(&pairs) {
        Err(e) => Err(e),
        Ok(membership) => {
            let (s, w) = (steward.clone(), workspace.clone());
            state
                .db(move |conn| {
                    Ok(service::set_level(
                        conn,
                        (&s, &w),
                        (user_id, &membership),
                        (&meta, now),
                    ))
                })
                .await?
        }
    };
    match outcome {
        Ok(()) => {
            let table = table(&state, (&steward, workspace.id), &[]).await?;
            htmx::replaced(
                "#member-table",
                &table,
                &format!("{name}'s access level was updated."),
            )
        }
        Err(MemberError::Invalid(message) | MemberError::Refused(message)) => {
            let level = Level::parse(last(&pairs, "level")).unwrap_or(held.level);
            htmx::html_with_status(
                &edit_view(
                    &steward,
                    (workspace.id, user_id, name),
                    (level, &ticked(&pairs)),
                    Some(message),
                ),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Err(other) => Err(other.into()),
    }
}
