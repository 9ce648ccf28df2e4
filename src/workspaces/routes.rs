//! Settings → Workspaces: `GET/POST /settings/workspaces`, rename and archive dialogs.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::service::{self, WorkspaceError};
use super::store;
use super::views::{WorkspaceList, WorkspaceRow, WorkspacesPage};
use crate::auth::permissions::Permission;
use crate::validation::FieldErrors;
use crate::web::confirm::{ConfirmDialog, RenameDialog};
use crate::web::errors::{triage, ServiceError};
use crate::web::request_meta::origin_of;
use crate::web::shell::{Nav, Shell};
use crate::web::{htmx, AppError, CurrentUser, State};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/settings/workspaces", web::get().to(show))
        .route("/settings/workspaces", web::post().to(create))
        .route(
            "/settings/workspaces/{id}/rename",
            web::get().to(rename_dialog),
        )
        .route("/settings/workspaces/{id}/rename", web::post().to(rename))
        .route(
            "/settings/workspaces/{id}/archive",
            web::get().to(confirm_archive),
        )
        .route("/settings/workspaces/{id}/archive", web::post().to(archive));
}

impl ServiceError for WorkspaceError {
    fn sort(self) -> Result<Self, AppError> {
        match self {
            WorkspaceError::NotFound => Err(AppError::NotFound),
            WorkspaceError::Refused(message) => Err(AppError::Conflict(message)),
            WorkspaceError::Database(e) => Err(e.into()),
            shown => Ok(shown),
        }
    }
}

fn shown(error: WorkspaceError) -> FieldErrors {
    match error {
        WorkspaceError::Invalid(errors) => errors,
        other => FieldErrors::one("name", other.to_string()),
    }
}

async fn list(state: &State, org_id: i64) -> Result<WorkspaceList, AppError> {
    let (all, members, records) = state
        .db(move |conn| {
            Ok((
                store::all(conn, org_id)?,
                store::member_counts(conn, org_id)?,
                store::record_counts(conn, org_id)?,
            ))
        })
        .await?;
    Ok(WorkspaceList {
        rows: all
            .into_iter()
            .map(|workspace| WorkspaceRow {
                members: members.get(&workspace.id).copied().unwrap_or(0),
                records: records.get(&workspace.id).copied().unwrap_or(0),
                workspace,
            })
            .collect(),
    })
}

async fn page(
    req: &HttpRequest,
    state: &State,
    user: &CurrentUser,
) -> Result<WorkspacesPage, AppError> {
    Ok(WorkspacesPage {
        shell: Shell::new(req, user, Nav::Settings),
        notice: None,
        name: String::new(),
        errors: FieldErrors::default(),
        list: list(state, user.org_id).await?,
    })
}

pub async fn show(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::DirectoryManage)?;
    htmx::html(&page(&req, &state, &user).await?)
}

#[derive(Deserialize)]
pub struct NameForm {
    #[serde(default)]
    name: String,
}

pub async fn create(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    form: web::Form<NameForm>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::DirectoryManage)?;
    let meta = origin_of(&req, &state.config.trusted_proxies);
    let (actor, org_id, now) = (user.actor(), user.org_id, state.clock.now());
    let name = form.name.clone();
    let outcome = state
        .db(move |conn| triage(service::create(conn, (&actor, org_id), &name, &meta, now)))
        .await?;
    let mut view = page(&req, &state, &user).await?;
    match outcome {
        Ok(_) => {
            view.notice = Some(format!("Workspace “{}” created.", form.name.trim()));
            htmx::html(&view)
        }
        Err(error) => {
            view.name = form.name.clone();
            view.errors = shown(error);
            htmx::html_with_status(&view, StatusCode::UNPROCESSABLE_ENTITY)
        }
    }
}

async fn find(state: &State, org_id: i64, id: i64) -> Result<store::Workspace, AppError> {
    state
        .db(move |conn| store::find(conn, org_id, id)?.ok_or(AppError::NotFound))
        .await
}

fn rename_view(workspace: &store::Workspace, name: String, errors: FieldErrors) -> RenameDialog {
    RenameDialog {
        action_url: format!("/settings/workspaces/{}/rename", workspace.id),
        title: format!("Rename workspace “{}”", workspace.name),
        name,
        errors,
    }
}

pub async fn rename_dialog(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::DirectoryManage)?;
    htmx::Fragment::of(&req)?;
    let workspace = find(&state, user.org_id, path.into_inner()).await?;
    let name = workspace.name.clone();
    htmx::html(&rename_view(&workspace, name, FieldErrors::default()))
}

pub async fn rename(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    path: web::Path<i64>,
    form: web::Form<NameForm>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::DirectoryManage)?;
    let workspace = find(&state, user.org_id, path.into_inner()).await?;
    let meta = origin_of(&req, &state.config.trusted_proxies);
    let (actor, org_id, now) = (user.actor(), user.org_id, state.clock.now());
    let (id, name) = (workspace.id, form.name.clone());
    let outcome = state
        .db(move |conn| {
            triage(service::rename(
                conn,
                (&actor, org_id),
                id,
                &name,
                (&meta, now),
            ))
        })
        .await?;
    match outcome {
        Ok(()) => {
            let message = format!("Workspace renamed to “{}”.", form.name.trim());
            htmx::replaced("#workspace-list", &list(&state, org_id).await?, &message)
        }
        Err(error) => htmx::html_with_status(
            &rename_view(&workspace, form.name.clone(), shown(error)),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    }
}

/// How many members an archive confirmation names before "and N more".
const NAMED: i64 = 5;

pub async fn confirm_archive(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::DirectoryManage)?;
    htmx::Fragment::of(&req)?;
    let org_id = user.org_id;
    let id = path.into_inner();
    let (workspace, members, records, names) = state
        .db(move |conn| {
            let workspace = store::find(conn, org_id, id)?.ok_or(AppError::NotFound)?;
            let members = store::member_counts(conn, org_id)?.get(&id).copied();
            let records = store::record_counts(conn, org_id)?.get(&id).copied();
            let names = store::some_members(conn, id, NAMED)?;
            Ok((workspace, members.unwrap_or(0), records.unwrap_or(0), names))
        })
        .await?;
    let who = match members {
        0 => "It has no members.".to_owned(),
        n => {
            let more = n - names.len() as i64;
            let listed = if more > 0 {
                format!("{} and {more} more", names.join(", "))
            } else {
                names.join(", ")
            };
            let counted = if n == 1 {
                "1 member".to_owned()
            } else {
                format!("{n} members")
            };
            format!("Its {counted} ({listed}) keep their place in the organization.")
        }
    };
    let held = match records {
        0 => "It holds no records.".to_owned(),
        1 => "Its 1 record stays with it, read-only.".to_owned(),
        n => format!("Its {n} records stay with it, read-only."),
    };
    htmx::html(&ConfirmDialog {
        action_url: format!("/settings/workspaces/{}/archive", workspace.id),
        title: format!("Archive workspace “{}”?", workspace.name),
        message: format!("{who} {held} Nobody can be added to it once archived."),
        button: "Archive",
        danger: true,
        alternative: None,
    })
}

pub async fn archive(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::DirectoryManage)?;
    let workspace = find(&state, user.org_id, path.into_inner()).await?;
    let meta = origin_of(&req, &state.config.trusted_proxies);
    let (actor, org_id, now) = (user.actor(), user.org_id, state.clock.now());
    let id = workspace.id;
    state
        .db(move |conn| {
            triage(service::archive(conn, (&actor, org_id), id, (&meta, now)))?
                .map_err(|shown| AppError::BadRequest(shown.to_string()))
        })
        .await?;
    let message = format!("Workspace “{}” archived.", workspace.name);
    htmx::replaced("#workspace-list", &list(&state, org_id).await?, &message)
}
