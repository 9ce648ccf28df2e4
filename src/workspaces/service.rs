//! Creating, renaming and archiving workspaces: checked, audited in the same transaction.

use chrono::NaiveDateTime;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use serde_json::json;

use super::store;
use crate::audit::{self, action, Actor, Event, Origin};
use crate::db::{write_tx, DbConn};
use crate::groups::check_name;
use crate::validation::FieldErrors;

#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    #[error("That workspace does not exist.")]
    NotFound,
    #[error("some fields need attention")]
    Invalid(FieldErrors),
    /// Refused as a whole (the organization's last active workspace).
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Database(#[from] DieselError),
}

fn taken() -> WorkspaceError {
    WorkspaceError::Invalid(FieldErrors::one(
        "name",
        "There is already a workspace with this name.",
    ))
}

/// A name raced to by another save reads as taken.
fn unique_violation(error: WorkspaceError) -> WorkspaceError {
    match error {
        WorkspaceError::Database(DieselError::DatabaseError(
            DatabaseErrorKind::UniqueViolation,
            _,
        )) => taken(),
        other => other,
    }
}

fn record(
    conn: &mut DbConn,
    (actor, org_id): (&Actor, i64),
    (action, details): (&str, serde_json::Value),
    meta: &Origin,
    now: NaiveDateTime,
) -> Result<(), WorkspaceError> {
    let event = Event {
        org_id: Some(org_id),
        actor,
        action,
        target: None,
        details,
        meta,
    };
    Ok(audit::record(conn, event, now)?)
}

pub fn create(
    conn: &mut DbConn,
    (actor, org_id): (&Actor, i64),
    name: &str,
    meta: &Origin,
    now: NaiveDateTime,
) -> Result<i64, WorkspaceError> {
    let name =
        check_name(name).map_err(|m| WorkspaceError::Invalid(FieldErrors::one("name", m)))?;
    write_tx(conn, |conn| {
        if store::name_taken(conn, org_id, &name, None)? {
            return Err(taken());
        }
        let id = store::insert(conn, org_id, &name, now)?;
        let details = json!({ "name": name });
        record(
            conn,
            (actor, org_id),
            (action::WORKSPACE_CREATED, details),
            meta,
            now,
        )?;
        Ok(id)
    })
    .map_err(unique_violation)
}

pub fn rename(
    conn: &mut DbConn,
    (actor, org_id): (&Actor, i64),
    id: i64,
    name: &str,
    (meta, now): (&Origin, NaiveDateTime),
) -> Result<(), WorkspaceError> {
    let name =
        check_name(name).map_err(|m| WorkspaceError::Invalid(FieldErrors::one("name", m)))?;
    write_tx(conn, |conn| {
        let workspace = store::find(conn, org_id, id)?.ok_or(WorkspaceError::NotFound)?;
        if store::name_taken(conn, org_id, &name, Some(id))? {
            return Err(taken());
        }
        store::rename(conn, id, &name)?;
        let details = json!({ "before": { "name": workspace.name }, "after": { "name": name } });
        record(
            conn,
            (actor, org_id),
            (action::WORKSPACE_RENAMED, details),
            meta,
            now,
        )
    })
    .map_err(unique_violation)
}

/// Archives a workspace: its members and records stay where they are, read-only history;
/// the organization keeps at least one active workspace.
pub fn archive(
    conn: &mut DbConn,
    (actor, org_id): (&Actor, i64),
    id: i64,
    (meta, now): (&Origin, NaiveDateTime),
) -> Result<(i64, i64), WorkspaceError> {
    write_tx(conn, |conn| {
        let workspace = store::find(conn, org_id, id)?.ok_or(WorkspaceError::NotFound)?;
        if workspace.archived_at.is_some() {
            return Err(WorkspaceError::Refused(
                "This workspace is archived already.".into(),
            ));
        }
        let active = store::all(conn, org_id)?
            .iter()
            .filter(|w| w.archived_at.is_none())
            .count();
        if active <= 1 {
            return Err(WorkspaceError::Refused(
                "An organization keeps at least one active workspace: create another before archiving this one.".into(),
            ));
        }
        let members = store::member_counts(conn, org_id)?
            .get(&id)
            .copied()
            .unwrap_or(0);
        let records = store::record_counts(conn, org_id)?
            .get(&id)
            .copied()
            .unwrap_or(0);
        store::archive(conn, id, now)?;
        let details = json!({ "name": workspace.name, "members": members, "records": records });
        record(
            conn,
            (actor, org_id),
            (action::WORKSPACE_ARCHIVED, details),
            meta,
            now,
        )?;
        Ok((members, records))
    })
}
