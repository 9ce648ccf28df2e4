//! Settings → Groups: `GET/POST /settings/groups`, rename and delete dialogs.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::service::{self, GroupError, NewGroup};
use super::views::{GroupLists, GroupsPage, KindList};
use super::{store, Kind};
use crate::auth::permissions::Permission;
use crate::validation::FieldErrors;
use crate::web::confirm::{ConfirmDialog, RenameDialog};
use crate::web::errors::{triage, ServiceError};
use crate::web::request_meta::origin_of;
use crate::web::shell::{Nav, Shell};
use crate::web::{htmx, AppError, CurrentUser, State};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/settings/groups", web::get().to(show))
        .route("/settings/groups", web::post().to(create))
        .route("/settings/groups/{id}/rename", web::get().to(rename_dialog))
        .route("/settings/groups/{id}/rename", web::post().to(rename))
        .route(
            "/settings/groups/{id}/delete",
            web::get().to(confirm_delete),
        )
        .route("/settings/groups/{id}/delete", web::post().to(delete));
}

impl ServiceError for GroupError {
    fn sort(self) -> Result<Self, AppError> {
        match self {
            GroupError::NotFound => Err(AppError::NotFound),
            GroupError::Database(e) => Err(e.into()),
            shown => Ok(shown),
        }
    }
}

/// The field errors of a refused change.
fn shown(error: GroupError) -> FieldErrors {
    match error {
        GroupError::Invalid(errors) => errors,
        other => FieldErrors::one("name", other.to_string()),
    }
}

async fn lists(state: &State, org_id: i64) -> Result<GroupLists, AppError> {
    let (groups, counts) = state
        .db(move |conn| {
            Ok((
                store::all(conn, org_id)?,
                store::member_counts(conn, org_id)?,
            ))
        })
        .await?;
    Ok(GroupLists {
        lists: KindList::all(groups, &counts),
    })
}

async fn page(
    req: &HttpRequest,
    state: &State,
    user: &CurrentUser,
) -> Result<GroupsPage, AppError> {
    Ok(GroupsPage {
        shell: Shell::new(req, user, Nav::Settings),
        notice: None,
        kind: Kind::Tag.code().into(),
        name: String::new(),
        errors: FieldErrors::default(),
        lists: lists(state, user.org_id).await?,
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
pub struct CreateForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    name: String,
}

pub async fn create(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    form: web::Form<CreateForm>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::DirectoryManage)?;
    let meta = origin_of(&req, &state.config.trusted_proxies);
    let (actor, org_id, now) = (user.actor(), user.org_id, state.clock.now());
    let (kind, name) = (Kind::parse(&form.kind), form.name.clone());
    let outcome = state
        .db(move |conn| {
            let group = NewGroup { kind, name: &name };
            triage(service::create(conn, &actor, org_id, &group, &meta, now))
        })
        .await?;
    let mut view = page(&req, &state, &user).await?;
    match outcome {
        Ok(_) => {
            let kind = kind.unwrap_or(Kind::Tag);
            view.kind = kind.code().into();
            view.notice = Some(format!("{} “{}” created.", kind.label(), form.name.trim()));
            htmx::html(&view)
        }
        Err(error) => {
            view.kind = form.kind.clone();
            view.name = form.name.clone();
            view.errors = shown(error);
            htmx::html_with_status(&view, StatusCode::UNPROCESSABLE_ENTITY)
        }
    }
}

async fn find(state: &State, org_id: i64, group_id: i64) -> Result<store::Group, AppError> {
    state
        .db(move |conn| store::find(conn, org_id, group_id)?.ok_or(AppError::NotFound))
        .await
}

pub async fn rename_dialog(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::DirectoryManage)?;
    htmx::Fragment::of(&req)?;
    let group = find(&state, user.org_id, path.into_inner()).await?;
    htmx::html(&rename_view(
        &group,
        group.name.clone(),
        FieldErrors::default(),
    ))
}

fn rename_view(group: &store::Group, name: String, errors: FieldErrors) -> RenameDialog {
    RenameDialog {
        action_url: format!("/settings/groups/{}/rename", group.id),
        title: format!("Rename {} “{}”", group.kind().label(), group.name),
        name,
        errors,
    }
}

#[derive(Deserialize)]
pub struct RenameForm {
    #[serde(default)]
    name: String,
}

/// After a change: the lists again (in place of the old ones), a toast, the dialog closed.
async fn lists_changed(
    state: &State,
    org_id: i64,
    message: &str,
) -> Result<HttpResponse, AppError> {
    htmx::replaced("#group-lists", &lists(state, org_id).await?, message)
}

pub async fn rename(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    path: web::Path<i64>,
    form: web::Form<RenameForm>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::DirectoryManage)?;
    let group = find(&state, user.org_id, path.into_inner()).await?;
    let meta = origin_of(&req, &state.config.trusted_proxies);
    let (actor, org_id, now) = (user.actor(), user.org_id, state.clock.now());
    let (group_id, name) = (group.id, form.name.clone());
    let outcome = state
        .db(move |conn| {
            triage(service::rename(
                conn, &actor, org_id, group_id, &name, &meta, now,
            ))
        })
        .await?;
    match outcome {
        Ok(()) => {
            let message = format!(
                "{} renamed to “{}”.",
                group.kind().label(),
                form.name.trim()
            );
            lists_changed(&state, org_id, &message).await
        }
        Err(error) => htmx::html_with_status(
            &rename_view(&group, form.name.clone(), shown(error)),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    }
}

/// How many names a delete confirmation lists before "and N more".
const NAMED: i64 = 5;

pub async fn confirm_delete(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::DirectoryManage)?;
    htmx::Fragment::of(&req)?;
    let org_id = user.org_id;
    let group_id = path.into_inner();
    let (group, count, names) = state
        .db(move |conn| {
            let group = store::find(conn, org_id, group_id)?.ok_or(AppError::NotFound)?;
            let count = store::member_count(conn, group_id)?;
            let names = store::some_members(conn, group_id, NAMED)?;
            Ok((group, count, names))
        })
        .await?;
    let holders = match count {
        0 => "Nobody holds it.".to_owned(),
        _ => {
            let more = count - names.len() as i64;
            let listed = if more > 0 {
                format!("{} and {more} more", names.join(", "))
            } else {
                names.join(", ")
            };
            let users = if count == 1 {
                "user holds"
            } else {
                "users hold"
            };
            format!("{count} {users} it ({listed}); they will no longer have it.")
        }
    };
    htmx::html(&ConfirmDialog {
        action_url: format!("/settings/groups/{}/delete", group.id),
        title: format!("Delete {} “{}”?", group.kind().label(), group.name),
        message: format!("{holders} This cannot be undone."),
        button: "Delete",
        danger: true,
        alternative: None,
    })
}

pub async fn delete(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::DirectoryManage)?;
    let group = find(&state, user.org_id, path.into_inner()).await?;
    let meta = origin_of(&req, &state.config.trusted_proxies);
    let (actor, org_id, now) = (user.actor(), user.org_id, state.clock.now());
    let group_id = group.id;
    state
        .db(move |conn| {
            triage(service::delete(conn, &actor, org_id, group_id, &meta, now))?
                .map_err(|refused| AppError::BadRequest(refused.to_string()))
        })
        .await?;
    let message = format!("{} “{}” deleted.", group.kind().label(), group.name);
    lists_changed(&state, org_id, &message).await
}
