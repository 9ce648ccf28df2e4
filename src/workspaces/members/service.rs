//! A workspace's members: who may manage them, adding someone of the organization, changing
//! an access level (UPDATE), and Revoke Access (contacts unassigned or handed to another
//! member; the person stays in the organization). Audited in the same transaction.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use crate::audit::{self, action, Actor, Event, Origin};
use crate::auth::permissions::{Permission, Permissions};
use crate::db::schema::{owned_records, users, workspace_members};
use crate::db::{write_tx, DbConn};
use crate::workspaces::{store, Level};

/// Who manages a workspace's members: an administrator of the whole organization's access,
/// or one of the workspace's own Owners and Managers.
#[derive(Debug, Clone)]
pub struct Steward {
    pub id: i64,
    pub org_id: i64,
    pub email: String,
    /// Holds `users.access` over the whole organization.
    pub organization: bool,
    /// Their own level in the workspace.
    pub level: Option<Level>,
}

#[derive(Debug, thiserror::Error)]
pub enum MemberError {
    #[error("That workspace or member does not exist.")]
    NotFound,
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// The steward of `workspace_id` a person is, if any; another organization's (or an archived)
/// workspace is not found, someone who does not manage it is refused.
pub fn steward(
    conn: &mut DbConn,
    (id, org_id, email): (i64, i64, &str),
    (permissions, scoped): (Permissions, bool),
    workspace_id: i64,
) -> Result<(Steward, store::Workspace), MemberError> {
    let workspace = store::find(conn, org_id, workspace_id)?
        .filter(|w| w.archived_at.is_none())
        .ok_or(MemberError::NotFound)?;
    let level = level_of(conn, workspace_id, id)?;
    let organization = permissions.has(Permission::UsersAccess) && !scoped;
    if !organization && !matches!(level, Some(Level::Owner | Level::Manager)) {
        return Err(MemberError::Refused(
            "Only the workspace's Owners and Managers manage its users.".into(),
        ));
    }
    let steward = Steward {
        id,
        org_id,
        email: email.to_owned(),
        organization,
        level,
    };
    Ok((steward, workspace))
}

pub fn level_of(conn: &mut DbConn, workspace_id: i64, user_id: i64) -> QueryResult<Option<Level>> {
    let code: Option<String> = workspace_members::table
        .filter(workspace_members::workspace_id.eq(workspace_id))
        .filter(workspace_members::user_id.eq(user_id))
        .select(workspace_members::level)
        .first(conn)
        .optional()?;
    Ok(code.as_deref().and_then(Level::parse))
}

fn owners(conn: &mut DbConn, workspace_id: i64) -> QueryResult<i64> {
    workspace_members::table
        .filter(workspace_members::workspace_id.eq(workspace_id))
        .filter(workspace_members::level.eq(Level::Owner.code()))
        .count()
        .get_result(conn)
}

/// Whether `steward` may give `level` or act on someone at `theirs`: a Manager neither
/// touches an Owner nor makes one.
fn may_handle(steward: &Steward, level: Level) -> Result<(), MemberError> {
    if steward.organization || steward.level == Some(Level::Owner) || level != Level::Owner {
        Ok(())
    } else {
        Err(MemberError::Refused(
            "Only the workspace's Owners manage its Owners.".into(),
        ))
    }
}

fn record(
    conn: &mut DbConn,
    steward: &Steward,
    (action, target, details): (&str, (i64, &str), serde_json::Value),
    (meta, now): (&Origin, NaiveDateTime),
) -> QueryResult<()> {
    audit::record(
        conn,
        Event {
            org_id: Some(steward.org_id),
            actor: &Actor::user(steward.id, &steward.email),
            action,
            target: Some(target),
            details,
            meta,
        },
        now,
    )
}

/// Someone of the organization, by email: (id, email, name).
fn member_of_org(
    conn: &mut DbConn,
    org_id: i64,
    email: &str,
) -> QueryResult<Option<(i64, String, String)>> {
    let found: Option<(i64, String, String, String)> = users::table
        .filter(users::org_id.eq(org_id))
        .filter(users::email.eq(crate::users::normalize_email(email)))
        .select((users::id, users::email, users::first_name, users::last_name))
        .first(conn)
        .optional()?;
    Ok(found.map(|(id, email, first, last)| (id, email, format!("{first} {last}"))))
}

/// ADD USER: someone of the organization joins the workspace at `level`.
pub fn add(
    conn: &mut DbConn,
    (steward, workspace): (&Steward, &store::Workspace),
    (email, level): (&str, Level),
    (meta, now): (&Origin, NaiveDateTime),
) -> Result<String, MemberError> {
    may_handle(steward, level)?;
    write_tx(conn, |conn| {
        let Some((user_id, email, name)) = member_of_org(conn, steward.org_id, email)? else {
            return Err(MemberError::Invalid(
                "Nobody in your organization has this email. Invite them to the organization first (+ Invite User), then add them here.".into(),
            ));
        };
        if level_of(conn, workspace.id, user_id)?.is_some() {
            return Err(MemberError::Invalid(format!(
                "{name} is a member of this workspace already: use Edit to change their access level."
            )));
        }
        store::set_member(conn, workspace.id, user_id, level, now)?;
        let details = json!({ "workspace": workspace.name, "level": level.label() });
        record(
            conn,
            steward,
            (action::WORKSPACE_MEMBER_ADDED, (user_id, &email), details),
            (meta, now),
        )?;
        Ok(name)
    })
}

/// The member's current level, if `steward` may act on them (never on themselves).
fn member(
    conn: &mut DbConn,
    steward: &Steward,
    workspace_id: i64,
    user_id: i64,
) -> Result<(Level, String), MemberError> {
    let level = level_of(conn, workspace_id, user_id)?.ok_or(MemberError::NotFound)?;
    let email = crate::users::store::email_of(conn, user_id)?.ok_or(MemberError::NotFound)?;
    if user_id == steward.id {
        return Err(MemberError::Refused(
            "You cannot revoke or edit your own access.".into(),
        ));
    }
    may_handle(steward, level)?;
    Ok((level, email))
}

/// EDIT: a member's access level (UPDATE); the last Owner stays one.
pub fn set_level(
    conn: &mut DbConn,
    (steward, workspace): (&Steward, &store::Workspace),
    (user_id, level): (i64, Level),
    (meta, now): (&Origin, NaiveDateTime),
) -> Result<(), MemberError> {
    may_handle(steward, level)?;
    write_tx(conn, |conn| {
        let (was, email) = member(conn, steward, workspace.id, user_id)?;
        if was == level {
            return Ok(());
        }
        if was == Level::Owner && owners(conn, workspace.id)? <= 1 {
            return Err(MemberError::Refused(
                "A workspace keeps at least one Owner: make someone else Owner first.".into(),
            ));
        }
        store::set_member(conn, workspace.id, user_id, level, now)?;
        let details = json!({
            "workspace": workspace.name,
            "before": { "level": was.label() },
            "after": { "level": level.label() },
        });
        record(
            conn,
            steward,
            (action::WORKSPACE_MEMBER_CHANGED, (user_id, &email), details),
            (meta, now),
        )?;
        Ok(())
    })
}

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
    write_tx(conn, |conn| {
        let (level, email) = member(conn, steward, workspace.id, user_id)?;
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
            steward,
            (action::WORKSPACE_ACCESS_REVOKED, (user_id, &email), details),
            (meta, now),
        )?;
        Ok(moved)
    })
}
