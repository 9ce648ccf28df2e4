//! Role queries: members, permissions, moves. Every query names the organization.

use std::collections::HashMap;

use diesel::prelude::*;

use crate::db::schema::{organizations, role_permissions, roles, user_roles, users};
use crate::db::DbConn;

/// How many people hold each of the organization's roles, by role id.
pub fn member_counts(conn: &mut DbConn, org_id: i64) -> QueryResult<HashMap<i64, i64>> {
    let rows: Vec<(i64, i64)> = user_roles::table
        .inner_join(roles::table)
        .filter(roles::org_id.eq(org_id))
        .group_by(user_roles::role_id)
        .select((user_roles::role_id, diesel::dsl::count_star()))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}

/// The ids of the people holding a role.
pub fn holders(conn: &mut DbConn, role_id: i64) -> QueryResult<Vec<i64>> {
    user_roles::table
        .filter(user_roles::role_id.eq(role_id))
        .select(user_roles::user_id)
        .load(conn)
}

/// Whether another role of the organization has this name, whatever its case.
pub fn name_taken(
    conn: &mut DbConn,
    org_id: i64,
    name: &str,
    except: Option<i64>,
) -> QueryResult<bool> {
    let names: Vec<(i64, String)> = roles::table
        .filter(roles::org_id.eq(org_id))
        .select((roles::id, roles::name))
        .load(conn)?;
    Ok(names
        .iter()
        .any(|(id, n)| Some(*id) != except && n.to_lowercase() == name.to_lowercase()))
}

pub fn insert(conn: &mut DbConn, org_id: i64, name: &str, description: &str) -> QueryResult<i64> {
    diesel::insert_into(roles::table)
        .values((
            roles::org_id.eq(org_id),
            roles::name.eq(name),
            roles::description.eq(description),
            roles::builtin.eq(false),
        ))
        .execute(conn)?;
    roles::table
        .filter(roles::org_id.eq(org_id))
        .filter(roles::name.eq(name))
        .select(roles::id)
        .first(conn)
}

pub fn update(conn: &mut DbConn, role_id: i64, name: &str, description: &str) -> QueryResult<()> {
    diesel::update(roles::table.find(role_id))
        .set((roles::name.eq(name), roles::description.eq(description)))
        .execute(conn)
        .map(|_| ())
}

/// Replaces the role's permissions with these stored names.
pub fn set_permissions(conn: &mut DbConn, role_id: i64, names: &[String]) -> QueryResult<()> {
    diesel::delete(role_permissions::table.filter(role_permissions::role_id.eq(role_id)))
        .execute(conn)?;
    let rows: Vec<_> = names
        .iter()
        .map(|name| {
            (
                role_permissions::role_id.eq(role_id),
                role_permissions::permission.eq(name),
            )
        })
        .collect();
    if !rows.is_empty() {
        crate::insert_batch!(conn, role_permissions::table, &rows)?;
    }
    Ok(())
}

/// Gives the holders of `from` the role `to` (those who have it keep one), then deletes
/// `from`. Answers how many people held it.
pub fn delete_moving(conn: &mut DbConn, from: i64, to: Option<i64>) -> QueryResult<usize> {
    let held = holders(conn, from)?;
    crate::users::store::lock_all_for_change(conn, &held)?;
    if let Some(to) = to {
        let already: Vec<i64> = user_roles::table
            .filter(user_roles::role_id.eq(to))
            .filter(user_roles::user_id.eq_any(&held))
            .select(user_roles::user_id)
            .load(conn)?;
        let rows: Vec<_> = held
            .iter()
            .filter(|u| !already.contains(u))
            .map(|u| (user_roles::user_id.eq(*u), user_roles::role_id.eq(to)))
            .collect();
        for chunk in rows.chunks(500) {
            crate::insert_batch!(conn, user_roles::table, chunk)?;
        }
    }
    // The holders' rows change: the list's optimistic version moves on.
    diesel::update(users::table.filter(users::id.eq_any(&held)))
        .set(users::version.eq(users::version + 1))
        .execute(conn)?;
    diesel::delete(roles::table.find(from)).execute(conn)?;
    Ok(held.len())
}

/// The organization's "roles that require two-step verification" with a role renamed or
/// (`to: None`) gone.
pub fn rename_in_mfa_policy(
    conn: &mut DbConn,
    org_id: i64,
    from: &str,
    to: Option<&str>,
) -> QueryResult<()> {
    let policy: String = organizations::table
        .find(org_id)
        .select(organizations::mfa_required_roles)
        .first(conn)?;
    let names: Vec<&str> = policy
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .filter_map(|n| {
            if n.eq_ignore_ascii_case(from) {
                to
            } else {
                Some(n)
            }
        })
        .collect();
    diesel::update(organizations::table.find(org_id))
        .set(organizations::mfa_required_roles.eq(names.join(",")))
        .execute(conn)
        .map(|_| ())
}
