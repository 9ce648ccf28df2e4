//! Saving the Edit User dialog: the rules, seats, sessions and the audit event, in one
//! transaction.

use std::collections::BTreeSet;

use chrono::NaiveDateTime;

use super::forms::UserChange;
use super::store::{self, Details};
use crate::account::email::{queue_email_change, EmailChange};
use crate::audit::Origin;
use crate::audit::{self, action, Actor, Event};
use crate::db::{write_tx, DbConn};
use crate::divisions::store as divisions;
use crate::groups;
use crate::licenses::store::{self as licenses, products, take_seat};
use crate::orgs::catalog::grantable_roles;
use crate::users::authority::{self, Act, Editor, Refusal};
use crate::users::{status, store as users_store};
use crate::validation::FieldErrors;

/// What a save changes (the checked form) and where a confirmation link points.
pub struct Change<'a> {
    pub user: &'a UserChange,
    /// Where the link that confirms a new email address points.
    pub base_url: &'a str,
}

#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error("That user does not exist, or belongs to another organization.")]
    NotFound,
    /// The editor may not act on this user at all (they hold more).
    #[error(transparent)]
    Refused(#[from] Refusal),
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
    meta: &Origin,
    now: NaiveDateTime,
) -> Result<Saved, EditError> {
    write_tx(conn, |conn| {
        let (form, base_url) = (change.user, change.base_url);
        let current = store::edit_row(conn, editor.org_id, user_id)?.ok_or(EditError::NotFound)?;
        let target =
            authority::standing_of(conn, editor.org_id, user_id)?.ok_or(EditError::NotFound)?;
        let me = editor.standing();
        authority::check(&me, &target, Act::Profile)?;
        if current.version != form.version {
            let by = store::last_editor(conn, user_id)?.unwrap_or_else(|| "Someone".into());
            return Err(EditError::Stale { by });
        }
        let mut errors = FieldErrors::default();
        let mut refuse = |field: &'static str, act: Act| {
            if let Err(refusal) = authority::check(&me, &target, act) {
                errors.add(field, refusal.to_string());
            }
        };
        let held: BTreeSet<i64> = store::role_ids(conn, user_id)?.into_iter().collect();

        // Status: invitations stay pending; the Active toggle decides the rest.
        let new_status = match (current.status.as_str(), form.active) {
            (status::INVITED, _) => status::INVITED,
            (_, Some(true)) => status::ACTIVE,
            (_, Some(false)) => status::INACTIVE,
            (s, None) if s == status::INACTIVE => status::INACTIVE,
            _ => status::ACTIVE,
        };
        let deactivating = new_status == status::INACTIVE && current.status != status::INACTIVE;
        if new_status != current.status {
            refuse("active", Act::Status);
        }
        let email_changes = form.email.as_str() != current.email;
        if email_changes {
            refuse("email", Act::Credentials);
        }
        if form.ip_allowlist != current.ip_allowlist {
            refuse("ip_allowlist", Act::Credentials);
        }

        // Roles: only roles within the editor's own access change; the rest stay as they are.
        let grantable: BTreeSet<i64> = grantable_roles(conn, editor.org_id, editor.permissions)?
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        let wanted: &BTreeSet<i64> = &form.role_ids;
        let desired: BTreeSet<i64> = held
            .iter()
            .filter(|r| !grantable.contains(r))
            .chain(wanted.iter().filter(|r| grantable.contains(r)))
            .copied()
            .collect();
        if desired != held {
            refuse("roles", Act::Access);
        }
        if errors.get("roles").is_none() {
            if wanted
                .iter()
                .any(|r| !grantable.contains(r) && !held.contains(r))
            {
                errors.add("roles", "You can only give roles within your own access.");
            } else if desired.is_empty() {
                errors.add("roles", "Choose at least one role.");
            }
        }
        // Chat access is a Supervisor's: for anyone else what was there stays (the dialog
        // hides the choice, which a browser still posts).
        let supervisor = crate::users::store::role_id_by_name(
            conn,
            editor.org_id,
            crate::auth::permissions::SUPERVISOR,
        )
        .ok();
        let chat_scope = if supervisor.is_some_and(|role| desired.contains(&role)) {
            form.chat_scope.as_str()
        } else {
            current.chat_scope.as_str()
        };
        // A Supervisor's Assigned divisions only needs at least one of the organization's
        // divisions; All divisions clears them; anyone else's stay as they are.
        let is_supervisor = supervisor.is_some_and(|role| desired.contains(&role));
        let org_divisions = store::divisions(conn, editor.org_id)?;
        let held_chat = divisions::assigned(conn, user_id)?;
        let assigned_only = chat_scope == super::CHAT_ASSIGNED;
        let want_chat = match (is_supervisor, assigned_only) {
            (false, _) => held_chat.clone(),
            (true, false) => BTreeSet::new(),
            (true, true) => form
                .chat_division_ids
                .clone()
                .unwrap_or_else(|| held_chat.clone()),
        };
        if is_supervisor && assigned_only {
            if want_chat
                .iter()
                .any(|id| !org_divisions.iter().any(|(d, _)| d == id))
            {
                errors.add("chat_divisions", "Choose divisions from the list.");
            } else if want_chat.is_empty() {
                errors.add(
                    "chat_divisions",
                    "Choose at least one division for Assigned divisions only.",
                );
            }
        }
        if deactivating && errors.is_empty() && !form.confirmed {
            return Err(EditError::NeedsConfirmation);
        }
        if let Some(division) = form.division_id {
            if !org_divisions.iter().any(|(id, _)| *id == division) {
                errors.add("division", "Choose a division from the list.");
            }
        }
        if email_changes && users_store::email_taken(conn, form.email.as_str())? {
            errors.add("email", "Another account already uses this email address.");
        }

        // Licenses: an inactive user holds none; otherwise take or give back seats.
        let had: BTreeSet<i64> = licenses::product_ids_of(conn, user_id)?
            .into_iter()
            .collect();
        let want: BTreeSet<i64> = if new_status == status::INACTIVE {
            BTreeSet::new()
        } else {
            form.product_ids.clone()
        };
        let catalogue = products(conn, editor.org_id)?;
        let mut last_seats = Vec::new();
        for product_id in had.difference(&want) {
            licenses::release(conn, user_id, *product_id)?;
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
            licenses::assign(conn, user_id, product.id, now)?;
            if product.seats_used + 1 >= product.seats {
                last_seats.push(product.name.clone());
            }
        }
        // Groups: any of the organization's, when the form had the pickers.
        let org_groups = groups::store::all(conn, editor.org_id)?;
        let in_groups = groups::store::of_user(conn, user_id)?;
        let want_groups = form.group_ids.clone().unwrap_or_else(|| in_groups.clone());
        if want_groups
            .iter()
            .any(|id| !org_groups.iter().any(|g| g.id == *id))
        {
            errors.add("groups", "Choose groups from the lists.");
        }
        if !errors.is_empty() {
            return Err(EditError::Invalid(errors));
        }
        if want_chat != held_chat {
            divisions::assign(conn, user_id, &want_chat)?;
        }
        for group in in_groups.difference(&want_groups) {
            groups::store::remove_member(conn, user_id, *group)?;
        }
        for group in want_groups.difference(&in_groups) {
            groups::store::add_member(conn, user_id, *group)?;
        }

        for role in held.difference(&desired) {
            store::remove_role(conn, user_id, *role)?;
        }
        for role in desired.difference(&held) {
            users_store::add_role(conn, user_id, *role)?;
        }
        // A new address of an invitee (who has no sign-in yet) is theirs at once: the next
        // invitation goes there. Anyone else's waits for the new address to confirm it, and
        // the old address is told: an administrator cannot move someone's sign-in to an
        // address they do not control.
        let email_waits = email_changes && current.status != status::INVITED;
        let saved_email = if email_waits {
            current.email.as_str()
        } else {
            form.email.as_str()
        };
        let details = Details {
            email: saved_email,
            first_name: form.first_name.as_str(),
            last_name: form.last_name.as_str(),
            phone: &form.phone,
            timezone: &form.timezone,
            language: &form.language,
            call_recording: form.call_recording,
            division_id: form.division_id,
            chat_scope,
            ip_allowlist: &form.ip_allowlist,
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
        changes.field(
            "chat_divisions",
            divisions::names(&org_divisions, &held_chat),
            divisions::names(&org_divisions, &want_chat),
        );
        changes.field("ip_allowlist", &current.ip_allowlist, details.ip_allowlist);
        changes.field("status", &current.status, details.status);
        changes.field("role_ids", &held, &desired);
        changes.field("product_ids", &had, &want);
        changes.field(
            "groups",
            groups::store::labels(&org_groups, &in_groups),
            groups::store::labels(&org_groups, &want_groups),
        );
        let actor = Actor::user(editor.id, &editor.email);
        let changes_empty = changes.is_empty();
        let event = Event {
            org_id: Some(editor.org_id),
            actor: &actor,
            action: action::USER_UPDATED,
            target: Some((user_id, details.email)),
            details: changes.into_details(),
            meta,
        };
        if !(email_waits && changes_empty) {
            audit::record(conn, event, now)?;
        }
        if email_waits {
            let request = EmailChange {
                org_id: editor.org_id,
                user_id,
                first_name: details.first_name,
                old_email: &current.email,
                new_email: form.email.as_str(),
                by_admin: true,
            };
            queue_email_change(conn, &request, base_url, now)?;
            let event = Event {
                org_id: Some(editor.org_id),
                actor: &actor,
                action: action::EMAIL_CHANGE_REQUESTED,
                target: Some((user_id, &current.email)),
                details: serde_json::json!({ "new_email": form.email.as_str() }),
                meta,
            };
            audit::record(conn, event, now)?;
        }
        Ok(Saved {
            last_seats,
            deactivated: deactivating,
            email_waiting: email_waits.then(|| form.email.to_string()),
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
    /// A new email address that counts once it confirms (a link was sent to it).
    pub email_waiting: Option<String>,
}
