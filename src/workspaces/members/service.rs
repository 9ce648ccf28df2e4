//! A workspace's members: who may manage them, adding someone of the organization, changing
//! an access level (UPDATE), and Revoke Access (contacts unassigned or handed to another
//! member; the person stays in the organization). Audited in the same transaction.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use crate::audit::{self, action, Actor, Event, Origin};
use crate::auth::permissions::{Permission, Permissions};
use crate::db::schema::{users, workspace_members};
use crate::db::{write_tx, DbConn};
use crate::invites::service::{invite_by_email, Invitation};
use crate::workspaces::{store, Level, Membership, Restriction};

/// Who manages a workspace's members: an administrator of the whole organization's access,
/// or one of the workspace's own Owners and Managers.
#[derive(Debug, Clone)]
pub struct Steward {
    pub id: i64,
    pub org_id: i64,
    pub email: String,
    pub name: String,
    /// Holds `users.access` over the whole organization.
    pub organization: bool,
    /// Administers only some divisions and teams (invites nobody: an invitee is in none).
    pub scoped: bool,
    /// Their own level (and restrictions) in the workspace.
    pub membership: Option<Membership>,
}

impl Steward {
    pub fn level(&self) -> Option<Level> {
        self.membership.as_ref().map(|m| m.level)
    }

    /// Whether the organization lets them do what `withheld` names here.
    pub fn may(&self, withheld: Restriction) -> bool {
        self.organization || self.membership.as_ref().is_some_and(|m| m.can(withheld))
    }

    /// The restrictions they cannot lift, being held to them themselves.
    pub fn own_restrictions(&self) -> &[Restriction] {
        match &self.membership {
            Some(m) if !self.organization => &m.restrictions,
            _ => &[],
        }
    }

    /// Refused unless the organization lets them do what `withheld` names.
    pub fn check(&self, withheld: Restriction) -> Result<(), MemberError> {
        if self.may(withheld) {
            Ok(())
        } else {
            Err(MemberError::Refused(format!(
                "Your access to this workspace is restricted: {}.",
                withheld.label().to_lowercase()
            )))
        }
    }
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
/// workspace, or one they do not manage (an Agent of it included), is not found.
pub fn steward(
    conn: &mut DbConn,
    (id, org_id, email): (i64, i64, &str),
    (permissions, scoped): (Permissions, bool),
    workspace_id: i64,
) -> Result<(Steward, store::Workspace), MemberError> {
    let workspace = store::find(conn, org_id, workspace_id)?
        .filter(|w| w.archived_at.is_none())
        .ok_or(MemberError::NotFound)?;
    let membership = store::membership(conn, workspace_id, id)?;
    let organization = permissions.has(Permission::UsersAccess) && !scoped;
    let manages = matches!(
        membership.as_ref().map(|m| m.level),
        Some(Level::Owner | Level::Manager)
    );
    if !organization && !manages {
        // Not theirs to manage: as if it did not exist (an Agent included), like another
        // organization's.
        return Err(MemberError::NotFound);
    }
    let name = crate::users::store::name_of(conn, id)?.unwrap_or_default();
    let steward = Steward {
        id,
        org_id,
        email: email.to_owned(),
        name,
        organization,
        scoped,
        membership,
    };
    Ok((steward, workspace))
}

pub fn level_of(conn: &mut DbConn, workspace_id: i64, user_id: i64) -> QueryResult<Option<Level>> {
    Ok(store::membership(conn, workspace_id, user_id)?.map(|m| m.level))
}

pub fn owners(conn: &mut DbConn, workspace_id: i64) -> QueryResult<i64> {
    workspace_members::table
        .filter(workspace_members::workspace_id.eq(workspace_id))
        .filter(workspace_members::level.eq(Level::Owner.code()))
        .count()
        .get_result(conn)
}

/// Whether `steward` may give `level` or act on someone at it: a Manager neither touches an
/// Owner nor makes one.
fn may_handle(steward: &Steward, level: Level) -> Result<(), MemberError> {
    if steward.organization || steward.level() == Some(Level::Owner) || level != Level::Owner {
        Ok(())
    } else {
        Err(MemberError::Refused(
            "Only the workspace's Owners manage its Owners.".into(),
        ))
    }
}

pub fn record(
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

/// Starts a change to a workspace's members: the workspace's row is locked (concurrent
/// changes wait: the last-Owner and restriction checks then see what is committed), and the
/// steward's own place is read again, so a Manager demoted a moment ago acts no more.
pub fn begin(conn: &mut DbConn, steward: &Steward, workspace_id: i64) -> Result<(), MemberError> {
    store::lock(conn, workspace_id)?;
    if !steward.organization
        && store::membership(conn, workspace_id, steward.id)? != steward.membership
    {
        return Err(MemberError::Refused(
            "Your access to this workspace changed meanwhile: reload the page.".into(),
        ));
    }
    Ok(())
}

/// Workspace access is no way around the organization's ranks: a steward acts on someone of
/// the organization only if they hold every console permission that person holds (the Owner
/// is touched by the Owner alone), as every other entry point requires.
pub fn within_rank(conn: &mut DbConn, steward: &Steward, user_id: i64) -> Result<(), MemberError> {
    use crate::users::authority::{self, Refusal};
    let standings = authority::standings_of(conn, steward.org_id, &[steward.id, user_id])?;
    let (Some(me), Some(them)) = (standings.get(&steward.id), standings.get(&user_id)) else {
        return Err(MemberError::NotFound);
    };
    if !ranks_over(me, them) {
        Err(MemberError::Refused(Refusal::Outranked.to_string()))
    } else {
        Ok(())
    }
}

/// Whether `me` holds every console permission `them` holds (and the Owner's place, when
/// they are the Owner; an organization-wide administrator is above a scoped one).
pub fn ranks_over(
    me: &crate::users::authority::Standing,
    them: &crate::users::authority::Standing,
) -> bool {
    use crate::users::authority::{administers, covers};
    (me.owner || !them.owner)
        && covers(me.permissions, them.permissions)
        && !(me.scoped && !them.scoped && administers(them))
}

/// A restricted Manager keeps their own restrictions on whomever they add or edit.
fn within_own(steward: &Steward, membership: &Membership) -> Result<(), MemberError> {
    match steward
        .own_restrictions()
        .iter()
        .find(|r| membership.level != Level::Agent && !membership.restrictions.contains(r))
    {
        Some(r) => Err(MemberError::Invalid(format!(
            "You are restricted yourself (“{}”), so the Managers you add or edit keep that restriction.",
            r.label()
        ))),
        None => Ok(()),
    }
}

/// What ADD USER did.
#[derive(Debug, PartialEq, Eq)]
pub enum Added {
    /// Someone of the organization joined the workspace: their name.
    Member(String),
    /// Someone new was invited to the organization and the workspace: their address.
    Invited(String),
}

/// ADD USER: someone of the organization joins the workspace at `membership`; an address new
/// to the organization is invited to it at the same time (holding no license).
pub fn add(
    conn: &mut DbConn,
    (steward, workspace): (&Steward, &store::Workspace),
    (email, membership): (&str, &Membership),
    (base_url, meta, now): (&str, &Origin, NaiveDateTime),
) -> Result<Added, MemberError> {
    may_handle(steward, membership.level)?;
    within_own(steward, membership)?;
    let email = crate::validation::EmailAddress::parse(email)
        .map_err(|message| MemberError::Invalid(message.into()))?;
    let email = email.as_str();
    write_tx(conn, |conn| {
        begin(conn, steward, workspace.id)?;
        let (user_id, email, added) = match member_of_org(conn, steward.org_id, email)? {
            Some((user_id, email, name)) => {
                within_rank(conn, steward, user_id)?;
                if level_of(conn, workspace.id, user_id)?.is_some() {
                    return Err(MemberError::Invalid(format!(
                        "{name} is a member of this workspace already: use Edit to change their access level."
                    )));
                }
                (user_id, email, Added::Member(name))
            }
            None => {
                steward.check(Restriction::NoInvite)?;
                if steward.scoped {
                    return Err(MemberError::Refused(crate::users::scope::NO_INVITES.into()));
                }
                let actor = Actor::user(steward.id, &steward.email);
                let invitation = Invitation {
                    org_id: steward.org_id,
                    inviter: &actor,
                    inviter_name: &steward.name,
                    workspace: &workspace.name,
                    base_url,
                };
                let Some(user_id) = invite_by_email(conn, &invitation, email, meta, now)? else {
                    return Err(MemberError::Invalid(
                        "This person already has an account or a pending invitation.".into(),
                    ));
                };
                (user_id, email.to_owned(), Added::Invited(email.to_owned()))
            }
        };
        store::set_membership(conn, (workspace.id, user_id), membership, now)?;
        let details = json!({
            "workspace": workspace.name,
            "level": membership.level.label(),
            "restrictions": labels(&membership.restrictions),
        });
        record(
            conn,
            steward,
            (action::WORKSPACE_MEMBER_ADDED, (user_id, &email), details),
            (meta, now),
        )?;
        Ok(added)
    })
}

fn labels(restrictions: &[Restriction]) -> Vec<&'static str> {
    restrictions.iter().map(|r| r.label()).collect()
}

/// The member's current membership, if `steward` may act on them (never on themselves).
pub fn member(
    conn: &mut DbConn,
    steward: &Steward,
    workspace_id: i64,
    user_id: i64,
) -> Result<(Membership, String), MemberError> {
    let membership =
        store::membership(conn, workspace_id, user_id)?.ok_or(MemberError::NotFound)?;
    within_rank(conn, steward, user_id)?;
    let email = crate::users::store::email_of(conn, user_id)?.ok_or(MemberError::NotFound)?;
    if user_id == steward.id {
        return Err(MemberError::Refused(
            "You cannot revoke or edit your own access.".into(),
        ));
    }
    may_handle(steward, membership.level)?;
    Ok((membership, email))
}

/// EDIT: a member's access level and restrictions (UPDATE); the last Owner stays one.
pub fn set_level(
    conn: &mut DbConn,
    (steward, workspace): (&Steward, &store::Workspace),
    (user_id, membership): (i64, &Membership),
    (meta, now): (&Origin, NaiveDateTime),
) -> Result<(), MemberError> {
    may_handle(steward, membership.level)?;
    write_tx(conn, |conn| {
        begin(conn, steward, workspace.id)?;
        let (was, email) = member(conn, steward, workspace.id, user_id)?;
        if was == *membership {
            return Ok(());
        }
        within_own(steward, membership)?;
        if was.level == Level::Owner
            && membership.level != Level::Owner
            && owners(conn, workspace.id)? <= 1
        {
            return Err(MemberError::Refused(
                "A workspace keeps at least one Owner: make someone else Owner first.".into(),
            ));
        }
        store::set_membership(conn, (workspace.id, user_id), membership, now)?;
        let details = json!({
            "workspace": workspace.name,
            "before": { "level": was.level.label(), "restrictions": labels(&was.restrictions) },
            "after": { "level": membership.level.label(), "restrictions": labels(&membership.restrictions) },
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

pub use super::handover::{records_of, revoke, take_out, HandOver};
