//! `GET/POST /users/{id}/edit`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use super::forms::EditForm;
use super::service::{self, Change, EditError, Editor};
use super::store;
use super::views::{EditDialog, LicenseChoice, RoleChoice, RowFragment};
use crate::auth::permissions::{Permission, OWNER};
use crate::invites::store::{grantable_roles, products};
use crate::users::views::UserRow;
use crate::web::form_errors::FieldErrors;
use crate::web::request_meta::RequestMeta;
use crate::web::{htmx, AppError, CurrentUser, State};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/users/{id}/edit", web::get().to(edit_form))
        .route("/users/{id}/edit", web::post().to(update));
}

pub const SAVED: &str = "User details have been updated successfully!";

/// Builds the dialog for `user_id`, from the database (`form: None`) or from what was typed.
async fn dialog(
    state: &State,
    user: &CurrentUser,
    user_id: i64,
    form: Option<EditForm>,
) -> Result<EditDialog, AppError> {
    let (org_id, held_permissions, self_id) = (user.org_id, user.permissions, user.id);
    state
        .db(move |conn| {
            let current = store::edit_row(conn, org_id, user_id)?.ok_or(AppError::NotFound)?;
            let held = store::role_ids(conn, user_id)?;
            let had = store::product_ids(conn, user_id)?;
            let grantable: Vec<i64> = grantable_roles(conn, org_id, held_permissions)?
                .into_iter()
                .map(|(id, _)| id)
                .collect();
            let all_roles = crate::users::store::org_roles(conn, org_id)?;
            let catalogue = products(conn, org_id)?;
            let divisions = store::divisions(conn, org_id)?;
            let form = form.unwrap_or_else(|| EditForm {
                first_name: current.first_name.clone(),
                last_name: current.last_name.clone(),
                email: current.email.clone(),
                phone: current.phone.clone(),
                timezone: current.timezone.clone(),
                language: current.language.clone(),
                call_recording: current.call_recording,
                division: current
                    .division_id
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
                chat_scope: current.chat_scope.clone(),
                ip_allowlist: current.ip_allowlist.clone(),
                active: Some(current.status != crate::users::status::INACTIVE),
                role_ids: held.clone(),
                product_ids: had.clone(),
                version: current.version,
                confirmed: false,
            });
            let is_self = self_id == user_id;
            let roles = all_roles
                .into_iter()
                .map(|(id, name)| RoleChoice {
                    checked: form.role_ids.contains(&id),
                    locked: is_self || name == OWNER || !grantable.contains(&id),
                    id,
                    name,
                })
                .collect();
            let licenses = catalogue
                .iter()
                .map(|p| {
                    let mut choice =
                        LicenseChoice::from_product(p, form.product_ids.contains(&p.id));
                    if had.contains(&p.id) {
                        choice.left += 1; // their own seat is theirs to keep
                    }
                    choice
                })
                .collect();
            let mut timezones: Vec<String> =
                super::TIMEZONES.iter().map(|t| t.to_string()).collect();
            if !timezones.contains(&form.timezone) && !form.timezone.is_empty() {
                timezones.insert(0, form.timezone.clone());
            }
            Ok(EditDialog {
                user_id,
                show_active: !is_self && current.status != crate::users::status::INVITED,
                pending: current.status == crate::users::status::INVITED,
                was_active: current.status == crate::users::status::ACTIVE,
                form,
                roles,
                licenses,
                divisions,
                errors: FieldErrors::default(),
                alert: None,
                confirm_deactivate: false,
                timezones,
            })
        })
        .await
}

pub async fn edit_form(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::UsersManage)?;
    if !htmx::is_htmx(&req) {
        return Ok(HttpResponse::SeeOther()
            .insert_header(("Location", "/users"))
            .finish());
    }
    htmx::html(&dialog(&state, &user, id.into_inner(), None).await?)
}

/// The dialog again (errors, a confirmation, a concurrent change), in place of itself.
fn again(view: &EditDialog, status: StatusCode) -> Result<HttpResponse, AppError> {
    let mut response = htmx::html_with_status(view, status)?;
    response.headers_mut().insert(
        actix_web::http::header::HeaderName::from_static("hx-retarget"),
        actix_web::http::header::HeaderValue::from_static("#edit-dialog"),
    );
    response.headers_mut().insert(
        actix_web::http::header::HeaderName::from_static("hx-reswap"),
        actix_web::http::header::HeaderValue::from_static("outerHTML"),
    );
    Ok(response)
}

pub async fn update(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    id: web::Path<i64>,
    pairs: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::UsersManage)?;
    let user_id = id.into_inner();
    let form = EditForm::from_pairs(&pairs);
    // The dialog is built again only when it is shown again (errors, a confirmation): a save
    // that goes through is one trip to the database.
    let (email, ip_allowlist, division_id) = match form.check() {
        Ok(values) => values,
        Err(errors) => {
            let mut view = dialog(&state, &user, user_id, Some(form.clone())).await?;
            view.errors = errors;
            return again(&view, StatusCode::UNPROCESSABLE_ENTITY);
        }
    };
    let editor = Editor {
        id: user.id,
        org_id: user.org_id,
        email: user.email.clone(),
        permissions: user.permissions,
    };
    let meta = RequestMeta::of(&req, &state.config.trusted_proxies);
    let now = state.clock.now();
    let saved_form = form.clone();
    let outcome = state
        .db(move |conn| {
            let change = Change {
                form: &saved_form,
                email,
                ip_allowlist,
                division_id,
            };
            match service::save(conn, &editor, user_id, &change, &meta, now) {
                Ok(saved) => Ok(Ok((
                    crate::users::store::list_row(conn, editor.org_id, user_id)?,
                    saved,
                ))),
                Err(EditError::Database(e)) => Err(e.into()),
                Err(EditError::NotFound) => Err(AppError::NotFound),
                Err(other) => Ok(Err(other)),
            }
        })
        .await?;
    match outcome {
        Ok((row, saved)) => {
            let row = row.ok_or(AppError::NotFound)?;
            let fragment = RowFragment {
                row: UserRow::from_row(row, now),
                can_invite: user.can(Permission::UsersInvite),
                can_manage: true,
                can_view_audit: user.can(Permission::AuditView),
            };
            let mut response = htmx::html(&fragment)?;
            let mut trigger = serde_json::json!({ "toast": { "kind": "success", "message": SAVED }, "closeModal": true });
            // A deactivated user leaves a list showing only active users: the table reloads
            // with its own filters (the swapped row alone would show Inactive there).
            if saved.deactivated {
                trigger["usersChanged"] = serde_json::Value::Bool(true);
            }
            if let Some(notice) = service::last_seat_notice(&saved.last_seats) {
                trigger["notice"] = serde_json::json!({ "kind": "info", "message": notice });
            }
            let headers = response.headers_mut();
            let value = |text: &str| {
                actix_web::http::header::HeaderValue::from_str(text)
                    .map_err(|e| AppError::Unexpected(e.into()))
            };
            headers.insert(
                actix_web::http::header::HeaderName::from_static("hx-trigger"),
                value(&trigger.to_string())?,
            );
            headers.insert(
                actix_web::http::header::HeaderName::from_static("hx-retarget"),
                value(&format!("#user-{user_id}"))?,
            );
            headers.insert(
                actix_web::http::header::HeaderName::from_static("hx-reswap"),
                value("outerHTML")?,
            );
            Ok(response)
        }
        Err(EditError::Invalid(errors)) => {
            let mut view = dialog(&state, &user, user_id, Some(form)).await?;
            view.errors = errors;
            again(&view, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(EditError::NeedsConfirmation) => {
            let mut view = dialog(&state, &user, user_id, Some(form)).await?;
            view.confirm_deactivate = true;
            again(&view, StatusCode::OK)
        }
        Err(EditError::Stale { by }) => {
            // Reload what is saved now, and say who changed it.
            let mut fresh = dialog(&state, &user, user_id, None).await?;
            fresh.alert = Some(format!(
                "{by} changed this user after you opened the dialog, so nothing was saved. Review the current details below and save again."
            ));
            again(&fresh, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(_) => Err(AppError::NotFound),
    }
}
