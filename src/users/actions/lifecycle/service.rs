//! The rules of deactivating, reactivating and deleting, each change written with its audit
//! event in the same transaction. The functions without `_in` open their own write
//! transaction; the `_in` ones run inside the caller's (the bulk actions, all or nothing).

use chrono::NaiveDateTime;
use serde_json::json;

use super::store;
use crate::audit::Origin;
use crate::audit::{self, action, Actor, Event};
use crate::db::{write_tx, DbConn};
use crate::licenses::store as licenses;
use crate::users::authority::{self, Act, Denied, Editor, Refusal};
use crate::users::status;

#[derive(Debug, thiserror::Error)]
pub enum LifecycleError {
    #[error("That user does not exist, or belongs to another organization.")]
    NotFound,
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// Who receives a deleted user's records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reassign {
    To(i64),
    Nobody,
}

/// Refuses unless `editor` may do `act` to the user.
fn allowed(
    conn: &mut DbConn,
    editor: &Editor,
    user_id: i64,
    act: Act,
) -> Result<(), LifecycleError> {
    match authority::ensure(conn, editor, user_id, act) {
        Ok(_) => Ok(()),
        Err(Denied::NotFound) => Err(LifecycleError::NotFound),
        Err(Denied::Refused(refusal)) => Err(LifecycleError::Refused(refusal)),
        Err(Denied::Database(e)) => Err(e.into()),
    }
}

/// Activates or deactivates one user. Deactivating frees their seats and ends their sessions
/// at once. False when the user already had that status.
pub fn set_active(
    conn: &mut DbConn,
    editor: &Editor,
    user_id: i64,
    active: bool,
    meta: &Origin,
    now: NaiveDateTime,
) -> Result<bool, LifecycleError> {
    write_tx(conn, |conn| {
        set_active_in(conn, editor, user_id, active, meta, now)
    })
}

pub fn set_active_in(
    conn: &mut DbConn,
    editor: &Editor,
    user_id: i64,
    active: bool,
    meta: &Origin,
    now: NaiveDateTime,
) -> Result<bool, LifecycleError> {
    let user = store::snapshot(conn, editor.org_id, user_id)?.ok_or(LifecycleError::NotFound)?;
    allowed(conn, editor, user_id, Act::Status)?;
    if user.status == status::INVITED {
        return Err(LifecycleError::Invalid(format!(
            "{} has not accepted the invitation yet: resend or revoke it instead.",
            user.email
        )));
    }
    let wanted = if active {
        status::ACTIVE
    } else {
        status::INACTIVE
    };
    if user.status == wanted {
        return Ok(false);
    }
    let released = if active {
        Vec::new()
    } else {
        let held = licenses::release_all(conn, user_id)?;
        crate::auth::store::delete_user_sessions(conn, user_id)?;
        held
    };
    store::set_status(conn, user_id, wanted, now)?;
    let mut before = json!({ "status": user.status });
    let mut after = json!({ "status": wanted });
    if !released.is_empty() {
        before["product_ids"] = json!(released);
        after["product_ids"] = json!([]);
    }
    audit::record(
        conn,
        Event {
            org_id: Some(editor.org_id),
            actor: &Actor::user(editor.id, &editor.email),
            action: action::USER_UPDATED,
            target: Some((user_id, &user.email)),
            details: json!({ "before": before, "after": after }),
            meta,
        },
        now,
    )?;
    Ok(true)
}

/// Checks a new owner for a deleted user's records: an active user of the organization other
/// than the one being deleted.
pub fn reassign_target(
    conn: &mut DbConn,
    editor: &Editor,
    email: &str,
    deleting: &[i64],
) -> Result<Reassign, LifecycleError> {
    let email = crate::users::normalize_email(email);
    let found = match store::active_user_by_email(conn, editor.org_id, &email)? {
        // Someone outside a scoped editor's divisions and teams is not theirs to name.
        Some((id, name)) => match authority::visible_standing(conn, editor, id) {
            Err(Denied::NotFound) => None,
            Err(Denied::Database(e)) => return Err(e.into()),
            Ok(_) | Err(Denied::Refused(_)) => Some((id, name)),
        },
        None => None,
    };
    match found {
        Some((id, _)) if !deleting.contains(&id) => Ok(Reassign::To(id)),
        Some(_) => Err(LifecycleError::Invalid(
            "Choose someone who is not being deleted to receive the records.".into(),
        )),
        None => Err(LifecycleError::Invalid(format!(
            "No active user of your organization has the email {email}. Type the email of an active user, or leave the records unassigned."
        ))),
    }
}

/// What deleting did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deleted {
    pub email: String,
    /// Where their records went.
    pub records: store::HandedOver,
}

/// Deletes one user for good: their records go to the new owner (or nobody), their seats are
/// freed, their sessions end, and the audit event keeps a snapshot of who they were.
pub fn delete(
    conn: &mut DbConn,
    editor: &Editor,
    user_id: i64,
    reassign: Reassign,
    meta: &Origin,
    now: NaiveDateTime,
) -> Result<Deleted, LifecycleError> {
    write_tx(conn, |conn| {
        delete_in(conn, editor, user_id, reassign, meta, now)
    })
}

pub fn delete_in(
    conn: &mut DbConn,
    editor: &Editor,
    user_id: i64,
    reassign: Reassign,
    meta: &Origin,
    now: NaiveDateTime,
) -> Result<Deleted, LifecycleError> {
    let user = store::snapshot(conn, editor.org_id, user_id)?.ok_or(LifecycleError::NotFound)?;
    allowed(conn, editor, user_id, Act::Delete)?;
    let new_owner = match reassign {
        Reassign::To(id) if id == user_id => {
            return Err(LifecycleError::Invalid(
                "Choose someone who is not being deleted to receive the records.".into(),
            ))
        }
        Reassign::To(id) => Some(id),
        Reassign::Nobody => None,
    };
    let roles = store::role_names(conn, user_id)?;
    let licenses = store::license_names(conn, user_id)?;
    let owned = store::owned_counts(conn, user_id)?;
    let by_workspace = store::owned_by_workspace(conn, user_id)?;
    let handed = store::reassign_records(conn, user_id, new_owner, now)?;
    licenses::release_all(conn, user_id)?;
    crate::auth::store::delete_user_sessions(conn, user_id)?;
    store::delete_user(conn, user_id)?;
    let new_owner_email = match new_owner {
        Some(id) => store::snapshot(conn, editor.org_id, id)?.map(|u| u.email),
        None => None,
    };
    let owned: serde_json::Map<String, serde_json::Value> =
        owned.into_iter().map(|(k, n)| (k, json!(n))).collect();
    audit::record(
        conn,
        Event {
            org_id: Some(editor.org_id),
            actor: &Actor::user(editor.id, &editor.email),
            action: action::USER_DELETED,
            target: Some((user_id, &user.email)),
            details: json!({
                "snapshot": { "user": user, "roles": roles, "licenses": licenses },
                "owned_records": owned,
                "owned_by_workspace": super::describe_owned_by_workspace(&by_workspace),
                "reassigned_to": new_owner_email,
                "records_moved": handed.moved,
                "records_unassigned": handed.unassigned,
            }),
            meta,
        },
        now,
    )?;
    Ok(Deleted {
        email: user.email,
        records: handed,
    })
}
