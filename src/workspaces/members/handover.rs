//! Revoke Access in the core: out of the workspace (the organization keeps them), their
//! records in it unassigned or handed to another member of the same workspace; audited with
//! a snapshot in the same transaction.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use super::service::{begin, level_of, member, owners, record, MemberError, Steward};
use crate::audit::{action, Origin};
use crate::db::schema::{owned_records, workspace_members};
use crate::db::{write_tx, DbConn};
use crate::workspaces::{store, Level, Restriction};

/// Where a revoked member's contacts go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandOver {
    Unassigned,
    To(i64),
}

/// The member's records in the workspace, by kind.
pub fn records_of(
    conn: &mut DbConn,
    workspace_id: i64,
    user_id: i64,
) -> QueryResult<Vec<(String, i64)>> {
    owned_records::table
        .filter(owned_records::workspace_id.eq(workspace_id))
        .filter(owned_records::owner_id.eq(user_id))
        .group_by(owned_records::kind)
        .select((owned_records::kind, diesel::dsl::count_star()))
        .order(owned_records::kind)
        .load(conn)
}

/// Revoke Access: out of the workspace (the organization keeps them); their records in it
/// unassigned or handed to another member of the same workspace. Returns how many moved.
pub fn revoke(
    conn: &mut DbConn,
    (steward, workspace): (&Steward, &store::Workspace),
    (user_id, hand_over): (i64, HandOver),
    (meta, now): (&Origin, NaiveDateTime),
) -> Result<i64, MemberError> {
    steward.check(Restriction::NoRevoke)?;
    write_tx(conn, |conn| {
        begin(conn, steward, workspace.id)?;
        let (membership, email) = member(conn, steward, workspace.id, user_id)?;
        let level = membership.level;
        if level == Level::Owner && owners(conn, workspace.id)? <= 1 {
            return Err(MemberError::Refused(
                "A workspace keeps at least one Owner: make someone else Owner first.".into(),
            ));
        }
        let to = match hand_over {
            HandOver::To(to) if to == user_id || level_of(conn, workspace.id, to)?.is_none() => {
                return Err(MemberError::Invalid(
                    "Choose another member of this workspace to receive the contacts.".into(),
                ))
            }
            HandOver::To(to) => Some(to),
            HandOver::Unassigned => None,
        };
        Ok(take_out(
            conn,
            (steward, workspace),
            (user_id, level, &email),
            to,
            (meta, now),
        )?)
    })
}

/// Takes a member out of a workspace, checks done (within the caller's transaction): their
/// records in it go to `to` (or are unassigned), the membership goes, and the audit event
/// keeps a snapshot. Returns how many records moved.
pub fn take_out(
    conn: &mut DbConn,
    (by, workspace): (&Steward, &store::Workspace),
    (user_id, level, email): (i64, Level, &str),
    to: Option<i64>,
    (meta, now): (&Origin, NaiveDateTime),
) -> QueryResult<i64> {
    let held = records_of(conn, workspace.id, user_id)?;
    let moved = diesel::update(
        owned_records::table
            .filter(owned_records::workspace_id.eq(workspace.id))
            .filter(owned_records::owner_id.eq(user_id)),
    )
    .set((
        owned_records::owner_id.eq(to),
        owned_records::updated_at.eq(now),
    ))
    .execute(conn)? as i64;
    diesel::delete(
        workspace_members::table
            .filter(workspace_members::workspace_id.eq(workspace.id))
            .filter(workspace_members::user_id.eq(user_id)),
    )
    .execute(conn)?;
    let to_email = match to {
        Some(to) => crate::users::store::email_of(conn, to)?,
        None => None,
    };
    let details = json!({
        "workspace": workspace.name,
        "level": level.label(),
        "records": held.iter().map(|(k, n)| (k.clone(), json!(n))).collect::<serde_json::Map<_, _>>(),
        "handed_to": to_email,
    });
    record(
        conn,
        by,
        (action::WORKSPACE_ACCESS_REVOKED, (user_id, email), details),
        (meta, now),
    )?;
    Ok(moved)
}
