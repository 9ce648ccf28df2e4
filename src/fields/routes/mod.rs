//! Settings → User fields: `GET/POST /settings/fields`, the field dialog, delete, presets.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use super::form::FieldForm;
use super::service::{self, FieldError};
use super::store;
use super::views::{FieldDialog, FieldList, FieldsPage, Section};
use crate::auth::permissions::Permission;
use crate::users::username;

mod presets;

use crate::validation::FieldErrors;
use crate::web::confirm::ConfirmDialog;
use crate::web::errors::{triage, ServiceError};
use crate::web::request_meta::origin_of;
use crate::web::shell::{Nav, Shell};
use crate::web::{htmx, AppError, CurrentUser, State};
use presets::{apply_preset, require_username};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/settings/fields", web::get().to(show))
        .route("/settings/fields", web::post().to(create))
        .route("/settings/fields/new", web::get().to(new_dialog))
        .route("/settings/fields/{id}/edit", web::get().to(edit_dialog))
        .route("/settings/fields/{id}/edit", web::post().to(update))
        .route(
            "/settings/fields/{id}/delete",
            web::get().to(confirm_delete),
        )
        .route("/settings/fields/{id}/delete", web::post().to(delete))
        .route(
            "/settings/fields/presets/{code}",
            web::post().to(apply_preset),
        )
        .route(
            "/settings/fields/username",
            web::post().to(require_username),
        );
}

impl ServiceError for FieldError {
    fn sort(self) -> Result<Self, AppError> {
        match self {
            FieldError::NotFound => Err(AppError::NotFound),
            FieldError::Database(e) => Err(e.into()),
            shown => Ok(shown),
        }
    }
}

async fn list(state: &State, org_id: i64) -> Result<FieldList, AppError> {
    let (fields, counts) = state
        .db(move |conn| {
            Ok((
                store::all(conn, org_id)?,
                super::holders::counts(conn, org_id)?,
            ))
        })
        .await?;
    Ok(FieldList {
        sections: Section::all(fields, &counts),
    })
}

async fn page(
    req: &HttpRequest,
    state: &State,
    user: &CurrentUser,
) -> Result<FieldsPage, AppError> {
    let org_id = user.org_id;
    let (username_required, without_username) = state
        .db(move |conn| {
            Ok((
                username::required(conn, org_id)?,
                username::without_username(conn, org_id)?,
            ))
        })
        .await?;
    Ok(FieldsPage {
        shell: Shell::new(req, user, Nav::Settings),
        notice: None,
        list: list(state, user.org_id).await?,
        username_required,
        without_username,
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

/// The dialog for a field (`None`: a new one), as typed.
async fn dialog(
    state: &State,
    org_id: i64,
    field_id: Option<i64>,
    form: Option<FieldForm>,
) -> Result<FieldDialog, AppError> {
    let (fields, roles) = state
        .db(move |conn| {
            Ok((
                store::all(conn, org_id)?,
                crate::users::store::org_roles(conn, org_id)?,
            ))
        })
        .await?;
    let current = match field_id {
        Some(id) => Some(
            fields
                .iter()
                .find(|f| f.id == id)
                .ok_or(AppError::NotFound)?,
        ),
        None => None,
    };
    let form = form.unwrap_or_else(|| {
        current.map_or_else(
            || FieldForm {
                kind: "text".into(),
                required: "never".into(),
                access: "admins".into(),
                ..FieldForm::default()
            },
            FieldForm::of,
        )
    });
    let controllers = fields
        .iter()
        .filter(|f| Some(f.id) != field_id && !f.is_secret())
        .map(|f| (f.key.clone(), f.label.clone()))
        .collect();
    Ok(FieldDialog {
        field_id,
        form,
        errors: FieldErrors::default(),
        controllers,
        roles,
        confirm: None,
    })
}

pub async fn new_dialog(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::DirectoryManage)?;
    htmx::Fragment::of(&req)?;
    htmx::html(&dialog(&state, user.org_id, None, None).await?)
}

pub async fn edit_dialog(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::DirectoryManage)?;
    htmx::Fragment::of(&req)?;
    htmx::html(&dialog(&state, user.org_id, Some(path.into_inner()), None).await?)
}

/// After a change: the list again (in place), a toast, the dialog closed.
async fn list_changed(state: &State, org_id: i64, message: &str) -> Result<HttpResponse, AppError> {
    htmx::replaced("#field-list", &list(state, org_id).await?, message)
}

/// The dialog again with what refused the save.
async fn refused(
    state: &State,
    org_id: i64,
    field_id: Option<i64>,
    form: FieldForm,
    error: FieldError,
) -> Result<HttpResponse, AppError> {
    let mut view = dialog(state, org_id, field_id, Some(form)).await?;
    match error {
        FieldError::Invalid(errors) => view.errors = errors,
        FieldError::NeedsConfirmation { holders, removed } => {
            let users = |n: i64| {
                if n == 1 {
                    "1 user".to_owned()
                } else {
                    format!("{n} users")
                }
            };
            view.confirm = Some(if removed == 0 {
                format!(
                    "{} hold a value in this field. Their values are kept where the new type accepts them.",
                    users(holders)
                )
            } else {
                format!(
                    "{} hold a value in this field; the values of {} do not fit the new definition and will be removed.",
                    users(holders),
                    users(removed as i64)
                )
            });
            return htmx::html_with_status(&view, StatusCode::CONFLICT);
        }
        other => view.errors = FieldErrors::one("label", other.to_string()),
    }
    htmx::html_with_status(&view, StatusCode::UNPROCESSABLE_ENTITY)
}

pub async fn create(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    pairs: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::DirectoryManage)?;
    let form = FieldForm::from_pairs(&pairs);
    let meta = origin_of(&req, &state.config.trusted_proxies);
    let (actor, org_id, now) = (user.actor(), user.org_id, state.clock.now());
    let posted = form.clone();
    let outcome = state
        .db(move |conn| triage(service::create(conn, (&actor, org_id), &posted, &meta, now)))
        .await?;
    match outcome {
        Ok(_) => {
            list_changed(
                &state,
                org_id,
                &format!("Field “{}” created.", form.label.trim()),
            )
            .await
        }
        Err(error) => refused(&state, org_id, None, form, error).await,
    }
}

pub async fn update(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    path: web::Path<i64>,
    pairs: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::DirectoryManage)?;
    let field_id = path.into_inner();
    let form = FieldForm::from_pairs(&pairs);
    let meta = origin_of(&req, &state.config.trusted_proxies);
    let (actor, org_id, now) = (user.actor(), user.org_id, state.clock.now());
    let posted = form.clone();
    let outcome = state
        .db(move |conn| {
            triage(service::update(
                conn,
                (&actor, org_id),
                field_id,
                &posted,
                &meta,
                now,
            ))
        })
        .await?;
    match outcome {
        Ok(()) => {
            list_changed(
                &state,
                org_id,
                &format!("Field “{}” saved.", form.label.trim()),
            )
            .await
        }
        Err(error) => refused(&state, org_id, Some(field_id), form, error).await,
    }
}

pub async fn confirm_delete(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::DirectoryManage)?;
    htmx::Fragment::of(&req)?;
    let (org_id, field_id) = (user.org_id, path.into_inner());
    let (field, holders) = state
        .db(move |conn| {
            let field = store::find(conn, org_id, field_id)?.ok_or(AppError::NotFound)?;
            Ok((field, super::holders::count(conn, field_id)?))
        })
        .await?;
    let held = match holders {
        0 => "No user holds a value in it.".to_owned(),
        1 => "1 user holds a value in it; it will be deleted with the field.".to_owned(),
        n => format!("{n} users hold a value in it; their values will be deleted with the field."),
    };
    htmx::html(&ConfirmDialog {
        action_url: format!("/settings/fields/{field_id}/delete"),
        title: format!("Delete field “{}”?", field.label),
        message: format!("{held} This cannot be undone."),
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
    let (org_id, field_id) = (user.org_id, path.into_inner());
    let field = state
        .db(move |conn| store::find(conn, org_id, field_id)?.ok_or(AppError::NotFound))
        .await?;
    let meta = origin_of(&req, &state.config.trusted_proxies);
    let (actor, now) = (user.actor(), state.clock.now());
    state
        .db(move |conn| {
            triage(service::delete(
                conn,
                (&actor, org_id),
                field_id,
                &meta,
                now,
            ))?
            .map_err(|refused| AppError::Conflict(refused.to_string()))
        })
        .await?;
    list_changed(&state, org_id, &format!("Field “{}” deleted.", field.label)).await
}
