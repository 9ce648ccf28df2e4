//! Creating, renaming and deleting groups: checked, audited in the same transaction.

use chrono::NaiveDateTime;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use serde_json::json;

use super::{check_name, store, Kind};
use crate::audit::{self, action, Actor, Event, Origin};
use crate::db::{write_tx, DbConn};
use crate::validation::FieldErrors;

#[derive(Debug, thiserror::Error)]
pub enum GroupError {
    #[error("That group does not exist.")]
    NotFound,
    #[error("some fields need attention")]
    Invalid(FieldErrors),
    #[error(transparent)]
    Database(#[from] DieselError),
}

fn invalid(field: &'static str, message: impl Into<String>) -> GroupError {
    GroupError::Invalid(FieldErrors::one(field, message))
}

/// A name another group of the kind holds, whether seen before the write or raced to it.
fn taken(kind: Kind) -> GroupError {
    invalid(
        "name",
        format!("There is already a {} with this name.", kind.label()),
    )
}

fn unique_violation(kind: Kind) -> impl Fn(GroupError) -> GroupError {
    move |error| match error {
        GroupError::Database(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
            taken(kind)
        }
        other => other,
    }
}

pub struct NewGroup<'a> {
    pub kind: Option<Kind>,
    pub name: &'a str,
}

pub fn create(
    conn: &mut DbConn,
    actor: &Actor,
    org_id: i64,
    group: &NewGroup<'_>,
    meta: &Origin,
    now: NaiveDateTime,
) -> Result<i64, GroupError> {
    let mut errors = FieldErrors::default();
    if group.kind.is_none() {
        errors.add("kind", "Choose Tag, Skill group or Team.");
    }
    let name = check_name(group.name)
        .map_err(|m| errors.add("name", m))
        .ok();
    let (Some(kind), Some(name)) = (group.kind, name) else {
        return Err(GroupError::Invalid(errors));
    };
    write_tx(conn, |conn| {
        if store::name_taken(conn, org_id, kind, &name, None)? {
            return Err(taken(kind));
        }
        let id = store::insert(conn, org_id, kind, &name, now)?;
        let event = Event {
            org_id: Some(org_id),
            actor,
            action: action::GROUP_CREATED,
            target: None,
            details: json!({ "kind": kind.label(), "name": name }),
            meta,
        };
        audit::record(conn, event, now)?;
        Ok(id)
    })
    .map_err(unique_violation(kind))
}

pub fn rename(
    conn: &mut DbConn,
    actor: &Actor,
    org_id: i64,
    group_id: i64,
    name: &str,
    meta: &Origin,
    now: NaiveDateTime,
) -> Result<(), GroupError> {
    let name = check_name(name).map_err(|m| invalid("name", m))?;
    let mut kind = Kind::Tag;
    write_tx(conn, |conn| {
        let group = store::find(conn, org_id, group_id)?.ok_or(GroupError::NotFound)?;
        kind = group.kind();
        if group.name == name {
            return Ok(());
        }
        if store::name_taken(conn, org_id, kind, &name, Some(group_id))? {
            return Err(taken(kind));
        }
        store::rename(conn, group_id, &name)?;
        let event = Event {
            org_id: Some(org_id),
            actor,
            action: action::GROUP_RENAMED,
            target: None,
            details: json!({
                "kind": kind.label(),
                "before": { "name": group.name },
                "after": { "name": name },
            }),
            meta,
        };
        audit::record(conn, event, now)?;
        Ok(())
    })
    .map_err(unique_violation(kind))
}

/// Deletes the group; its members lose it. Answers how many held it.
pub fn delete(
    conn: &mut DbConn,
    actor: &Actor,
    org_id: i64,
    group_id: i64,
    meta: &Origin,
    now: NaiveDateTime,
) -> Result<i64, GroupError> {
    write_tx(conn, |conn| {
        let group = store::find(conn, org_id, group_id)?.ok_or(GroupError::NotFound)?;
        let members = store::member_count(conn, group_id)?;
        store::delete(conn, group_id)?;
        crate::users::scope::retire_unit(conn, crate::users::scope::TEAM, group_id)?;
        let event = Event {
            org_id: Some(org_id),
            actor,
            action: action::GROUP_DELETED,
            target: None,
            details: json!({ "kind": group.kind().label(), "name": group.name, "members": members }),
            meta,
        };
        audit::record(conn, event, now)?;
        Ok(members)
    })
}
