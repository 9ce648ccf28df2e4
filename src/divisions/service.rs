//! Creating, renaming and deleting divisions: checked, audited in the same transaction.

use chrono::NaiveDateTime;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use serde_json::json;

use super::store;
use crate::audit::{self, action, Actor, Event, Origin};
use crate::db::{write_tx, DbConn};
use crate::groups::check_name;
use crate::validation::FieldErrors;

#[derive(Debug, thiserror::Error)]
pub enum DivisionError {
    #[error("That division does not exist.")]
    NotFound,
    #[error("some fields need attention")]
    Invalid(FieldErrors),
    #[error(transparent)]
    Database(#[from] DieselError),
}

fn invalid(field: &'static str, message: &str) -> DivisionError {
    DivisionError::Invalid(FieldErrors::one(field, message))
}

const TAKEN: &str = "There is already a division with this name.";

/// A name raced to by another writer reads as taken, like one seen before the write.
fn unique_violation(error: DivisionError) -> DivisionError {
    match error {
        DivisionError::Database(DieselError::DatabaseError(
            DatabaseErrorKind::UniqueViolation,
            _,
        )) => invalid("name", TAKEN),
        other => other,
    }
}

fn record(
    conn: &mut DbConn,
    (actor, org_id): (&Actor, i64),
    what: &str,
    details: serde_json::Value,
    meta: &Origin,
    now: NaiveDateTime,
) -> Result<(), DivisionError> {
    let event = Event {
        org_id: Some(org_id),
        actor,
        action: what,
        target: None,
        details,
        meta,
    };
    Ok(audit::record(conn, event, now)?)
}

pub fn create(
    conn: &mut DbConn,
    actor: &Actor,
    org_id: i64,
    name: &str,
    meta: &Origin,
    now: NaiveDateTime,
) -> Result<i64, DivisionError> {
    let name = check_name(name).map_err(|m| invalid("name", &m))?;
    write_tx(conn, |conn| {
        if store::name_taken(conn, org_id, &name, None)? {
            return Err(invalid("name", TAKEN));
        }
        let id = store::insert(conn, org_id, &name)?;
        let details = json!({ "name": name });
        record(
            conn,
            (actor, org_id),
            action::DIVISION_CREATED,
            details,
            meta,
            now,
        )?;
        Ok(id)
    })
    .map_err(unique_violation)
}

pub fn rename(
    conn: &mut DbConn,
    actor: &Actor,
    org_id: i64,
    id: i64,
    name: &str,
    meta: &Origin,
    now: NaiveDateTime,
) -> Result<(), DivisionError> {
    let name = check_name(name).map_err(|m| invalid("name", &m))?;
    write_tx(conn, |conn| {
        let division = store::find(conn, org_id, id)?.ok_or(DivisionError::NotFound)?;
        if division.name == name {
            return Ok(());
        }
        if store::name_taken(conn, org_id, &name, Some(id))? {
            return Err(invalid("name", TAKEN));
        }
        store::rename(conn, id, &name)?;
        let details = json!({ "before": { "name": division.name }, "after": { "name": name } });
        record(
            conn,
            (actor, org_id),
            action::DIVISION_RENAMED,
            details,
            meta,
            now,
        )
    })
    .map_err(unique_violation)
}

/// Deletes the division, moving its users to `move_to` (another division of the
/// organization, or none). Answers how many users moved.
pub fn delete(
    conn: &mut DbConn,
    actor: &Actor,
    org_id: i64,
    id: i64,
    move_to: Option<i64>,
    meta: &Origin,
    now: NaiveDateTime,
) -> Result<usize, DivisionError> {
    write_tx(conn, |conn| {
        let division = store::find(conn, org_id, id)?.ok_or(DivisionError::NotFound)?;
        let target = match move_to {
            Some(to) if to == id => return Err(invalid("move_to", "Choose another division.")),
            Some(to) => Some(
                store::find(conn, org_id, to)?
                    .ok_or_else(|| invalid("move_to", "Choose a division from the list."))?,
            ),
            None => None,
        };
        let moved = store::move_users(conn, id, move_to, now)?;
        store::delete(conn, id)?;
        crate::users::scope::retire_unit(conn, crate::users::scope::DIVISION, id)?;
        let details = json!({
            "name": division.name,
            "moved": moved,
            "moved_to": target.map(|t| t.name),
        });
        record(
            conn,
            (actor, org_id),
            action::DIVISION_DELETED,
            details,
            meta,
            now,
        )?;
        Ok(moved)
    })
}
