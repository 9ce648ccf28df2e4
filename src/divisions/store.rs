//! Division queries.

use diesel::prelude::*;

use std::collections::BTreeSet;

use crate::db::schema::{divisions, supervisor_divisions, users};
use crate::db::DbConn;
use crate::groups::name_key;

#[derive(Debug, Clone, Queryable)]
pub struct Division {
    pub id: i64,
    pub name: String,
}

/// The organization's divisions by name, each with how many users are in it (one query).
pub fn all_with_counts(conn: &mut DbConn, org_id: i64) -> QueryResult<Vec<(Division, i64)>> {
    let rows: Vec<(i64, String, Option<i64>)> = divisions::table
        .left_join(users::table.on(users::division_id.eq(divisions::id.nullable())))
        .filter(divisions::org_id.eq(org_id))
        .group_by((divisions::id, divisions::name, divisions::name_key))
        .order(divisions::name_key)
        .select((
            divisions::id,
            divisions::name,
            diesel::dsl::count(users::id.nullable()).nullable(),
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, name, count)| (Division { id, name }, count.unwrap_or(0)))
        .collect())
}

pub fn find(conn: &mut DbConn, org_id: i64, id: i64) -> QueryResult<Option<Division>> {
    divisions::table
        .filter(divisions::org_id.eq(org_id))
        .filter(divisions::id.eq(id))
        .select((divisions::id, divisions::name))
        .first(conn)
        .optional()
}

/// Whether another division of the organization has this name (any case).
pub fn name_taken(
    conn: &mut DbConn,
    org_id: i64,
    name: &str,
    except: Option<i64>,
) -> QueryResult<bool> {
    let found: Option<i64> = divisions::table
        .filter(divisions::org_id.eq(org_id))
        .filter(divisions::name_key.eq(name_key(name)))
        .select(divisions::id)
        .first(conn)
        .optional()?;
    Ok(found.is_some_and(|id| Some(id) != except))
}

pub fn insert(conn: &mut DbConn, org_id: i64, name: &str) -> QueryResult<i64> {
    diesel::insert_into(divisions::table)
        .values((
            divisions::org_id.eq(org_id),
            divisions::name.eq(name),
            divisions::name_key.eq(name_key(name)),
        ))
        .execute(conn)?;
    divisions::table
        .filter(divisions::org_id.eq(org_id))
        .filter(divisions::name_key.eq(name_key(name)))
        .select(divisions::id)
        .first(conn)
}

pub fn rename(conn: &mut DbConn, id: i64, name: &str) -> QueryResult<()> {
    diesel::update(divisions::table.find(id))
        .set((
            divisions::name.eq(name),
            divisions::name_key.eq(name_key(name)),
        ))
        .execute(conn)
        .map(drop)
}

/// Moves everyone in division `from` to `to` (or to no division); their versions move on, so
/// an Edit User dialog opened before sees the change. Answers how many moved.
pub fn move_users(
    conn: &mut DbConn,
    from: i64,
    to: Option<i64>,
    now: chrono::NaiveDateTime,
) -> QueryResult<usize> {
    let mut reached: Vec<i64> = users::table
        .filter(users::division_id.eq(from))
        .select(users::id)
        .load(conn)?;
    // Its people, and whoever's scope names it (`scope::retire_unit` follows the move).
    use crate::users::scope::{holders_of_unit, DIVISION};
    reached.extend(holders_of_unit(conn, DIVISION, from)?);
    crate::users::store::lock_all_for_change(conn, &reached)?;
    diesel::update(users::table.filter(users::division_id.eq(from)))
        .set((
            users::division_id.eq(to),
            users::version.eq(users::version + 1),
            users::updated_at.eq(now),
        ))
        .execute(conn)
}

pub fn delete(conn: &mut DbConn, id: i64) -> QueryResult<()> {
    diesel::delete(divisions::table.find(id))
        .execute(conn)
        .map(drop)
}

/// The divisions a Supervisor with Assigned divisions only may chat with.
pub fn assigned(conn: &mut DbConn, user_id: i64) -> QueryResult<BTreeSet<i64>> {
    let ids: Vec<i64> = supervisor_divisions::table
        .filter(supervisor_divisions::user_id.eq(user_id))
        .select(supervisor_divisions::division_id)
        .load(conn)?;
    Ok(ids.into_iter().collect())
}

/// Replaces the divisions assigned to a Supervisor.
pub fn assign(conn: &mut DbConn, user_id: i64, division_ids: &BTreeSet<i64>) -> QueryResult<()> {
    diesel::delete(supervisor_divisions::table.filter(supervisor_divisions::user_id.eq(user_id)))
        .execute(conn)?;
    let rows: Vec<_> = division_ids
        .iter()
        .map(|id| {
            (
                supervisor_divisions::user_id.eq(user_id),
                supervisor_divisions::division_id.eq(*id),
            )
        })
        .collect();
    if !rows.is_empty() {
        crate::insert_batch!(conn, supervisor_divisions::table, &rows)?;
    }
    Ok(())
}

/// Names of the given divisions, by name, for audit and display.
pub fn names(all: &[(i64, String)], ids: &BTreeSet<i64>) -> Vec<String> {
    let mut names: Vec<String> = all
        .iter()
        .filter(|(id, _)| ids.contains(id))
        .map(|(_, name)| name.clone())
        .collect();
    names.sort();
    names
}

/// How many Supervisors have this division as their only assigned one (after its deletion
/// they chat with no division until Edit User assigns another).
pub fn only_assignment_of(conn: &mut DbConn, division_id: i64) -> QueryResult<usize> {
    let assigned: Vec<i64> = supervisor_divisions::table
        .filter(supervisor_divisions::division_id.eq(division_id))
        .select(supervisor_divisions::user_id)
        .load(conn)?;
    let mut with_others: BTreeSet<i64> = BTreeSet::new();
    for chunk in assigned.chunks(500) {
        with_others.extend(
            supervisor_divisions::table
                .filter(supervisor_divisions::user_id.eq_any(chunk))
                .filter(supervisor_divisions::division_id.ne(division_id))
                .select(supervisor_divisions::user_id)
                .load::<i64>(conn)?,
        );
    }
    Ok(assigned.len() - with_others.len())
}
