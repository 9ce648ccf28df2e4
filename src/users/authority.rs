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
use crate::db::schema::{role_permissions, roles, user_permission_overrides, user_roles, users};
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
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("{0}")]
    Yourself(&'static str),
    #[error("This user holds permissions you do not have: only someone who holds all of them can change their account.")]
    Outranked,
    #[error("Only the Owner can change the Owner's email address, sign-in addresses, password, two-step verification or access.")]
    OwnerOnly,
    #[error("The Owner cannot be {0}.")]
    Owner(&'static str),
}

/// Whether `actor` may do `act` to `target`.
pub fn check(actor: &Standing, target: &Standing, act: Act) -> Result<(), Refusal> {
    if actor.id == target.id {
        return match act {
            Act::Profile | Act::Credentials => Ok(()),
            Act::ResetCredentials => Err(Refusal::Yourself(
                "Change your own password or two-step verification on My account.",
            )),
            Act::Access => Err(Refusal::Yourself(
                "You cannot change your own roles or permissions. Ask another administrator.",
            )),
            Act::Status => Err(Refusal::Yourself("You cannot deactivate your own account.")),
            Act::Delete => Err(Refusal::Yourself("You cannot delete your own account.")),
            Act::Unblock => Err(Refusal::Yourself("You cannot unblock your own account.")),
            Act::Invitation => Ok(()),
        };
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
            Act::Profile | Act::Unblock | Act::Invitation => {}
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

/// Every permission in `theirs` is in `mine`.
pub fn covers(mine: Permissions, theirs: Permissions) -> bool {
    Permission::ALL
        .into_iter()
        .all(|p| !theirs.has(p) || mine.has(p))
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
    for chunk in ids.chunks(500) {
        for id in users::table
            .filter(users::org_id.eq(org_id))
            .filter(users::id.eq_any(chunk))
            .select(users::id)
            .load::<i64>(conn)?
        {
            found.entry(id).or_default();
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
    Ok(found
        .into_iter()
        .map(|(id, (given, overrides))| {
            let owner = given.iter().any(|(role, _)| role == OWNER);
            let names: Vec<&str> = given.iter().filter_map(|(_, p)| p.as_deref()).collect();
            let permissions = Permissions::from_names(&names.join(","), &overrides);
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

/// A standing from a list row's role names and overrides, with what each role gives from the
/// organization's catalogue (no query).
pub fn standing_from(
    catalog: &crate::orgs::catalog::OrgCatalog,
    id: i64,
    role_names: &str,
    overrides: &str,
) -> Standing {
    let names: Vec<&str> = role_names.split(',').filter(|n| !n.is_empty()).collect();
    let given = catalog
        .roles
        .iter()
        .filter(|role| names.contains(&role.name.as_str()))
        .map(|role| role.permissions);
    Standing {
        id,
        permissions: Permissions::from_roles_and_overrides(given, overrides),
        owner: names.contains(&OWNER),
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

    /// What `viewer` (who holds `users.manage` / `users.invite` as `manage` / `invite`) may do
    /// to `target`.
    pub fn of(viewer: &Standing, target: &Standing) -> Offers {
        let manage = viewer.permissions.has(Permission::UsersManage);
        let invite = viewer.permissions.has(Permission::UsersInvite);
        let may = |act| check(viewer, target, act).is_ok();
        let edit = manage && may(Act::Profile);
        Offers {
            edit,
            access: manage && may(Act::Access),
            reset: manage && may(Act::ResetCredentials),
            status: manage && may(Act::Status),
            delete: manage && may(Act::Delete),
            unblock: manage && may(Act::Unblock),
            invitation: invite && may(Act::Invitation),
            select: edit,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all() -> Permissions {
        Permission::ALL
            .into_iter()
            .fold(Permissions::default(), Permissions::with)
    }

    fn person(id: i64, permissions: Permissions, owner: bool) -> Standing {
        Standing {
            id,
            permissions,
            owner,
        }
    }

    #[test]
    fn a_manager_with_users_manage_acts_on_agents_but_not_on_admins_or_the_owner() {
        let manager = person(
            2,
            Permissions::from_names("users.view,audit.view", "+users.manage"),
            false,
        );
        let agent = person(3, Permissions::default(), false);
        let admin = person(4, all(), false);
        let owner = person(1, all(), true);
        assert_eq!(check(&manager, &agent, Act::Credentials), Ok(()));
        assert_eq!(check(&manager, &agent, Act::Delete), Ok(()));
        for act in [
            Act::Profile,
            Act::Credentials,
            Act::ResetCredentials,
            Act::Unblock,
        ] {
            assert_eq!(check(&manager, &admin, act), Err(Refusal::Outranked));
            assert_eq!(check(&manager, &owner, act), Err(Refusal::Outranked));
        }
    }

    #[test]
    fn only_the_owner_touches_the_owners_credentials_and_access() {
        let admin = person(4, all(), false);
        let owner = person(1, all(), true);
        assert_eq!(check(&admin, &owner, Act::Profile), Ok(()));
        assert_eq!(check(&admin, &owner, Act::Unblock), Ok(()));
        for act in [Act::Credentials, Act::ResetCredentials, Act::Access] {
            assert_eq!(check(&admin, &owner, act), Err(Refusal::OwnerOnly));
        }
        assert_eq!(
            check(&admin, &owner, Act::Delete),
            Err(Refusal::Owner("deleted"))
        );
        assert_eq!(check(&owner, &owner, Act::Credentials), Ok(()));
        assert!(check(&owner, &owner, Act::Delete).is_err());
        assert_eq!(check(&owner, &admin, Act::ResetCredentials), Ok(()));
    }

    #[test]
    fn nobody_changes_their_own_access_status_or_existence() {
        let admin = person(4, all(), false);
        for act in [
            Act::Access,
            Act::Status,
            Act::Delete,
            Act::ResetCredentials,
            Act::Unblock,
        ] {
            assert!(matches!(
                check(&admin, &admin, act),
                Err(Refusal::Yourself(_))
            ));
        }
        assert_eq!(check(&admin, &admin, Act::Profile), Ok(()));
    }
}
