//! What an Edit User save writes to the audit log, and the link to a new email address.

use chrono::NaiveDateTime;
use diesel::QueryResult;

use super::super::store::{self, Details};
use super::Saved;
use crate::account::email::{queue_email_change, EmailChange};
use crate::audit::{self, action, Actor, Event, Origin};
use crate::db::DbConn;
use crate::users::authority::Editor;

/// The saved fields, before and after.
pub(super) fn details_changes(current: &store::EditRow, details: &Details<'_>) -> audit::Changes {
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
    changes
}

/// The save's audit event, and for a new email address that waits, the link to it and its
/// own event (a save that changed nothing else records only that).
pub(super) fn record(
    conn: &mut DbConn,
    (editor, user_id): (&Editor, i64),
    (current, details, saved): (&store::EditRow, &Details<'_>, &Saved),
    changes: audit::Changes,
    base_url: &str,
    (meta, now): (&Origin, NaiveDateTime),
) -> QueryResult<()> {
    let actor = Actor::user(editor.id, &editor.email);
    let changes_empty = changes.is_empty();
    if !(saved.email_waiting.is_some() && changes_empty) {
        let event = Event {
            org_id: Some(editor.org_id),
            actor: &actor,
            action: action::USER_UPDATED,
            target: Some((user_id, details.email)),
            details: changes.into_details(),
            meta,
        };
        audit::record(conn, event, now)?;
    }
    let Some(new_email) = &saved.email_waiting else {
        return Ok(());
    };
    let request = EmailChange {
        org_id: editor.org_id,
        user_id,
        first_name: details.first_name,
        old_email: &current.email,
        new_email,
        by_admin: true,
    };
    queue_email_change(conn, &request, base_url, now)?;
    let event = Event {
        org_id: Some(editor.org_id),
        actor: &actor,
        action: action::EMAIL_CHANGE_REQUESTED,
        target: Some((user_id, &current.email)),
        details: serde_json::json!({ "new_email": new_email }),
        meta,
    };
    audit::record(conn, event, now)
}

/// An address the identity provider moved at once: the old address is told, every session
/// ends (the sign-in changed), and a change the person had asked for is dropped.
pub(super) fn moved_at_once(
    conn: &mut DbConn,
    (current, new_email): (&store::EditRow, &str),
    now: NaiveDateTime,
) -> QueryResult<()> {
    crate::auth::store::delete_user_sessions(conn, current.id)?;
    crate::account::email::retire_email_changes(conn, current.id, now)?;
    let notice = crate::mail::Simple {
        first_name: &current.first_name,
        paragraphs: vec![format!(
            "Your organization's identity provider changed the email address of your Gatehouse account from {} to {new_email}. This address no longer signs in, and every session was signed out.",
            current.email
        )],
        link: None,
        footer: "If this was not expected, tell an administrator of your organization at once.",
    };
    let email = notice.email(
        Some(current.org_id),
        Some(current.id),
        "email_changed_old",
        &current.email,
        "Your Gatehouse email address was changed",
    );
    crate::mail::store::enqueue(conn, &email, now)?;
    Ok(())
}
