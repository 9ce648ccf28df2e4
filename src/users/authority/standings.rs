//! What the rules know of people: their effective permissions, whether they are the Owner,
//! and whether their administration is scoped, loaded for one user, many, or a list row.

use std::collections::HashMap;

use diesel::prelude::*;

use super::Standing;
use crate::auth::permissions::{Permissions, OWNER};
use crate::db::sql::{load, Bind, Sql};
use crate::db::DbConn;
use diesel::sql_types::{BigInt, Bool, Nullable, Text};

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
        for Person { id, superuser } in load::<Person>(conn, Person::sql(org_id, chunk))? {
            found.entry(id).or_default();
            if superuser {
                superusers.insert(id);
            }
        }
        for Given {
            user_id,
            name: role,
            permission,
        } in load::<Given>(conn, Given::sql(org_id, chunk))?
        {
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
    #[derive(QueryableByName)]
    struct Override {
        #[diesel(sql_type = BigInt)]
        user_id: i64,
        #[diesel(sql_type = Text)]
        permission: String,
        #[diesel(sql_type = Bool)]
        granted: bool,
    }
    let mut sql = Sql::new();
    sql.push("SELECT user_id, permission, granted FROM user_permission_overrides WHERE ")
        .any_of("user_id", ids);
    Ok(load::<Override>(conn, sql)?
        .into_iter()
        .map(|o| (o.user_id, o.permission, o.granted))
        .collect())
}

#[derive(QueryableByName)]
struct Person {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Bool)]
    superuser: bool,
}

#[derive(QueryableByName)]
struct Given {
    #[diesel(sql_type = BigInt)]
    user_id: i64,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Nullable<Text>)]
    permission: Option<String>,
}

impl Person {
    /// These users of the organization, and whether each is a tenant superuser.
    fn sql(org_id: i64, ids: &[i64]) -> Sql {
        let mut sql = Sql::new();
        sql.push(
            "SELECT u.id, su.user_id IS NOT NULL AS superuser FROM users u \
             LEFT JOIN superusers su ON su.user_id = u.id WHERE u.org_id = ",
        )
        .bind(Bind::Int(org_id))
        .push(" AND ")
        .any_of("u.id", ids);
        sql
    }
}

impl Given {
    /// Their roles, each with every permission it gives (one row per pair).
    fn sql(org_id: i64, ids: &[i64]) -> Sql {
        let mut sql = Sql::new();
        sql.push(
            "SELECT ur.user_id, r.name, rp.permission FROM user_roles ur \
             JOIN roles r ON r.id = ur.role_id \
             LEFT JOIN role_permissions rp ON rp.role_id = r.id WHERE r.org_id = ",
        )
        .bind(Bind::Int(org_id))
        .push(" AND ")
        .any_of("ur.user_id", ids);
        sql
    }
}
