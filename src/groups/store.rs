//! Group queries: the organization's groups with their member counts, and who holds which.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::Kind;
use crate::db::schema::{group_members, org_groups, users};
use crate::db::DbConn;

#[derive(Debug, Clone, Queryable)]
pub struct Group {
    pub id: i64,
    pub kind: String,
    pub name: String,
}

impl Group {
    pub fn kind(&self) -> Kind {
        Kind::parse(&self.kind).unwrap_or(Kind::Tag)
    }
}

/// The organization's groups, by kind then name.
pub fn all(conn: &mut DbConn, org_id: i64) -> QueryResult<Vec<Group>> {
    org_groups::table
        .filter(org_groups::org_id.eq(org_id))
        .order((org_groups::kind, org_groups::name_key))
        .select((org_groups::id, org_groups::kind, org_groups::name))
        .load(conn)
}

/// How many users hold each of the organization's groups (groups nobody holds are absent).
pub fn member_counts(conn: &mut DbConn, org_id: i64) -> QueryResult<BTreeMap<i64, i64>> {
    let rows: Vec<(i64, i64)> = group_members::table
        .inner_join(org_groups::table)
        .filter(org_groups::org_id.eq(org_id))
        .group_by(group_members::group_id)
        .select((group_members::group_id, diesel::dsl::count_star()))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}

/// One of the organization's groups.
pub fn find(conn: &mut DbConn, org_id: i64, group_id: i64) -> QueryResult<Option<Group>> {
    org_groups::table
        .filter(org_groups::org_id.eq(org_id))
        .filter(org_groups::id.eq(group_id))
        .select((org_groups::id, org_groups::kind, org_groups::name))
        .first(conn)
        .optional()
}

/// Whether another group of this kind already has this name (any case).
pub fn name_taken(
    conn: &mut DbConn,
    org_id: i64,
    kind: Kind,
    name: &str,
    except: Option<i64>,
) -> QueryResult<bool> {
    let found: Option<i64> = org_groups::table
        .filter(org_groups::org_id.eq(org_id))
        .filter(org_groups::kind.eq(kind.code()))
        .filter(org_groups::name_key.eq(super::name_key(name)))
        .select(org_groups::id)
        .first(conn)
        .optional()?;
    Ok(found.is_some_and(|id| Some(id) != except))
}

pub fn insert(
    conn: &mut DbConn,
    org_id: i64,
    kind: Kind,
    name: &str,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    diesel::insert_into(org_groups::table)
        .values((
            org_groups::org_id.eq(org_id),
            org_groups::kind.eq(kind.code()),
            org_groups::name.eq(name),
            org_groups::name_key.eq(super::name_key(name)),
            org_groups::created_at.eq(now),
        ))
        .execute(conn)?;
    crate::orgs::catalog::bump(conn, org_id)?;
    org_groups::table
        .filter(org_groups::org_id.eq(org_id))
        .filter(org_groups::kind.eq(kind.code()))
        .filter(org_groups::name_key.eq(super::name_key(name)))
        .select(org_groups::id)
        .first(conn)
}

pub fn rename(conn: &mut DbConn, group_id: i64, name: &str) -> QueryResult<()> {
    bump_for(conn, group_id)?;
    diesel::update(org_groups::table.find(group_id))
        .set((
            org_groups::name.eq(name),
            org_groups::name_key.eq(super::name_key(name)),
        ))
        .execute(conn)
        .map(drop)
}

/// Deletes the group and its memberships.
pub fn delete(conn: &mut DbConn, group_id: i64) -> QueryResult<()> {
    bump_for(conn, group_id)?;
    let mut reached: Vec<i64> = group_members::table
        .filter(group_members::group_id.eq(group_id))
        .select(group_members::user_id)
        .load(conn)?;
    // Its members, and whoever's scope names it (a team: `scope::retire_unit` follows).
    use crate::users::scope::{holders_of_unit, TEAM};
    reached.extend(holders_of_unit(conn, TEAM, group_id)?);
    crate::users::store::lock_all_for_change(conn, &reached)?;
    diesel::delete(group_members::table.filter(group_members::group_id.eq(group_id)))
        .execute(conn)?;
    diesel::delete(org_groups::table.find(group_id))
        .execute(conn)
        .map(drop)
}

/// The group's organization's catalogue (which lists its groups) changes.
fn bump_for(conn: &mut DbConn, group_id: i64) -> QueryResult<()> {
    let org_id: Option<i64> = org_groups::table
        .find(group_id)
        .select(org_groups::org_id)
        .first(conn)
        .optional()?;
    match org_id {
        Some(org_id) => crate::orgs::catalog::bump(conn, org_id),
        None => Ok(()),
    }
}

/// How many users hold the group.
pub fn member_count(conn: &mut DbConn, group_id: i64) -> QueryResult<i64> {
    group_members::table
        .filter(group_members::group_id.eq(group_id))
        .count()
        .get_result(conn)
}

/// The groups a user holds.
pub fn of_user(conn: &mut DbConn, user_id: i64) -> QueryResult<BTreeSet<i64>> {
    let ids: Vec<i64> = group_members::table
        .filter(group_members::user_id.eq(user_id))
        .select(group_members::group_id)
        .load(conn)?;
    Ok(ids.into_iter().collect())
}

/// The groups each of these users holds, in one query.
pub fn of_users(conn: &mut DbConn, user_ids: &[i64]) -> QueryResult<BTreeMap<i64, BTreeSet<i64>>> {
    let mut held: BTreeMap<i64, BTreeSet<i64>> = BTreeMap::new();
    for (user_id, group_id) in group_members::table
        .filter(group_members::user_id.eq_any(user_ids))
        .select((group_members::user_id, group_members::group_id))
        .load::<(i64, i64)>(conn)?
    {
        held.entry(user_id).or_default().insert(group_id);
    }
    Ok(held)
}

pub fn add_member(conn: &mut DbConn, user_id: i64, group_id: i64) -> QueryResult<()> {
    diesel::insert_into(group_members::table)
        .values((
            group_members::user_id.eq(user_id),
            group_members::group_id.eq(group_id),
        ))
        .execute(conn)
        .map(drop)
}

pub fn remove_member(conn: &mut DbConn, user_id: i64, group_id: i64) -> QueryResult<()> {
    diesel::delete(
        group_members::table
            .filter(group_members::user_id.eq(user_id))
            .filter(group_members::group_id.eq(group_id)),
    )
    .execute(conn)
    .map(drop)
}

/// Labels of the given groups ("Tag: VIP"), sorted: what an audit event records.
pub fn labels(groups: &[Group], ids: &BTreeSet<i64>) -> Vec<String> {
    let mut labels: Vec<String> = groups
        .iter()
        .filter(|g| ids.contains(&g.id))
        .map(|g| format!("{}: {}", g.kind().label(), g.name))
        .collect();
    labels.sort();
    labels
}

/// Users of the organization who hold the group, for a delete confirmation's names.
pub fn some_members(conn: &mut DbConn, group_id: i64, limit: i64) -> QueryResult<Vec<String>> {
    let rows: Vec<(String, String)> = group_members::table
        .inner_join(users::table)
        .filter(group_members::group_id.eq(group_id))
        .order(users::name_key)
        .limit(limit)
        .select((users::first_name, users::last_name))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(first, last)| format!("{first} {last}"))
        .collect())
}
