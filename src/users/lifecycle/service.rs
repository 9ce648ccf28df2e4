//! The rules of deactivating, reactivating and deleting, each change written with its audit
//! event in the same transaction. The functions without `_in` open their own write
//! transaction; the `_in` ones run inside the caller's (the bulk actions, all or nothing).

use chrono::NaiveDateTime;
use serde_json::json;

use super::store;
use crate::audit::{self, action, Actor, Event};
use crate::auth::permissions::OWNER;
use crate::db::{write_tx, DbConn};
use crate::invites::store::release_seats_of;
use crate::users::edit::service::Editor;
use crate::users::{edit, status};
use crate::web::request_meta::RequestMeta;

#[derive(Debug, thiserror::Error)]
pub enum LifecycleError {
    #[error("That user does not exist, or belongs to another organization.")]
    NotFound,
    #[error("You cannot {0} your own account.")]
    Yourself(&'static str),
    #[error("The Owner cannot be {0}.")]
    Owner(&'static str),
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

pub fn is_owner(conn: &mut DbConn, org_id: i64, user_id: i64) -> diesel::QueryResult<bool> {
    let owner_role = crate::users::store::role_id_by_name(conn, org_id, OWNER)?;
    Ok(edit::store::role_ids(conn, user_id)?.contains(&owner_role))
}

/// Activates or deactivates one user. Deactivating frees their seats and ends their sessions
/// at once. False when the user already had that status.
pub fn set_active(
    conn: &mut DbConn,
    editor: &Editor,
    user_id: i64,
    active: bool,
    meta: &RequestMeta,
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
    meta: &RequestMeta,
    now: NaiveDateTime,
) -> Result<bool, LifecycleError> {
    let user = store::snapshot(conn, editor.org_id, user_id)?.ok_or(LifecycleError::NotFound)?;
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
    if user_id == editor.id {
        return Err(LifecycleError::Yourself("deactivate"));
    }
    if !active && is_owner(conn, editor.org_id, user_id)? {
        return Err(LifecycleError::Owner("deactivated"));
    }
    let released = if active {
        Vec::new()
    } else {
        let held = edit::store::product_ids(conn, user_id)?;
        release_seats_of(conn, user_id)?;
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
    org_id: i64,
    email: &str,
    deleting: &[i64],
) -> Result<Reassign, LifecycleError> {
    let email = crate::users::normalize_email(email);
    match store::active_user_by_email(conn, org_id, &email)? {
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
    pub records_moved: usize,
}

/// Deletes one user for good: their records go to the new owner (or nobody), their seats are
/// freed, their sessions end, and the audit event keeps a snapshot of who they were.
pub fn delete(
    conn: &mut DbConn,
    editor: &Editor,
    user_id: i64,
    reassign: Reassign,
    meta: &RequestMeta,
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
    meta: &RequestMeta,
    now: NaiveDateTime,
) -> Result<Deleted, LifecycleError> {
    let user = store::snapshot(conn, editor.org_id, user_id)?.ok_or(LifecycleError::NotFound)?;
    if user_id == editor.id {
        return Err(LifecycleError::Yourself("delete"));
    }
    if is_owner(conn, editor.org_id, user_id)? {
        return Err(LifecycleError::Owner("deleted"));
    }
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
    let moved = store::reassign_records(conn, user_id, new_owner, now)?;
    release_seats_of(conn, user_id)?;
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
                "reassigned_to": new_owner_email,
            }),
            meta,
        },
        now,
    )?;
    Ok(Deleted {
        email: user.email,
        records_moved: moved,
    })
}
