//! The preview of a role change: what it grants and revokes, and whose effective access it
//! changes (holders keep a permission another role or their own grant gives them).

use std::collections::{BTreeSet, HashMap};

use diesel::prelude::*;

use super::labels_of;
use super::service::{RoleError, RoleForm};
use super::store;
use crate::auth::permissions::{Permissions, OWNER};
use crate::db::schema::{superusers, user_roles};
use crate::db::DbConn;
use crate::licenses::product_permissions::{self, ProductPermission};
use crate::orgs::catalog::{self, load_roles, Role};

/// What saving a role's permissions would change, before the Save.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Preview {
    /// Permissions the role would give that it does not give now.
    pub grants: Vec<String>,
    /// Permissions it gives now and would not.
    pub revokes: Vec<String>,
    /// People holding the role.
    pub holders: usize,
    /// Holders whose effective permissions (all roles, overrides) would change.
    pub affected: usize,
}

/// The preview of giving `role` (or a new role) the permissions `after`.
pub fn preview(
    conn: &mut DbConn,
    org_id: i64,
    role_id: Option<i64>,
    form: &RoleForm,
) -> Result<Preview, RoleError> {
    let products = product_permissions::all(conn, org_id)?;
    let role = match role_id {
        Some(id) => Some(
            load_roles(conn, org_id)?
                .into_iter()
                .find(|r| r.id == id)
                .ok_or(RoleError::NotFound)?,
        ),
        None => None,
    };
    // Only the organization's permissions count (a stale form may name a deleted one).
    let after = form
        .permissions
        .iter()
        .fold(Permissions::default(), |set, n| set.with_name(n))
        .within(catalog::everything(&products));
    Ok(preview_of(conn, org_id, role.as_ref(), after, &products)?)
}

pub(super) fn preview_of(
    conn: &mut DbConn,
    org_id: i64,
    role: Option<&Role>,
    after: Permissions,
    products: &[ProductPermission],
) -> QueryResult<Preview> {
    let before = role.map(|r| r.permissions).unwrap_or_default();
    let mut preview = Preview {
        grants: labels_of(before.missing(after), products),
        revokes: labels_of(after.missing(before), products),
        ..Preview::default()
    };
    let Some(role) = role else {
        return Ok(preview);
    };
    let holders = store::holders(conn, role.id)?;
    preview.holders = holders.len();
    if before == after {
        return Ok(preview);
    }
    let roles: HashMap<i64, Role> = load_roles(conn, org_id)?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    let mut held: HashMap<i64, (Vec<i64>, String)> = HashMap::new();
    let mut exempt = BTreeSet::new();
    for chunk in holders.chunks(500) {
        let given: Vec<(i64, i64)> = user_roles::table
            .filter(user_roles::user_id.eq_any(chunk))
            .select((user_roles::user_id, user_roles::role_id))
            .load(conn)?;
        for (user, role_id) in given {
            held.entry(user).or_default().0.push(role_id);
            if roles.get(&role_id).is_some_and(|r| r.name == OWNER) {
                exempt.insert(user);
            }
        }
        for (user, name, granted) in crate::users::authority::overrides_of_many(conn, chunk)? {
            let written = &mut held.entry(user).or_default().1;
            written.push_str(if granted { "+" } else { "-" });
            written.push_str(&name);
            written.push(',');
        }
        exempt.extend(
            superusers::table
                .filter(superusers::user_id.eq_any(chunk))
                .select(superusers::user_id)
                .load::<i64>(conn)?,
        );
    }
    let effective = |ids: &[i64], overrides: &str, changed: Option<Permissions>| {
        let sets = ids.iter().filter_map(|id| roles.get(id)).map(|r| {
            if r.id == role.id {
                changed.unwrap_or(r.permissions)
            } else {
                r.permissions
            }
        });
        Permissions::from_roles_and_overrides(sets, overrides)
    };
    preview.affected = held
        .iter()
        .filter(|(user, _)| !exempt.contains(user))
        .filter(|(_, (ids, overrides))| {
            effective(ids, overrides, None) != effective(ids, overrides, Some(after))
        })
        .count();
    Ok(preview)
}
