//! Settings → Divisions: `GET/POST /settings/divisions`, the rename dialog and the delete
//! dialog (which asks where the division's users go).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::service::{self, DivisionError};
use super::store::{self, Division};
use crate::auth::permissions::Permission;
use crate::validation::FieldErrors;
use crate::web::confirm::RenameDialog;
use crate::web::errors::{triage, ServiceError};
use crate::web::request_meta::origin_of;
use crate::web::shell::{Nav, Shell};
use crate::web::{htmx, AppError, CurrentUser, State};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/settings/divisions", web::get().to(show))
        .route("/settings/divisions", web::post().to(create))
        .route(
            "/settings/divisions/{id}/rename",
            web::get().to(rename_dialog),
        )
        .route("/settings/divisions/{id}/rename", web::post().to(rename))
        .route(
            "/settings/divisions/{id}/delete",
            web::get().to(delete_dialog),
        )
        .route("/settings/divisions/{id}/delete", web::post().to(delete));
}

impl ServiceError for DivisionError {
    fn sort(self) -> Result<Self, AppError> {
        match self {
            DivisionError::NotFound => Err(AppError::NotFound),
            DivisionError::Database(e) => Err(e.into()),
            shown => Ok(shown),
        }
    }
}

fn shown(error: DivisionError) -> FieldErrors {
    match error {
        DivisionError::Invalid(errors) => errors,
        other => FieldErrors::one("name", other.to_string()),
    }
}

#[derive(Template)]
#[template(path = "divisions/_list.html")]
struct DivisionList {
    divisions: Vec<(Division, i64)>,
}

#[derive(Template)]
#[template(path = "divisions/page.html")]
struct DivisionsPage {
    shell: Shell,
    notice: Option<String>,
    name: String,
    errors: FieldErrors,
    list: DivisionList,
}

#[derive(Template)]
#[template(path = "divisions/_delete.html")]
struct DeleteDialog {
    division: Division,
    users: i64,
    /// Supervisors for whom it is the only assigned division.
    stranded: usize,
    /// Where its users may go: the other divisions.
    others: Vec<Division>,
    move_to: String,
    errors: FieldErrors,
}

impl DeleteDialog {
    fn selected(&self, id: &i64) -> bool {
        self.move_to == id.to_string()
    }
}

async fn list(state: &State, org_id: i64) -> Result<DivisionList, AppError> {
    let divisions = state
        .db(move |conn| Ok(store::all_with_counts(conn, org_id)?))
        .await?;
    Ok(DivisionList { divisions })
}

async fn page(
    req: &HttpRequest,
    state: &State,
    user: &CurrentUser,
) -> Result<DivisionsPage, AppError> {
    Ok(DivisionsPage {
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
        .db(move |conn| triage(service::create(conn, &actor, org_id, &name, &meta, now)))
        .await?;
    let mut view = page(&req, &state, &user).await?;
    match outcome {
        Ok(_) => {
            view.notice = Some(format!("Division “{}” created.", form.name.trim()));
            htmx::html(&view)
        }
        Err(error) => {
            view.name = form.name.clone();
            view.errors = shown(error);
            htmx::html_with_status(&view, StatusCode::UNPROCESSABLE_ENTITY)
        }
    }
}

async fn find(state: &State, org_id: i64, id: i64) -> Result<Division, AppError> {
    state
        .db(move |conn| store::find(conn, org_id, id)?.ok_or(AppError::NotFound))
        .await
}

fn rename_view(division: &Division, name: String, errors: FieldErrors) -> RenameDialog {
    RenameDialog {
        action_url: format!("/settings/divisions/{}/rename", division.id),
        title: format!("Rename division “{}”", division.name),
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
    let division = find(&state, user.org_id, path.into_inner()).await?;
    let name = division.name.clone();
    htmx::html(&rename_view(&division, name, FieldErrors::default()))
}

/// After a change: the list again in place, a toast, the dialog closed.
async fn list_changed(state: &State, org_id: i64, message: &str) -> Result<HttpResponse, AppError> {
    htmx::replaced("#division-list", &list(state, org_id).await?, message)
}

pub async fn rename(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    path: web::Path<i64>,
    form: web::Form<NameForm>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::DirectoryManage)?;
    let division = find(&state, user.org_id, path.into_inner()).await?;
    let meta = origin_of(&req, &state.config.trusted_proxies);
    let (actor, org_id, now) = (user.actor(), user.org_id, state.clock.now());
    let (id, name) = (division.id, form.name.clone());
    let outcome = state
        .db(move |conn| triage(service::rename(conn, &actor, org_id, id, &name, &meta, now)))
        .await?;
    match outcome {
        Ok(()) => {
            let message = format!("Division renamed to “{}”.", form.name.trim());
            list_changed(&state, org_id, &message).await
        }
        Err(error) => htmx::html_with_status(
            &rename_view(&division, form.name.clone(), shown(error)),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    }
}

async fn delete_view(
    state: &State,
    org_id: i64,
    id: i64,
    move_to: String,
    errors: FieldErrors,
) -> Result<DeleteDialog, AppError> {
    let (division, users, others, stranded) = state
        .db(move |conn| {
            let stranded = store::only_assignment_of(conn, id)?;
            let all = store::all_with_counts(conn, org_id)?;
            let (division, users) = all
                .iter()
                .find(|(d, _)| d.id == id)
                .cloned()
                .ok_or(AppError::NotFound)?;
            let others = all
                .into_iter()
                .map(|(d, _)| d)
                .filter(|d| d.id != id)
                .collect();
            Ok((division, users, others, stranded))
        })
        .await?;
    Ok(DeleteDialog {
        division,
        users,
        stranded,
        others,
        move_to,
        errors,
    })
}

pub async fn delete_dialog(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::DirectoryManage)?;
    htmx::Fragment::of(&req)?;
    let view = delete_view(
        &state,
        user.org_id,
        path.into_inner(),
        String::new(),
        FieldErrors::default(),
    )
    .await?;
    htmx::html(&view)
}

#[derive(Deserialize)]
pub struct DeleteForm {
    #[serde(default)]
    move_to: String,
}

pub async fn delete(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    path: web::Path<i64>,
    form: web::Form<DeleteForm>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::DirectoryManage)?;
    let division = find(&state, user.org_id, path.into_inner()).await?;
    let meta = origin_of(&req, &state.config.trusted_proxies);
    let (actor, org_id, now) = (user.actor(), user.org_id, state.clock.now());
    let id = division.id;
    // "" is No division; anything else must be one of the organization's divisions.
    let move_to = match form.move_to.trim() {
        "" => Ok(None),
        text => text.parse::<i64>().map(Some),
    };
    let outcome = match move_to {
        Ok(move_to) => {
            state
                .db(move |conn| {
                    triage(service::delete(
                        conn, &actor, org_id, id, move_to, &meta, now,
                    ))
                })
                .await?
        }
        Err(_) => Err(DivisionError::Invalid(FieldErrors::one(
            "move_to",
            "Choose a division from the list.",
        ))),
    };
    match outcome {
        Ok(moved) => {
            let message = match moved {
                0 => format!("Division “{}” deleted.", division.name),
                1 => format!("Division “{}” deleted; its 1 user moved.", division.name),
                n => format!("Division “{}” deleted; its {n} users moved.", division.name),
            };
            list_changed(&state, org_id, &message).await
        }
        Err(error) => {
            let view = delete_view(&state, org_id, id, form.move_to.clone(), shown(error)).await?;
            htmx::html_with_status(&view, StatusCode::UNPROCESSABLE_ENTITY)
        }
    }
}
