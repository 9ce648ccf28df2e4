//! Deleting a role: the dialog asks where its holders go.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::routes::list_changed;
use super::service::{self, RoleError};
use super::{is_fixed, store};
use crate::auth::permissions::Permission;
use crate::orgs::catalog::{load_roles, Role};
use crate::users::actions::lifecycle::routes::editor_of;
use crate::validation::FieldErrors;
use crate::web::errors::triage;
use crate::web::request_meta::origin_of;
use crate::web::{htmx, AppError, CurrentUser, State};

type Pairs = web::Form<Vec<(String, String)>>;

#[derive(Template)]
#[template(path = "roles/_delete.html")]
struct DeleteDialog {
    role: Role,
    members: usize,
    /// Where its holders may go: the other roles the editor may hand out.
    others: Vec<(i64, String)>,
    move_to: String,
    errors: FieldErrors,
    refusal: Option<String>,
}

impl DeleteDialog {
    fn selected(&self, id: &i64) -> bool {
        self.move_to == id.to_string()
    }
}

async fn delete_view(
    state: &State,
    user: &CurrentUser,
    role_id: i64,
    move_to: String,
) -> Result<DeleteDialog, AppError> {
    let (org_id, held) = (user.org_id, user.permissions);
    let (role, members, others) = state
        .db(move |conn| {
            let roles = load_roles(conn, org_id)?;
            let role = roles
                .iter()
                .find(|r| r.id == role_id)
                .cloned()
                .ok_or(AppError::NotFound)?;
            let members = store::holders(conn, role_id)?.len();
            let others = crate::orgs::catalog::grantable(&roles, held)
                .into_iter()
                .filter(|(id, _)| *id != role_id)
                .collect();
            Ok((role, members, others))
        })
        .await?;
    if is_fixed(&role) {
        return Err(AppError::Denied(
            "The Owner role holds every permission and cannot be deleted.".into(),
        ));
    }
    Ok(DeleteDialog {
        role,
        members,
        others,
        move_to,
        errors: FieldErrors::default(),
        refusal: None,
    })
}

pub async fn delete_dialog(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::RolesManage)?;
    htmx::Fragment::of(&req)?;
    htmx::html(&delete_view(&state, &user, path.into_inner(), String::new()).await?)
}

pub async fn delete(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    path: web::Path<i64>,
    pairs: Pairs,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::RolesManage)?;
    let role_id = path.into_inner();
    let posted = pairs
        .iter()
        .rev()
        .find(|(k, _)| k == "move_to")
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_default();
    let view = delete_view(&state, &user, role_id, posted.clone()).await?;
    let move_to = match posted.as_str() {
        "" => Ok(None),
        text => text.parse::<i64>().map(Some),
    };
    let meta = origin_of(&req, &state.config.trusted_proxies);
    let (editor, now) = (editor_of(&user), state.clock.now());
    let outcome = match move_to {
        Ok(move_to) => {
            state
                .db(move |conn| {
                    triage(service::delete(conn, &editor, role_id, move_to, &meta, now))
                })
                .await?
        }
        Err(_) => Err(RoleError::Invalid(FieldErrors::one(
            "move_to",
            "Choose another role from the list.",
        ))),
    };
    match outcome {
        Ok(moved) => {
            let name = &view.role.name;
            let message = match moved {
                0 => format!("Role “{name}” deleted."),
                1 => format!("Role “{name}” deleted; the 1 person who held it moved."),
                n => format!("Role “{name}” deleted; the {n} people who held it moved."),
            };
            list_changed(&state, user.org_id, &message).await
        }
        Err(error) => {
            let mut view = view;
            match error {
                RoleError::Invalid(errors) => view.errors = errors,
                other => view.refusal = Some(other.to_string()),
            }
            htmx::html_with_status(&view, StatusCode::UNPROCESSABLE_ENTITY)
        }
    }
}
