//! `GET/POST /users/{id}/edit`.

use crate::web::errors::triage;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use super::forms::{EditForm, UserChange};
use super::service::{self, Change, EditError};
use super::store;
use super::views::{EditDialog, GroupPicker, LicenseChoice, RoleChoice, RowFragment};
use crate::auth::permissions::{Permission, OWNER};
use crate::fields::views as fields_views;
use crate::licenses::store::{product_ids_of, products};
use crate::orgs::catalog::grantable_roles;
use crate::users::actions::lifecycle::routes::editor_of;
use crate::users::authority::{self, Act};
use crate::users::views::UserRow;
use crate::validation::FieldErrors;
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
    let (org_id, held_permissions) = (user.org_id, user.permissions);
    let editor = editor_of(user);
    let me = editor.standing();
    let now = state.clock.now();
    state
        .db(move |conn| {
            let current = store::edit_row(conn, org_id, user_id)?.ok_or(AppError::NotFound)?;
            let target = authority::visible_standing(conn, &editor, user_id)?;
            authority::check(&me, &target, Act::Profile)?;
            let may = |act| authority::check(&me, &target, act).is_ok();
            let pending_email = crate::account::email::pending_email_change(conn, user_id, now)?;
            let held = store::role_ids(conn, user_id)?;
            let had = product_ids_of(conn, user_id)?;
            let grantable: Vec<i64> = grantable_roles(conn, org_id, held_permissions)?
                .into_iter()
                .map(|(id, _)| id)
                .collect();
            let all_roles = crate::users::store::org_roles(conn, org_id)?;
            let catalogue = products(conn, org_id)?;
            let divisions = store::divisions(conn, org_id)?;
            let org_groups = crate::groups::store::all(conn, org_id)?;
            let in_groups = crate::groups::store::of_user(conn, user_id)?;
            let assigned = crate::divisions::store::assigned(conn, user_id)?;
            let org_fields = crate::fields::store::all(conn, org_id)?;
            let username = crate::users::username::of_user(conn, user_id)?;
            let values = crate::fields::store::values_of(conn, user_id)?;
            let form = form.unwrap_or_else(|| EditForm {
                first_name: current.first_name.clone(),
                last_name: current.last_name.clone(),
                email: current.email.clone(),
                username: Some(username.unwrap_or_default()),
                phone: current.phone.clone(),
                timezone: current.timezone.clone(),
                language: current.language.clone(),
                call_recording: current.call_recording,
                division: current
                    .division_id
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
                chat_scope: current.chat_scope.clone(),
                chat_division_ids: Some(assigned.into_iter().collect()),
                ip_allowlist: current.ip_allowlist.clone(),
                active: Some(current.status != crate::users::status::INACTIVE),
                role_ids: held.clone(),
                product_ids: had.clone(),
                group_ids: Some(in_groups.into_iter().collect()),
                fields: None,
                version: current.version,
                confirmed: false,
                superuser: None,
            });
            let superuser = match form.superuser {
                Some(ticked) => ticked,
                None => authority::is_superuser(conn, user_id)?,
            };
            let roles = all_roles
                .into_iter()
                .map(|(id, name)| RoleChoice {
                    checked: form.role_ids.contains(&id),
                    locked: !may(Act::Access) || name == OWNER || !grantable.contains(&id),
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
                    choice.locked = !may(Act::Licenses);
                    choice
                })
                .collect();
            let mut timezones: Vec<String> =
                super::TIMEZONES.iter().map(|t| t.to_string()).collect();
            if !timezones.contains(&form.timezone) && !form.timezone.is_empty() {
                timezones.insert(0, form.timezone.clone());
            }
            let group_pickers = GroupPicker::all(org_groups, form.group_ids.as_deref());
            let values = match &form.fields {
                Some(posted) => posted.as_shown(&org_fields, &values),
                None => values,
            };
            let role_set = form.role_ids.iter().copied().collect();
            let shown = fields_views::Shown {
                fields: &org_fields,
                values: &values,
                roles: &role_set,
            };
            let field_sections = fields_views::sections(&shown, |_| true);
            Ok(EditDialog {
                user_id,
                superuser,
                superuser_offered: !target.owner,
                superuser_editable: me.owner && !target.owner && target.id != me.id,
                group_pickers,
                field_sections,
                show_active: may(Act::Status) && current.status != crate::users::status::INVITED,
                credentials_locked: !may(Act::Credentials),
                credentials_note: authority::check(&me, &target, Act::Credentials)
                    .err()
                    .map(|r| r.to_string())
                    .unwrap_or_default(),
                pending_email,
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
    user.require(Permission::UsersEdit)?;
    htmx::Fragment::of(&req)?;
    htmx::html(&dialog(&state, &user, id.into_inner(), None).await?)
}

/// The values of the extra columns the editor's list shows, for the refreshed row.
fn row_columns(
    conn: &mut crate::db::DbConn,
    (org_id, viewer): (i64, i64),
    user_id: i64,
) -> diesel::QueryResult<Vec<String>> {
    use crate::users::store::columns;
    let fields = crate::fields::store::all(conn, org_id)?;
    let shown = columns::chosen(conn, viewer, &fields)?;
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
    let outcome = state
        .db(move |conn| {
            let change = Change {
                user: &checked,
                base_url: &base_url,
            };
            Ok(
                match triage(service::save(conn, &editor, user_id, &change, &meta, now))? {
                    Ok(saved) => Ok((
                        crate::users::store::list_row(conn, editor.org_id, user_id)?,
                        (
                            app.catalog.of(conn, editor.org_id)?,
                            crate::groups::store::all(conn, editor.org_id)?,
                            row_columns(conn, (editor.org_id, editor.id), user_id)?,
                        ),
                        saved,
                    )),
                    Err(shown) => Err(shown),
                },
            )
        })
        .await?;
    match outcome {
        Ok((row, (catalog, groups, extra), saved)) => {
            let row = row.ok_or(AppError::NotFound)?;
            let viewer = editor_of(&user).standing();
            let mut row = UserRow::from_row(
                row,
                now,
                &viewer,
                (&catalog, &crate::groups::GroupNames::of(&groups)),
            );
            row.extra = extra;
            let actions = crate::users::views::RowActions::of(&user);
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
            // A deactivated user leaves a list showing only active users: the table reloads
            // with its own filters (the swapped row alone would show Inactive there).
            if saved.deactivated {
                effects = effects.users_changed();
            }
            if let Some(notice) = crate::licenses::last_seat_notice(&saved.last_seats) {
                effects = effects.notice(htmx::ToastKind::Info, &notice);
            }
            effects.on(htmx::html(&fragment)?)
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
