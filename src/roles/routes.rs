//! Settings → Roles: `GET /settings/roles`, the role dialog (new and edit) with its live
//! preview, and the delete dialog (which asks where the role's holders go).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::service::{self, Preview, RoleError, RoleForm};
use super::{is_fixed, is_signup_role, labels_of, permission_groups, store, PermissionGroup};
use crate::auth::permissions::Permission;
use crate::orgs::catalog::{load_roles, Role};
use crate::users::actions::lifecycle::routes::editor_of;
use crate::validation::FieldErrors;
use crate::web::errors::{triage, ServiceError};
use crate::web::request_meta::origin_of;
use crate::web::shell::{Nav, Shell};
use crate::web::{htmx, AppError, CurrentUser, State};

type Pairs = web::Form<Vec<(String, String)>>;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/settings/roles", web::get().to(show))
        .route("/settings/roles", web::post().to(create))
        .route("/settings/roles/new", web::get().to(new_dialog))
        .route("/settings/roles/preview", web::post().to(preview))
        .route("/settings/roles/{id}/edit", web::get().to(edit_dialog))
        .route("/settings/roles/{id}/edit", web::post().to(update))
        .route(
            "/settings/roles/{id}/delete",
            web::get().to(super::delete::delete_dialog),
        )
        .route(
            "/settings/roles/{id}/delete",
            web::post().to(super::delete::delete),
        );
}

impl ServiceError for RoleError {
    fn sort(self) -> Result<Self, AppError> {
        match self {
            RoleError::NotFound => Err(AppError::NotFound),
            RoleError::Database(e) => Err(e.into()),
            shown => Ok(shown),
        }
    }
}

/// One row of the roles list.
struct RoleRow {
    role: Role,
    members: i64,
    permissions: Vec<String>,
    fixed: bool,
    deletable: bool,
}

#[derive(Template)]
#[template(path = "roles/_list.html")]
struct RoleList {
    rows: Vec<RoleRow>,
}

#[derive(Template)]
#[template(path = "roles/page.html")]
struct RolesPage {
    shell: Shell,
    list: RoleList,
}

#[derive(Template)]
#[template(path = "roles/_dialog.html")]
struct RoleDialog {
    /// `None`: a new role.
    role_id: Option<i64>,
    title: String,
    form: RoleForm,
    groups: Vec<PermissionGroup>,
    /// Permissions the editor does not hold: shown, not offered.
    locked: Vec<String>,
    name_locked: bool,
    preview: PreviewView,
    errors: FieldErrors,
    refusal: Option<String>,
}

impl RoleDialog {
    fn checked(&self, name: &str) -> bool {
        self.form.permissions.iter().any(|p| p == name)
    }

    fn is_locked(&self, name: &str) -> bool {
        self.locked.iter().any(|p| p == name)
    }

    fn action_url(&self) -> String {
        match self.role_id {
            Some(id) => format!("/settings/roles/{id}/edit"),
            None => "/settings/roles".into(),
        }
    }
}

#[derive(Template)]
#[template(path = "roles/_preview.html")]
struct PreviewView {
    preview: Preview,
    existing: bool,
}

async fn list(state: &State, org_id: i64) -> Result<RoleList, AppError> {
    state
        .db(move |conn| {
            let counts = store::member_counts(conn, org_id)?;
            let products = crate::licenses::product_permissions::all(conn, org_id)?;
            let rows = load_roles(conn, org_id)?
                .into_iter()
                .map(|role| RoleRow {
                    members: counts.get(&role.id).copied().unwrap_or(0),
                    permissions: if is_fixed(&role) {
                        vec!["Every permission".into()]
                    } else {
                        labels_of(role.permissions, &products)
                    },
                    fixed: is_fixed(&role),
                    deletable: !is_fixed(&role) && !is_signup_role(&role),
                    role,
                })
                .collect();
            Ok(RoleList { rows })
        })
        .await
}

pub async fn show(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::RolesManage)?;
    htmx::html(&RolesPage {
        shell: Shell::new(&req, &user, Nav::Settings),
        list: list(&state, user.org_id).await?,
    })
}

/// The dialog for a new role (`role_id: None`) or an existing one, as stored or as typed.
async fn dialog(
    state: &State,
    user: &CurrentUser,
    role_id: Option<i64>,
    form: Option<RoleForm>,
) -> Result<RoleDialog, AppError> {
    let (org_id, held) = (user.org_id, user.permissions);
    let (role, products) = state
        .db(move |conn| {
            let role = match role_id {
                Some(id) => Some(
                    load_roles(conn, org_id)?
                        .into_iter()
                        .find(|r| r.id == id)
                        .ok_or(AppError::NotFound)?,
                ),
                None => None,
            };
            Ok((
                role,
                crate::licenses::product_permissions::all(conn, org_id)?,
            ))
        })
        .await?;
    if role.as_ref().is_some_and(is_fixed) {
        return Err(AppError::Denied(
            "The Owner role holds every permission and cannot be changed.".into(),
        ));
    }
    let form = form.unwrap_or_else(|| role.as_ref().map(RoleForm::of).unwrap_or_default());
    let groups = permission_groups(&products);
    let locked = groups
        .iter()
        .flat_map(|g| &g.permissions)
        .filter(|p| {
            !held.covers(crate::auth::permissions::Permissions::default().with_name(&p.name))
        })
        .map(|p| p.name.clone())
        .collect();
    let preview = preview_view(state, org_id, role_id, form.clone()).await?;
    Ok(RoleDialog {
        role_id,
        title: match &role {
            Some(role) => format!("Edit role “{}”", role.name),
            None => "New role".into(),
        },
        name_locked: role.as_ref().is_some_and(super::keeps_name),
        form,
        groups,
        locked,
        preview,
        errors: FieldErrors::default(),
        refusal: None,
    })
}

async fn preview_view(
    state: &State,
    org_id: i64,
    role_id: Option<i64>,
    form: RoleForm,
) -> Result<PreviewView, AppError> {
    let preview = state
        .db(move |conn| {
            Ok(triage(service::preview(conn, org_id, role_id, &form))?.unwrap_or_default())
        })
        .await?;
    Ok(PreviewView {
        preview,
        existing: role_id.is_some(),
    })
}

pub async fn new_dialog(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::RolesManage)?;
    htmx::Fragment::of(&req)?;
    htmx::html(&dialog(&state, &user, None, None).await?)
}

pub async fn edit_dialog(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::RolesManage)?;
    htmx::Fragment::of(&req)?;
    htmx::html(&dialog(&state, &user, Some(path.into_inner()), None).await?)
}

/// `POST /settings/roles/preview`: what the ticked permissions would grant and revoke, and
/// whom it affects, while the dialog is open.
pub async fn preview(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    pairs: Pairs,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::RolesManage)?;
    htmx::Fragment::of(&req)?;
    let role_id = pairs
        .iter()
        .find(|(k, _)| k == "role_id")
        .and_then(|(_, v)| v.parse().ok());
    let form = RoleForm::from_pairs(&pairs);
    htmx::html(&preview_view(&state, user.org_id, role_id, form).await?)
}

/// After a change: the list again in place, a toast, the dialog closed.
pub(super) async fn list_changed(
    state: &State,
    org_id: i64,
    message: &str,
) -> Result<HttpResponse, AppError> {
    htmx::replaced("#role-list", &list(state, org_id).await?, message)
}

/// The dialog again with what was typed and why it was not saved.
async fn refused(
    state: &State,
    user: &CurrentUser,
    role_id: Option<i64>,
    form: RoleForm,
    error: RoleError,
) -> Result<HttpResponse, AppError> {
    let mut view = dialog(state, user, role_id, Some(form)).await?;
    match error {
        RoleError::Invalid(errors) => view.errors = errors,
        other => view.refusal = Some(other.to_string()),
    }
    htmx::html_with_status(&view, StatusCode::UNPROCESSABLE_ENTITY)
}

pub async fn create(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    pairs: Pairs,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::RolesManage)?;
    let form = RoleForm::from_pairs(&pairs);
    let meta = origin_of(&req, &state.config.trusted_proxies);
    let (editor, now) = (editor_of(&user), state.clock.now());
    let posted = form.clone();
    let outcome = state
        .db(move |conn| triage(service::create(conn, &editor, &posted, &meta, now)))
        .await?;
    match outcome {
        Ok(_) => {
            let message = format!("Role “{}” created.", form.name.trim());
            list_changed(&state, user.org_id, &message).await
        }
        Err(error) => refused(&state, &user, None, form, error).await,
    }
}

pub async fn update(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    path: web::Path<i64>,
    pairs: Pairs,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::RolesManage)?;
    let role_id = path.into_inner();
    let form = RoleForm::from_pairs(&pairs);
    let meta = origin_of(&req, &state.config.trusted_proxies);
    let (editor, now) = (editor_of(&user), state.clock.now());
    let posted = form.clone();
    let outcome = state
        .db(move |conn| triage(service::update(conn, &editor, role_id, &posted, &meta, now)))
        .await?;
    match outcome {
        Ok(preview) => {
            let message = match preview.affected {
                0 => format!("Role “{}” saved.", form.name.trim()),
                1 => format!(
                    "Role “{}” saved: 1 person's access changed.",
                    form.name.trim()
                ),
                n => format!(
                    "Role “{}” saved: {n} people's access changed.",
                    form.name.trim()
                ),
            };
            list_changed(&state, user.org_id, &message).await
        }
        Err(error) => refused(&state, &user, Some(role_id), form, error).await,
    }
}
