//! A group's members set as a whole (for identity providers over SCIM): each person added or
//! removed must be someone the editor may change the profile of, and the change is one audit
//! row naming who joined and who left.

use std::collections::BTreeSet;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use super::store;
use crate::audit::{self, action, Actor, Event, Origin};
use crate::db::schema::{group_members, users};
use crate::db::{write_tx, DbConn};
use crate::users::authority::{self, Act, Denied, Editor};

#[derive(Debug, thiserror::Error)]
pub enum MembersError {
    #[error("That group does not exist.")]
    NotFound,
    /// Someone named is not a user of the organization (or not within the editor's reach).
    #[error("{0} is not a user of the organization.")]
    Unknown(i64),
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// The group's members (users of its organization), by id.
pub fn of_group(conn: &mut DbConn, org_id: i64, group_id: i64) -> QueryResult<BTreeSet<i64>> {
    Ok(group_members::table
        .inner_join(users::table)
        .filter(group_members::group_id.eq(group_id))
        .filter(users::org_id.eq(org_id))
        .select(group_members::user_id)
        .load::<i64>(conn)?
        .into_iter()
        .collect())
}

/// Makes `wanted` the group's members.
pub fn set(
    conn: &mut DbConn,
    editor: &Editor,
    (group_id, wanted): (i64, &BTreeSet<i64>),
    meta: &Origin,
    now: NaiveDateTime,
) -> Result<(), MembersError> {
    write_tx(conn, |conn| {
        let group = store::find(conn, editor.org_id, group_id)?.ok_or(MembersError::NotFound)?;
        let held = of_group(conn, editor.org_id, group_id)?;
        let added: Vec<i64> = wanted.difference(&held).copied().collect();
        let removed: Vec<i64> = held.difference(wanted).copied().collect();
        if added.is_empty() && removed.is_empty() {
            return Ok(());
        }
        for &user_id in added.iter().chain(&removed) {
            match authority::ensure(conn, editor, user_id, Act::Profile) {
                Ok(_) => {}
                Err(Denied::NotFound) => return Err(MembersError::Unknown(user_id)),
                Err(Denied::Refused(refusal)) => {
                    return Err(MembersError::Refused(refusal.to_string()))
                }
                Err(Denied::Database(e)) => return Err(e.into()),
            }
        }
        let changing: Vec<i64> = wanted.symmetric_difference(&held).copied().collect();
        crate::users::store::lock_all_for_change(conn, &changing)?;
        for &user_id in &added {
            store::add_member(conn, user_id, group_id)?;
        }
        for &user_id in &removed {
            store::remove_member(conn, user_id, group_id)?;
        }
        audit::record(
            conn,
            Event {
                org_id: Some(editor.org_id),
                actor: &Actor::user(editor.id, &editor.email),
                action: action::GROUP_MEMBERS_CHANGED,
                target: None,
                details: json!({
                    "kind": group.kind().label(), "name": group.name,
                    "added": added, "removed": removed,
                }),
                meta,
            },
            now,
        )?;
        Ok(())
    })
}
