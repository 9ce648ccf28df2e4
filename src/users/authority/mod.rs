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

use std::collections::HashMap;

use diesel::prelude::*;

use crate::auth::permissions::{Permission, Permissions, OWNER};
use crate::db::schema::{
    role_permissions, roles, superusers, user_permission_overrides, user_roles, users,
};
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
}

impl Editor {
    pub fn standing(&self) -> Standing {
        Standing {
            id: self.id,
            permissions: self.permissions,
            owner: self.owner,
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
    let target = standing_of(conn, editor.org_id, user_id)?.ok_or(Denied::NotFound)?;
    check(&editor.standing(), &target, act)?;
    Ok(target)
}

/// Every permission in `theirs` (console and product) is in `mine`.
pub fn covers(mine: Permissions, theirs: Permissions) -> bool {
    mine.covers(theirs)
}

/// The standing of a user of the organization (`None`: no such user there).
pub fn standing_of(conn: &mut DbConn, org_id: i64, user_id: i64) -> QueryResult<Option<Standing>> {
    Ok(standings_of(conn, org_id, &[user_id])?.remove(&user_id))
}

/// The standings of these users of the organization (others are left out), in three
/// queries whatever their number.
pub fn standings_of(
    conn: &mut DbConn,
    org_id: i64,
    ids: &[i64],
) -> QueryResult<HashMap<i64, Standing>> {
    /// Per user: (role name, a permission it gives) pairs, and the overrides written out.
    type Held = (Vec<(String, Option<String>)>, String);
    let mut found: HashMap<i64, Held> = HashMap::new();
    let mut superusers = std::collections::HashSet::new();
    for chunk in ids.chunks(500) {
        for (id, superuser) in users::table
            .left_join(superusers::table)
            .filter(users::org_id.eq(org_id))
            .filter(users::id.eq_any(chunk))
            .select((users::id, superusers::user_id.nullable().is_not_null()))
            .load::<(i64, bool)>(conn)?
        {
            found.entry(id).or_default();
            if superuser {
                superusers.insert(id);
            }
        }
        let given: Vec<(i64, String, Option<String>)> = user_roles::table
            .inner_join(roles::table)
            .left_join(role_permissions::table.on(role_permissions::role_id.eq(roles::id)))
            .filter(user_roles::user_id.eq_any(chunk))
            .filter(roles::org_id.eq(org_id))
            .select((
                user_roles::user_id,
                roles::name,
                role_permissions::permission.nullable(),
            ))
            .load(conn)?;
        for (user_id, role, permission) in given {
            if let Some((roles, _)) = found.get_mut(&user_id) {
                roles.push((role, permission));
            }
        }
        let overrides: Vec<(i64, String, bool)> = user_permission_overrides::table
            .filter(user_permission_overrides::user_id.eq_any(chunk))
            .select((
                user_permission_overrides::user_id,
                user_permission_overrides::permission,
                user_permission_overrides::granted,
            ))
            .load(conn)?;
        for (user_id, permission, granted) in overrides {
            if let Some((_, written)) = found.get_mut(&user_id) {
                written.push(if granted { '+' } else { '-' });
                written.push_str(&permission);
                written.push(',');
            }
        }
    }
    // The Owner and tenant superusers hold every permission of the organization.
    let everything = if !superusers.is_empty()
        || found
            .values()
            .any(|(given, _)| given.iter().any(|(role, _)| role == OWNER))
    {
        crate::orgs::catalog::everything(&crate::licenses::product_permissions::all(conn, org_id)?)
    } else {
        Permissions::default()
    };
    Ok(found
        .into_iter()
        .map(|(id, (given, overrides))| {
            let owner = given.iter().any(|(role, _)| role == OWNER);
            let names: Vec<&str> = given.iter().filter_map(|(_, p)| p.as_deref()).collect();
            let permissions = if owner || superusers.contains(&id) {
                everything
            } else {
                Permissions::from_names(&names.join(","), &overrides)
            };
            (
                id,
                Standing {
                    id,
                    permissions,
                    owner,
                },
            )
        })
        .collect())
}

/// A standing from a list row's role names, overrides and superuser flag, with what each
/// role gives from the organization's catalogue (no query).
pub fn standing_from(
    catalog: &crate::orgs::catalog::OrgCatalog,
    id: i64,
    (role_names, overrides): (&str, &str),
    superuser: bool,
) -> Standing {
    let names: Vec<&str> = role_names.split(',').filter(|n| !n.is_empty()).collect();
    let owner = names.contains(&OWNER);
    let given = catalog
        .roles
        .iter()
        .filter(|role| names.contains(&role.name.as_str()))
        .map(|role| role.permissions);
    Standing {
        id,
        permissions: if owner || superuser {
            catalog.everything()
        } else {
            Permissions::from_roles_and_overrides(given, overrides)
        },
        owner,
    }
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

#[cfg(test)]
mod tests;
