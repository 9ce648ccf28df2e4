//! Who may act on whom: one rule for every entry point (Edit User, Edit permissions, the row
//! actions, bulk actions, and whatever comes next: the API, SCIM, SSO).
//!
//! - Nobody acts on a user who holds a permission they lack: a Manager given `users.manage`
//!   manages Agents, never an Admin.
//! - Only the Owner acts on the Owner's credentials (email, login IP allowlist, password,
//!   two-step verification) and access; nobody deactivates or deletes the Owner.
//! - Nobody changes their own access or status, deletes themselves, or resets their own
//!   password or two-step verification from the list (My account is the place for that).
//!
//! The list asks the same questions to decide which actions each row offers, so an action
//! that would be refused is not offered.

use diesel::prelude::*;

use crate::auth::permissions::{Permission, Permissions};
use crate::db::schema::{superusers, users};
use crate::db::DbConn;

/// Who acts: the signed-in person (or, later, a token acting for them).
#[derive(Debug, Clone)]
pub struct Editor {
    pub id: i64,
    pub org_id: i64,
    pub email: String,
    pub permissions: Permissions,
    /// Holds the Owner role.
    pub owner: bool,
    /// Scoped administration (`None`: the whole organization).
    pub scope: Option<crate::users::scope::Scope>,
}

impl Editor {
    pub fn standing(&self) -> Standing {
        Standing {
            id: self.id,
            permissions: self.permissions,
            owner: self.owner,
            scoped: self.scope.is_some(),
        }
    }
}

/// What the rules need to know of a person: their effective permissions and whether they are
/// the Owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub id: i64,
    pub permissions: Permissions,
    pub owner: bool,
    /// Administers only some divisions and teams.
    pub scoped: bool,
}

/// What is done to a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    /// Names, phone, time zone, language, division, licenses.
    Profile,
    /// The email address or the login IP allowlist (Edit User).
    Credentials,
    /// Reset Password, Reset MFA (row actions).
    ResetCredentials,
    /// Roles and permission overrides.
    Access,
    /// Activate or deactivate.
    Status,
    Delete,
    /// Unblock user: lifts a block, gives nobody else a way in.
    Unblock,
    /// Resend or revoke an invitation.
    Invitation,
    /// Assign or take back licenses.
    Licenses,
}

impl Act {
    /// The console permission the act needs.
    pub fn needs(self) -> Permission {
        match self {
            Act::Profile => Permission::UsersEdit,
            Act::Credentials | Act::ResetCredentials => Permission::UsersCredentials,
            Act::Access => Permission::UsersAccess,
            Act::Status | Act::Unblock => Permission::UsersStatus,
            Act::Delete => Permission::UsersDelete,
            Act::Invitation => Permission::UsersInvite,
            Act::Licenses => Permission::LicensesManage,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("{0}")]
    Yourself(&'static str),
    #[error("This needs the {} permission, which you do not hold.", .0.label())]
    Lacks(Permission),
    #[error("This user holds permissions you do not have: only someone who holds all of them can change their account.")]
    Outranked,
    #[error("Only the Owner can change the Owner's email address, username, sign-in addresses, password, two-step verification or access.")]
    OwnerOnly,
    #[error("The Owner cannot be {0}.")]
    Owner(&'static str),
}

/// Whether `actor` may do `act` to `target`: they hold the permission the act needs, and
/// every permission the target holds.
pub fn check(actor: &Standing, target: &Standing, act: Act) -> Result<(), Refusal> {
    if actor.id == target.id {
        return match act {
            // One's own email and sign-in addresses (My account changes them too).
            Act::Credentials => Ok(()),
            Act::Profile | Act::Licenses | Act::Invitation => {
                if actor.permissions.has(act.needs()) {
                    Ok(())
                } else {
                    Err(Refusal::Lacks(act.needs()))
                }
            }
            Act::ResetCredentials => Err(Refusal::Yourself(
                "Change your own password or two-step verification on My account.",
            )),
            Act::Access => Err(Refusal::Yourself(
                "You cannot change your own roles or permissions. Ask another administrator.",
            )),
            Act::Status => Err(Refusal::Yourself("You cannot deactivate your own account.")),
            Act::Delete => Err(Refusal::Yourself("You cannot delete your own account.")),
            Act::Unblock => Err(Refusal::Yourself("You cannot unblock your own account.")),
        };
    }
    if !actor.permissions.has(act.needs()) {
        return Err(Refusal::Lacks(act.needs()));
    }
    if !covers(actor.permissions, target.permissions) {
        return Err(Refusal::Outranked);
    }
    // Someone who administers only part of the organization is below anyone with a
    // permission over all of it.
    if actor.scoped && !target.scoped && administers(target) {
        return Err(Refusal::Outranked);
    }
    if target.owner && !actor.owner {
        match act {
            Act::Credentials | Act::ResetCredentials | Act::Access => {
                return Err(Refusal::OwnerOnly)
            }
            Act::Status => return Err(Refusal::Owner("deactivated")),
            Act::Delete => return Err(Refusal::Owner("deleted")),
            Act::Profile | Act::Unblock | Act::Invitation | Act::Licenses => {}
        }
    }
    Ok(())
}

/// Holds a console permission (product permissions are work in a product, not power over
/// people).
pub fn administers(person: &Standing) -> bool {
    !person
        .permissions
        .within(Permissions::all_console())
        .is_empty()
}

/// After a scoped editor gave someone roles or permissions: if these reach people, they
/// reach only within the editor's scope (a scoped administrator never makes one over the
/// whole organization). In the change's transaction.
pub fn bound_by(conn: &mut DbConn, editor: &Editor, user_id: i64) -> QueryResult<()> {
    let Some(scope) = &editor.scope else {
        return Ok(());
    };
    let administering =
        standing_of(conn, editor.org_id, user_id)?.is_some_and(|s| !s.owner && administers(&s));
    if administering {
        crate::users::scope::keep_within(conn, scope, user_id)?;
    }
    Ok(())
}

/// Why an action on a user is not done.
#[derive(Debug, thiserror::Error)]
pub enum Denied {
    #[error("That user does not exist, or belongs to another organization.")]
    NotFound,
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// The user's standing, if `editor` may do `act` to them (another organization's user is
/// not found).
pub fn ensure(
    conn: &mut DbConn,
    editor: &Editor,
    user_id: i64,
    act: Act,
) -> Result<Standing, Denied> {
    let target = visible_standing(conn, editor, user_id)?;
    check(&editor.standing(), &target, act)?;
    Ok(target)
}

/// The user's standing, if they are someone `editor` sees: of the organization, and within
/// the editor's scope if they have one (anyone else is not found, whatever the id typed).
pub fn visible_standing(
    conn: &mut DbConn,
    editor: &Editor,
    user_id: i64,
) -> Result<Standing, Denied> {
    let target = standing_of(conn, editor.org_id, user_id)?.ok_or(Denied::NotFound)?;
    if let (Some(scope), false) = (&editor.scope, target.id == editor.id) {
        if !crate::users::scope::contains(conn, scope, user_id)? {
            return Err(Denied::NotFound);
        }
        // Another scoped administrator is below this editor only if everyone they reach is
        // the editor's too.
        if target.scoped && administers(&target) {
            let theirs = crate::users::scope::of(conn, user_id)?.unwrap_or_default();
            if !theirs.within(scope) {
                return Err(Denied::Refused(Refusal::Outranked));
            }
        }
    }
    Ok(target)
}

/// What is said when someone tries to give roles beyond their own access.
pub const BEYOND: &str = "You can only give roles within your own access.";

/// Writes a refused attempt on a user to the audit log, in a transaction of its own (the
/// attempt's own was rolled back). Nothing is written for a user the editor does not see.
pub fn record_refusal(
    conn: &mut DbConn,
    editor: &Editor,
    user_id: i64,
    (attempt, reason): (&str, &str),
    (meta, now): (&crate::audit::Origin, chrono::NaiveDateTime),
) -> QueryResult<()> {
    if let Err(Denied::NotFound) = visible_standing(conn, editor, user_id) {
        return Ok(());
    }
    let email: Option<String> = users::table
        .filter(users::org_id.eq(editor.org_id))
        .filter(users::id.eq(user_id))
        .select(users::email)
        .first(conn)
        .optional()?;
    let Some(email) = email else { return Ok(()) };
    crate::db::write_tx(conn, |conn| {
        crate::audit::record(
            conn,
            crate::audit::Event {
                org_id: Some(editor.org_id),
                actor: &crate::audit::Actor::user(editor.id, &editor.email),
                action: crate::audit::action::CHANGE_REFUSED,
                target: Some((user_id, &email)),
                details: serde_json::json!({ "attempt": attempt, "reason": reason }),
                meta,
            },
            now,
        )
    })
}

/// Whether the user is a tenant superuser.
pub fn is_superuser(conn: &mut DbConn, user_id: i64) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        superusers::table.filter(superusers::user_id.eq(user_id)),
    ))
    .get_result(conn)
}

/// Every permission in `theirs` (console and product) is in `mine`.
pub fn covers(mine: Permissions, theirs: Permissions) -> bool {
    mine.covers(theirs)
}

/// Which actions a list row offers its viewer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Offers {
    pub edit: bool,
    pub access: bool,
    pub reset: bool,
    pub status: bool,
    pub delete: bool,
    pub unblock: bool,
    pub invitation: bool,
    /// Whether the row may be ticked for bulk actions (some action could apply).
    pub select: bool,
}

impl Offers {
    /// Something for the row's More menu (Edit permissions, resets, revoke, delete).
    pub fn in_menu(&self) -> bool {
        self.access || self.reset || self.invitation || self.delete
    }

    /// What `viewer` may do to `target` (each act needs its own permission).
    pub fn of(viewer: &Standing, target: &Standing) -> Offers {
        let may = |act| check(viewer, target, act).is_ok();
        let offers = Offers {
            edit: may(Act::Profile),
            access: may(Act::Access),
            reset: may(Act::ResetCredentials),
            status: may(Act::Status),
            delete: may(Act::Delete),
            unblock: may(Act::Unblock),
            invitation: may(Act::Invitation),
            select: false,
        };
        Offers {
            select: offers.edit
                || offers.access
                || offers.status
                || offers.delete
                || may(Act::Licenses),
            ..offers
        }
    }
}

mod standings;
pub use standings::{overrides_of_many, standing_from, standing_of, standings_of};

#[cfg(test)]
mod tests;
