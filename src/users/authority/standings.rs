//! What the rules know of people: their effective permissions, whether they are the Owner,
//! and whether their administration is scoped, loaded for one user, many, or a list row.

use std::collections::HashMap;

use diesel::prelude::*;

use super::Standing;
use crate::auth::permissions::{Permissions, OWNER};
use crate::db::schema::{
    role_permissions, roles, superusers, user_permission_overrides, user_roles, users,
};
use crate::db::DbConn;

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
    let scoped = crate::users::scope::scoped_among(conn, ids)?;
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
        for (user_id, permission, granted) in overrides_of_many(conn, chunk)? {
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
            let holds_all = owner || superusers.contains(&id);
            let names: Vec<&str> = given.iter().filter_map(|(_, p)| p.as_deref()).collect();
            let permissions = if holds_all {
                everything
            } else {
                Permissions::from_names(&names.join(","), &overrides)
            };
            let is_scoped = !holds_all && scoped.contains(&id);
            (
                id,
                Standing {
                    id,
                    permissions: if is_scoped {
                        crate::users::scope::people_only(permissions)
                    } else {
                        permissions
                    },
                    owner,
                    scoped: is_scoped,
                },
            )
        })
        .collect())
}

/// A standing from a list row's role names, overrides, superuser and scoped flags, with
/// what each role gives from the organization's catalogue (no query).
pub fn standing_from(
    catalog: &crate::orgs::catalog::OrgCatalog,
    id: i64,
    (role_names, overrides): (&str, &str),
    (superuser, scoped): (bool, bool),
) -> Standing {
    let names: Vec<&str> = role_names.split(',').filter(|n| !n.is_empty()).collect();
    let owner = names.contains(&OWNER);
    let given = catalog
        .roles
        .iter()
        .filter(|role| names.contains(&role.name.as_str()))
        .map(|role| role.permissions);
    let scoped = scoped && !owner && !superuser;
    let permissions = if owner || superuser {
        catalog.everything()
    } else {
        Permissions::from_roles_and_overrides(given, overrides)
    };
    Standing {
        id,
        permissions: if scoped {
            crate::users::scope::people_only(permissions)
        } else {
            permissions
        },
        owner,
        scoped,
    }
}

/// The permission overrides of these users (at most 500 ids): (user, permission, granted).
pub fn overrides_of_many(conn: &mut DbConn, ids: &[i64]) -> QueryResult<Vec<(i64, String, bool)>> {
    user_permission_overrides::table
        .filter(user_permission_overrides::user_id.eq_any(ids))
        .select((
            user_permission_overrides::user_id,
            user_permission_overrides::permission,
            user_permission_overrides::granted,
        ))
        .load(conn)
}
