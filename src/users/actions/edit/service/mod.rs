//! Saving the Edit User dialog: the rules, seats, sessions and the audit event, in one
//! transaction.

use chrono::NaiveDateTime;
use diesel::QueryResult;

use super::forms::UserChange;
use super::store::{self, Details};
use crate::audit::Origin;
use crate::db::{write_tx, DbConn};
use crate::users::authority::{self, Act, Editor, Refusal};
use crate::users::{status, store as users_store};
use crate::validation::FieldErrors;

mod checks;
mod plan;
mod record;

use plan::Plan;
use record::record;

/// What a save changes (the checked form) and where a confirmation link points.
pub struct Change<'a> {
    pub user: &'a UserChange,
    /// Where the link that confirms a new email address points.
    pub base_url: &'a str,
    /// The identity provider vouches for a new email address (SCIM): it counts at once
    /// rather than waiting for the address to confirm it. Credentials stay the Owner's alone.
    pub email_at_once: bool,
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

/// Make Tenant SuperUser as the form asks, if it changes: (was, will be). Only the Owner sets
/// it, never on the Owner (who holds everything already) or on themselves.
fn superuser_of(
    conn: &mut DbConn,
    (editor, target): (&Editor, &authority::Standing),
    form: &UserChange,
    errors: &mut FieldErrors,
) -> Result<Option<(bool, bool)>, EditError> {
    let Some(want) = form.superuser else {
        return Ok(None);
    };
    let was = authority::is_superuser(conn, target.id)?;
    if want == was {
        return Ok(None);
    }
    if !editor.owner {
        errors.add(
            "superuser",
            "Only the Owner can make someone a tenant superuser.",
        );
    } else if target.owner {
        errors.add("superuser", "The Owner already holds every permission.");
    }
    Ok(Some((was, want)))
}

/// Writes the superuser change and its audit event (in the save's transaction).
fn record_superuser(
    conn: &mut DbConn,
    (editor, user_id, email): (&Editor, i64, &str),
    (was, want): (bool, bool),
    meta: &Origin,
    now: NaiveDateTime,
) -> QueryResult<()> {
    crate::users::store::set_superuser(conn, user_id, want, now)?;
    crate::audit::record(
        conn,
        crate::audit::Event {
            org_id: Some(editor.org_id),
            actor: &crate::audit::Actor::user(editor.id, &editor.email),
            action: crate::audit::action::SUPERUSER_CHANGED,
            target: Some((user_id, email)),
            details: serde_json::json!({
                "before": { "tenant_superuser": was },
                "after": { "tenant_superuser": want },
            }),
            meta,
        },
        now,
    )
}

impl From<authority::Denied> for EditError {
    fn from(denied: authority::Denied) -> Self {
        match denied {
            authority::Denied::NotFound => EditError::NotFound,
            authority::Denied::Refused(refusal) => EditError::Refused(refusal),
            authority::Denied::Database(e) => EditError::Database(e),
        }
    }
}

pub fn save(
    conn: &mut DbConn,
    editor: &Editor,
    user_id: i64,
    change: &Change<'_>,
    meta: &Origin,
    now: NaiveDateTime,
) -> Result<Saved, EditError> {
    use diesel::result::{DatabaseErrorKind::UniqueViolation, Error::DatabaseError};
    let result = match save_once(conn, editor, user_id, change, meta, now) {
        // Another save took a unique value (an email address, a unique field) between this
        // one's check and its write: once more, the check now names the field.
        Err(EditError::Database(DatabaseError(UniqueViolation, _))) => {
            save_once(conn, editor, user_id, change, meta, now)
        }
        other => other,
    };
    // Beyond the editor's access (a higher user, a role they do not hold, the superuser
    // flag without being the Owner): refused, and written to the audit log.
    let reason = match &result {
        Err(EditError::Refused(refusal)) => Some(refusal.to_string()),
        Err(EditError::Invalid(errors)) => errors
            .get("superuser")
            .or(errors.get("roles").filter(|m| *m == authority::BEYOND))
            .map(str::to_owned),
        _ => None,
    };
    if let Some(reason) = reason {
        authority::record_refusal(conn, editor, user_id, ("edit user", &reason), (meta, now))?;
    }
    result
}

fn save_once(
    conn: &mut DbConn,
    editor: &Editor,
    user_id: i64,
    change: &Change<'_>,
    meta: &Origin,
    now: NaiveDateTime,
) -> Result<Saved, EditError> {
    write_tx(conn, |conn| {
        let form = change.user;
        users_store::lock_for_change(conn, user_id)?;
        let current = store::edit_row(conn, editor.org_id, user_id)?.ok_or(EditError::NotFound)?;
        let target = authority::visible_standing(conn, editor, user_id).map_err(EditError::from)?;
        let me = editor.standing();
        authority::check(&me, &target, Act::Profile)?;
        if current.version != form.version {
            let by = store::last_editor(conn, user_id)?.unwrap_or_else(|| "Someone".into());
            return Err(EditError::Stale { by });
        }
        let plan = Plan::check(conn, editor, (&me, &target), (&current, form), now)?;
        plan.apply_beside(conn, editor, (user_id, &current.email), (meta, now))?;
        // A new address of an invitee (who has no sign-in yet) is theirs at once: the next
        // invitation goes there. Anyone else's waits for the new address to confirm it, and
        // the old address is told: an administrator cannot move someone's sign-in to an
        // address they do not control.
        // An identity provider's new address (SCIM) counts at once, but never the Owner's nor
        // the token maker's own: those wait for the new address like any other.
        let at_once = change.email_at_once && !target.owner && target.id != editor.id;
        let email_waits = plan.email_changes && current.status != status::INVITED && !at_once;
        let details = Details {
            email: if email_waits {
                current.email.as_str()
            } else {
                form.email.as_str()
            },
            first_name: form.first_name.as_str(),
            last_name: form.last_name.as_str(),
            phone: &form.phone,
            timezone: &form.timezone,
            language: &form.language,
            call_recording: form.call_recording,
            division_id: form.division_id,
            chat_scope: &plan.chat.scope,
            ip_allowlist: &form.ip_allowlist,
            status: plan.new_status,
        };
        if !store::save_details(conn, user_id, form.version, &details, now)? {
            let by = store::last_editor(conn, user_id)?.unwrap_or_else(|| "Someone".into());
            return Err(EditError::Stale { by });
        }
        // A scoped editor keeps the person within their divisions and teams: moving them out
        // would hand them to nobody (and is theirs to ask an administrator of all for).
        if let Some(scope) = &editor.scope {
            if !crate::users::scope::contains(conn, scope, user_id)? {
                let mut errors = FieldErrors::default();
                errors.add("division", crate::users::scope::OUTSIDE);
                return Err(EditError::Invalid(errors));
            }
        }
        // The search text from the saved name and email, the username and searchable fields
        // (written once: each write of it is a delete and an insert in the trigram index).
        users_store::refresh_search_text(conn, user_id)?;
        if plan.deactivating {
            crate::auth::store::delete_user_sessions(conn, user_id)?;
        }
        if plan.email_changes && at_once && current.status != status::INVITED {
            record::moved_at_once(conn, (&current, form.email.as_str()), now)?;
        }
        let changes = plan.changes(&current, &details);
        let saved = Saved {
            last_seats: plan.seats.last_seats,
            deactivated: plan.deactivating,
            email_waiting: email_waits.then(|| form.email.to_string()),
        };
        let saved_now = (&current, &details, &saved);
        record(
            conn,
            (editor, user_id),
            saved_now,
            changes,
            change.base_url,
            (meta, now),
        )?;
        Ok(saved)
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
