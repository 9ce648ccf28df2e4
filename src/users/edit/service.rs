//! Saving the Edit User dialog: the rules, seats, sessions and the audit event, in one
//! transaction.

use std::collections::BTreeSet;

use chrono::NaiveDateTime;

use super::forms::EditForm;
use super::store::{self, Details};
use crate::audit::{self, action, Actor, Event};
use crate::auth::permissions::{Permissions, OWNER};
use crate::db::{write_tx, DbConn};
use crate::invites::store::{assign_license, grantable_roles, products, take_seat};
use crate::users::{status, store as users_store};
use crate::web::form_errors::FieldErrors;
use crate::web::request_meta::RequestMeta;

/// Who saves.
pub struct Editor {
    pub id: i64,
    pub org_id: i64,
    pub email: String,
    pub permissions: Permissions,
}

/// The checked form with its normalized values.
pub struct Change<'a> {
    pub form: &'a EditForm,
    pub email: String,
    pub ip_allowlist: String,
    pub division_id: Option<i64>,
}

#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error("That user does not exist, or belongs to another organization.")]
    NotFound,
    #[error("some fields need attention")]
    Invalid(FieldErrors),
    /// Someone saved after the dialog opened.
    #[error("{by} changed this user after you opened the dialog.")]
    Stale { by: String },
    /// Turning Active off asks to Confirm first: nothing was saved yet.
    #[error("Deactivating needs a confirmation.")]
    NeedsConfirmation,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

pub fn save(
    conn: &mut DbConn,
    editor: &Editor,
    user_id: i64,
    change: &Change<'_>,
    meta: &RequestMeta,
    now: NaiveDateTime,
) -> Result<Saved, EditError> {
    write_tx(conn, |conn| {
        let form = change.form;
        let current = store::edit_row(conn, editor.org_id, user_id)?.ok_or(EditError::NotFound)?;
        if current.version != form.version {
            let by = store::last_editor(conn, user_id)?.unwrap_or_else(|| "Someone".into());
            return Err(EditError::Stale { by });
        }
        let mut errors = FieldErrors::default();
        let is_self = editor.id == user_id;
        let held: BTreeSet<i64> = store::role_ids(conn, user_id)?.into_iter().collect();
        let owner_role = users_store::role_id_by_name(conn, editor.org_id, OWNER)?;
        let is_owner = held.contains(&owner_role);

        // Status: invitations stay pending; the Active toggle decides the rest.
        let new_status = match (current.status.as_str(), form.active) {
            (status::INVITED, _) => status::INVITED,
            (_, Some(true)) => status::ACTIVE,
            (_, Some(false)) => status::INACTIVE,
            (s, None) if s == status::INACTIVE => status::INACTIVE,
            _ => status::ACTIVE,
        };
        let deactivating = new_status == status::INACTIVE && current.status != status::INACTIVE;
        if new_status != current.status && is_self {
            errors.add("active", "You cannot deactivate your own account.");
        }
        if deactivating && is_owner {
            errors.add("active", "The Owner cannot be deactivated.");
        }
        if deactivating && errors.is_empty() && !form.confirmed {
            return Err(EditError::NeedsConfirmation);
        }
        if let Some(division) = change.division_id {
            if !store::divisions(conn, editor.org_id)?
                .iter()
                .any(|(id, _)| *id == division)
            {
                errors.add("division", "Choose a division from the list.");
            }
        }

        // Roles: only roles within the editor's own access change; the rest stay as they are.
        let grantable: BTreeSet<i64> = grantable_roles(conn, editor.org_id, editor.permissions)?
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        let wanted: BTreeSet<i64> = form.role_ids.iter().copied().collect();
        let desired: BTreeSet<i64> = held
            .iter()
            .filter(|r| !grantable.contains(r))
            .chain(wanted.iter().filter(|r| grantable.contains(r)))
            .copied()
            .collect();
        if is_self && desired != held {
            errors.add("roles", "You cannot change your own roles.");
        } else if wanted
            .iter()
            .any(|r| !grantable.contains(r) && !held.contains(r))
        {
            errors.add("roles", "You can only give roles within your own access.");
        } else if desired.is_empty() {
            errors.add("roles", "Choose at least one role.");
        }

        if change.email != current.email && users_store::email_taken(conn, &change.email)? {
            errors.add("email", "Another account already uses this email address.");
        }

        // Licenses: an inactive user holds none; otherwise take or give back seats.
        let had: BTreeSet<i64> = store::product_ids(conn, user_id)?.into_iter().collect();
        let want: BTreeSet<i64> = if new_status == status::INACTIVE {
            BTreeSet::new()
        } else {
            form.product_ids.iter().copied().collect()
        };
        let catalogue = products(conn, editor.org_id)?;
        let mut last_seats = Vec::new();
        for product_id in had.difference(&want) {
            store::release_license(conn, user_id, *product_id)?;
        }
        for product_id in want.difference(&had) {
            let Some(product) = catalogue.iter().find(|p| p.id == *product_id) else {
                errors.add("licenses", "Choose from the products listed.");
                continue;
            };
            if !take_seat(conn, product.id)? {
                errors.add(
                    "licenses",
                    format!("No {} seats are left. Free one from another user, or add seats in Settings.", product.name),
                );
                continue;
            }
            assign_license(conn, user_id, product.id, now)?;
            if product.seats_used + 1 >= product.seats {
                last_seats.push(product.name.clone());
            }
        }
        if !errors.is_empty() {
            return Err(EditError::Invalid(errors));
        }

        for role in held.difference(&desired) {
            store::remove_role(conn, user_id, *role)?;
        }
        for role in desired.difference(&held) {
            users_store::add_role(conn, user_id, *role)?;
        }
        let details = Details {
            email: &change.email,
            first_name: form.first_name.trim(),
            last_name: form.last_name.trim(),
            phone: form.phone.trim(),
            timezone: &form.timezone,
            language: &form.language,
            call_recording: form.call_recording,
            division_id: change.division_id,
            chat_scope: &form.chat_scope,
            ip_allowlist: &change.ip_allowlist,
            status: new_status,
        };
        if !store::save_details(conn, user_id, form.version, &details, now)? {
            let by = store::last_editor(conn, user_id)?.unwrap_or_else(|| "Someone".into());
            return Err(EditError::Stale { by });
        }
        if deactivating {
            crate::auth::store::delete_user_sessions(conn, user_id)?;
        }

        let mut changes = audit::Changes::default();
        changes.field("email", &current.email, details.email);
        changes.field("first_name", &current.first_name, details.first_name);
        changes.field("last_name", &current.last_name, details.last_name);
        changes.field("phone", &current.phone, details.phone);
        changes.field("timezone", &current.timezone, details.timezone);
        changes.field("language", &current.language, details.language);
        changes.field(
            "call_recording",
            current.call_recording,
            details.call_recording,
        );
        changes.field("division_id", current.division_id, details.division_id);
        changes.field("chat_scope", &current.chat_scope, details.chat_scope);
        changes.field("ip_allowlist", &current.ip_allowlist, details.ip_allowlist);
        changes.field("status", &current.status, details.status);
        changes.field("role_ids", &held, &desired);
        changes.field("product_ids", &had, &want);
        let actor = Actor::user(editor.id, &editor.email);
        let event = Event {
            org_id: Some(editor.org_id),
            actor: &actor,
            action: action::USER_UPDATED,
            target: Some((user_id, &change.email)),
            details: changes.into_details(),
            meta,
        };
        audit::record(conn, event, now)?;
        Ok(Saved {
            last_seats,
            deactivated: deactivating,
        })
    })
}

/// What a save did beyond the fields.
#[derive(Debug, Default)]
pub struct Saved {
    /// Products whose last seat this save took.
    pub last_seats: Vec<String>,
    /// The user was deactivated (their row leaves a list of active users).
    pub deactivated: bool,
}

/// "That was the last Dialer seat: none remain. …", when a save took a last seat.
pub fn last_seat_notice(products: &[String]) -> Option<String> {
    match products {
        [] => None,
        [one] => Some(format!(
            "That was the last {one} seat: none remain. Free seats from other users or add seats in Settings."
        )),
        many => Some(format!(
            "Those were the last {} seats: none remain. Free seats from other users or add seats in Settings.",
            many.join(" and ")
        )),
    }
}
