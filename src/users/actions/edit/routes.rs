//! `GET/POST /users/{id}/edit`.

use crate::web::errors::triage;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use super::forms::{EditForm, UserChange};
use super::service::Saved;
use super::service::{self, Change, EditError};
use super::views::{EditDialog, RowFragment};
use crate::auth::permissions::Permission;
use crate::users::actions::lifecycle::routes::editor_of;
use crate::users::views::UserRow;
use crate::web::request_meta::origin_of;
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
    let editor = editor_of(user);
    let now = state.clock.now();
    state
        .db(move |conn| super::dialog::build(conn, &editor, user_id, form, now))
        .await
}

pub async fn edit_form(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::UsersEdit)?;
    htmx::Fragment::of(&req)?;
    htmx::html(&dialog(&state, &user, id.into_inner(), None).await?)
}

/// The values of the extra columns the editor's list shows (`chosen`), for the refreshed row.
fn row_columns(
    conn: &mut crate::db::DbConn,
    (chosen, fields): (&[i64], &[crate::fields::Field]),
    user_id: i64,
) -> diesel::QueryResult<Vec<String>> {
    use crate::users::store::columns;
    let shown = columns::chosen(chosen, fields);
    Ok(columns::values(conn, &[user_id], &shown)?
        .remove(&user_id)
        .unwrap_or_default())
}

/// The dialog again (errors, a confirmation, a concurrent change), in place of itself.
fn again(view: &EditDialog, status: StatusCode) -> Result<HttpResponse, AppError> {
    htmx::Hx::new()
        .retarget("#edit-dialog")
        .reswap("outerHTML")
        .on(htmx::html_with_status(view, status)?)
}

pub async fn update(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    id: web::Path<i64>,
    pairs: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::UsersEdit)?;
    let user_id = id.into_inner();
    let form = EditForm::from_pairs(&pairs);
    // The dialog is built again only when it is shown again (errors, a confirmation): a save
    // that goes through is one trip to the database.
    let checked = match UserChange::try_from(&form) {
        Ok(checked) => checked,
        Err(errors) => {
            let mut view = dialog(&state, &user, user_id, Some(form.clone())).await?;
            view.errors = errors;
            return again(&view, StatusCode::UNPROCESSABLE_ENTITY);
        }
    };
    let editor = editor_of(&user);
    let base_url = state.base_url.clone();
    let meta = origin_of(&req, &state.config.trusted_proxies);
    let now = state.clock.now();
    let app = state.get_ref().clone();
    let chosen = user.list_columns.clone();
    let outcome = state
        .db(move |conn| {
            let change = Change {
                user: &checked,
                base_url: &base_url,
                email_at_once: false,
            };
            Ok(
                match triage(service::save(conn, &editor, user_id, &change, &meta, now))? {
                    Ok(saved) => {
                        // Roles, groups and fields from memory (the catalogue).
                        let catalog = app.catalog.of(conn, editor.org_id)?;
                        let extra = row_columns(conn, (&chosen, &catalog.fields), user_id)?;
                        Ok((
                            crate::users::store::list_row(conn, editor.org_id, user_id)?,
                            (catalog, extra),
                            saved,
                        ))
                    }
                    Err(shown) => Err(shown),
                },
            )
        })
        .await?;
    match outcome {
        Ok((row, (catalog, extra), saved)) => {
            let row = row.ok_or(AppError::NotFound)?;
            let viewer = editor_of(&user).standing();
            let mut row = UserRow::from_row(
                row,
                now,
                &viewer,
                (&catalog, &crate::groups::GroupNames::of(&catalog.groups)),
            );
            row.extra = extra;
            saved_response(&user, row, &saved)
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

/// The saved user's row in place of the old one, the dialog closed, and what the save did.
fn saved_response(
    user: &CurrentUser,
    row: UserRow,
    saved: &Saved,
) -> Result<HttpResponse, AppError> {
    let user_id = row.id;
    let actions = crate::users::views::RowActions::of(user);
    let fragment = RowFragment {
        row,
        can_invite: actions.can_invite,
        can_manage: actions.can_manage,
        can_create: actions.can_create,
        can_view_audit: actions.can_view_audit,
    };
    let message = match &saved.email_waiting {
        Some(email) => format!("{SAVED} The new email address counts once {email} confirms it: a link was sent there, and the current address was told."),
        None => SAVED.to_owned(),
    };
    let mut effects = htmx::Hx::new()
        .toast(htmx::ToastKind::Success, &message)
        .close_dialog()
        .retarget(format!("#user-{user_id}"))
        .reswap("outerHTML");
    // A deactivated user leaves a list showing only active users: the table reloads with its
    // own filters (the swapped row alone would show Inactive there).
    if saved.deactivated {
        effects = effects.users_changed();
    }
    if let Some(notice) = crate::licenses::last_seat_notice(&saved.last_seats) {
        effects = effects.notice(htmx::ToastKind::Info, &notice);
    }
    effects.on(htmx::html(&fragment)?)
}
