//! Workspace queries.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{Level, Membership, Restriction};
use crate::db::schema::{owned_records, users, workspace_members, workspaces};
use crate::db::sql::{load, Bind, Sql};
use crate::db::DbConn;

#[derive(Debug, Clone, Queryable, PartialEq, Eq)]
pub struct Workspace {
    pub id: i64,
    pub name: String,
    pub archived_at: Option<NaiveDateTime>,
}

/// The organization's workspaces, active ones first, each by name.
pub fn all(conn: &mut DbConn, org_id: i64) -> QueryResult<Vec<Workspace>> {
    let mut all: Vec<Workspace> = workspaces::table
        .filter(workspaces::org_id.eq(org_id))
        .order(workspaces::name_key)
        .select((workspaces::id, workspaces::name, workspaces::archived_at))
        .load(conn)?;
    all.sort_by_key(|w| w.archived_at.is_some());
    Ok(all)
}

pub fn find(conn: &mut DbConn, org_id: i64, id: i64) -> QueryResult<Option<Workspace>> {
    workspaces::table
        .filter(workspaces::org_id.eq(org_id))
        .filter(workspaces::id.eq(id))
        .select((workspaces::id, workspaces::name, workspaces::archived_at))
        .first(conn)
        .optional()
}

/// How many members each workspace of the organization has (none: absent).
pub fn member_counts(conn: &mut DbConn, org_id: i64) -> QueryResult<BTreeMap<i64, i64>> {
    let rows: Vec<(i64, i64)> = workspace_members::table
        .inner_join(workspaces::table)
        .filter(workspaces::org_id.eq(org_id))
        .group_by(workspace_members::workspace_id)
        .select((workspace_members::workspace_id, diesel::dsl::count_star()))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}

/// How many records each workspace of the organization holds (none: absent).
pub fn record_counts(conn: &mut DbConn, org_id: i64) -> QueryResult<BTreeMap<i64, i64>> {
    let rows: Vec<(Option<i64>, i64)> = owned_records::table
        .filter(owned_records::org_id.eq(org_id))
        .group_by(owned_records::workspace_id)
        .select((owned_records::workspace_id, diesel::dsl::count_star()))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, n)| id.map(|id| (id, n)))
        .collect())
}

pub fn name_taken(
    conn: &mut DbConn,
    org_id: i64,
    name: &str,
    except: Option<i64>,
) -> QueryResult<bool> {
    let found: Option<i64> = workspaces::table
        .filter(workspaces::org_id.eq(org_id))
        .filter(workspaces::name_key.eq(crate::groups::name_key(name)))
        .select(workspaces::id)
        .first(conn)
        .optional()?;
    Ok(found.is_some_and(|id| Some(id) != except))
}

pub fn insert(conn: &mut DbConn, org_id: i64, name: &str, now: NaiveDateTime) -> QueryResult<i64> {
    diesel::insert_into(workspaces::table)
        .values((
            workspaces::org_id.eq(org_id),
            workspaces::name.eq(name),
            workspaces::name_key.eq(crate::groups::name_key(name)),
            workspaces::created_at.eq(now),
        ))
        .execute(conn)?;
    crate::orgs::catalog::bump(conn, org_id)?;
    workspaces::table
        .filter(workspaces::org_id.eq(org_id))
        .filter(workspaces::name_key.eq(crate::groups::name_key(name)))
        .select(workspaces::id)
        .first(conn)
}

pub fn rename(conn: &mut DbConn, id: i64, name: &str) -> QueryResult<()> {
    bump_for(conn, id)?;
    diesel::update(workspaces::table.find(id))
        .set((
            workspaces::name.eq(name),
            workspaces::name_key.eq(crate::groups::name_key(name)),
        ))
        .execute(conn)
        .map(drop)
}

pub fn archive(conn: &mut DbConn, id: i64, now: NaiveDateTime) -> QueryResult<()> {
    bump_for(conn, id)?;
    diesel::update(workspaces::table.find(id))
        .set(workspaces::archived_at.eq(now))
        .execute(conn)
        .map(drop)
}

/// The workspace's organization's catalogue (which lists its active workspaces) changes.
fn bump_for(conn: &mut DbConn, id: i64) -> QueryResult<()> {
    let org_id: Option<i64> = workspaces::table
        .find(id)
        .select(workspaces::org_id)
        .first(conn)
        .optional()?;
    match org_id {
        Some(org_id) => crate::orgs::catalog::bump(conn, org_id),
        None => Ok(()),
    }
}

/// The organization's first active workspace: where people who join the organization go.
pub fn first_active(conn: &mut DbConn, org_id: i64) -> QueryResult<Option<i64>> {
    workspaces::table
        .filter(workspaces::org_id.eq(org_id))
        .filter(workspaces::archived_at.is_null())
        .order(workspaces::id)
        .select(workspaces::id)
        .first(conn)
        .optional()
}

/// Adds someone to a workspace (or sets their level there), in one statement: two requests
/// adding the same person at once end with one membership, not a unique-key error.
pub fn set_member(
    conn: &mut DbConn,
    workspace_id: i64,
    user_id: i64,
    level: Level,
    now: NaiveDateTime,
) -> QueryResult<()> {
    use crate::db::sql::{execute, Bind, Sql};
    let mut sql = Sql::new();
    sql.push("INSERT INTO workspace_members (workspace_id, user_id, level, restrictions, created_at) VALUES (")
        .bind(Bind::Int(workspace_id))
        .push(", ")
        .bind(Bind::Int(user_id))
        .push(", ")
        .bind(Bind::Text(level.code().to_owned()))
        .push(", '', ")
        .bind(Bind::Time(now))
        .push(") ON CONFLICT (workspace_id, user_id) DO UPDATE SET level = excluded.level");
    execute(conn, sql).map(drop)
}

/// A new member of the organization joins its first active workspace (the Owner as its
/// Owner).
pub fn join_organization(
    conn: &mut DbConn,
    org_id: i64,
    user_id: i64,
    level: Level,
    now: NaiveDateTime,
) -> QueryResult<()> {
    match first_active(conn, org_id)? {
        Some(workspace_id) => set_member(conn, workspace_id, user_id, level, now),
        None => Ok(()),
    }
}

/// Up to `limit` members' names, by name, for a confirmation.
pub fn some_members(conn: &mut DbConn, workspace_id: i64, limit: i64) -> QueryResult<Vec<String>> {
    let names: Vec<(String, String)> = workspace_members::table
        .inner_join(users::table)
        .filter(workspace_members::workspace_id.eq(workspace_id))
        .order(users::name_key)
        .limit(limit)
        .select((users::first_name, users::last_name))
        .load(conn)?;
    Ok(names
        .into_iter()
        .map(|(first, last)| format!("{first} {last}"))
        .collect())
}

/// Everyone of the organization joins its first workspace at once, `owner` as its Owner (a
/// bulk load, one statement).
pub fn everyone_joins(conn: &mut DbConn, org_id: i64, owner: &str) -> QueryResult<usize> {
    use crate::db::sql::{execute, Bind, Sql};
    let Some(workspace_id) = first_active(conn, org_id)? else {
        return Ok(0);
    };
    let mut sql = Sql::new();
    sql.push(
        "INSERT INTO workspace_members (workspace_id, user_id, level, restrictions, created_at, \
         name_key) SELECT ",
    )
    .bind(Bind::Int(workspace_id))
    .push(", u.id, CASE WHEN u.email = ")
    .bind(Bind::Text(owner.to_owned()))
    .push(" THEN 'owner' ELSE 'agent' END, '', u.created_at, u.name_key FROM users u WHERE u.org_id = ")
    .bind(Bind::Int(org_id))
    .push(
        " AND NOT EXISTS (SELECT 1 FROM workspace_members m \
           WHERE m.workspace_id = ",
    )
    .bind(Bind::Int(workspace_id))
    .push(" AND m.user_id = u.id)");
    execute(conn, sql)
}

/// The memberships of these people in a workspace (others are left out).
pub fn memberships_of(
    conn: &mut DbConn,
    workspace_id: i64,
    ids: &[i64],
) -> QueryResult<std::collections::HashMap<i64, Membership>> {
    #[derive(QueryableByName)]
    struct Held {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        user_id: i64,
        #[diesel(sql_type = diesel::sql_types::Text)]
        level: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        restrictions: String,
    }
    let mut sql = Sql::new();
    sql.push("SELECT user_id, level, restrictions FROM workspace_members WHERE workspace_id = ")
        .bind(Bind::Int(workspace_id))
        .push(" AND ")
        .any_of("user_id", ids);
    Ok(load::<Held>(conn, sql)?
        .into_iter()
        .map(|held| (held.user_id, held.level, held.restrictions))
        .filter_map(|(id, code, restrictions)| {
            let level = Level::parse(&code)?;
            Some((
                id,
                Membership::new(level, Restriction::decode(&restrictions)),
            ))
        })
        .collect())
}

/// Someone's membership of a workspace, if any.
pub fn membership(
    conn: &mut DbConn,
    workspace_id: i64,
    user_id: i64,
) -> QueryResult<Option<Membership>> {
    Ok(memberships_of(conn, workspace_id, &[user_id])?.remove(&user_id))
}

/// The levels of these members of a workspace (others are left out).
pub fn levels_of(
    conn: &mut DbConn,
    workspace_id: i64,
    ids: &[i64],
) -> QueryResult<std::collections::HashMap<i64, Level>> {
    Ok(memberships_of(conn, workspace_id, ids)?
        .into_iter()
        .map(|(id, m)| (id, m.level))
        .collect())
}

/// Someone's level and restrictions in a workspace (a member already, or new to it).
pub fn set_membership(
    conn: &mut DbConn,
    (workspace_id, user_id): (i64, i64),
    membership: &Membership,
    now: NaiveDateTime,
) -> QueryResult<()> {
    set_member(conn, workspace_id, user_id, membership.level, now)?;
    diesel::update(
        workspace_members::table
            .filter(workspace_members::workspace_id.eq(workspace_id))
            .filter(workspace_members::user_id.eq(user_id)),
    )
    .set(workspace_members::restrictions.eq(Restriction::encode(&membership.restrictions)))
    .execute(conn)
    .map(drop)
}

/// A workspace's members by name, for the hand-over picker: (id, "First Last (email)").
pub fn members_named(conn: &mut DbConn, workspace_id: i64) -> QueryResult<Vec<(i64, String)>> {
    let rows: Vec<(i64, String, String, String)> = workspace_members::table
        .inner_join(users::table)
        .filter(workspace_members::workspace_id.eq(workspace_id))
        .filter(users::status.eq(crate::users::status::ACTIVE))
        .order(users::name_key)
        .limit(500)
        .select((users::id, users::first_name, users::last_name, users::email))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, first, last, email)| (id, format!("{first} {last} ({email})")))
        .collect())
}

/// The organization's active workspaces (id, name), when it has more than one: the workspace
/// parts of User Management appear only then.
pub fn several(conn: &mut DbConn, org_id: i64) -> QueryResult<Vec<(i64, String)>> {
    let active: Vec<(i64, String)> = all(conn, org_id)?
        .into_iter()
        .filter(|w| w.archived_at.is_none())
        .map(|w| (w.id, w.name))
        .collect();
    Ok(if active.len() > 1 { active } else { Vec::new() })
}

/// The active workspaces each of these people belongs to, by name (one query).
pub fn names_of_members(
    conn: &mut DbConn,
    ids: &[i64],
) -> QueryResult<std::collections::HashMap<i64, Vec<String>>> {
    #[derive(QueryableByName)]
    struct Place {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        user_id: i64,
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
    }
    let mut sql = Sql::new();
    sql.push(
        "SELECT m.user_id, w.name FROM workspace_members m JOIN workspaces w ON w.id = m.workspace_id \
         WHERE w.archived_at IS NULL AND ",
    )
    .any_of("m.user_id", ids)
    .push(" ORDER BY w.name_key");
    let mut names: std::collections::HashMap<i64, Vec<String>> = Default::default();
    for place in load::<Place>(conn, sql)? {
        names.entry(place.user_id).or_default().push(place.name);
    }
    Ok(names)
}

/// Locks a workspace's row until the transaction ends (PostgreSQL; SQLite's writers already
/// take turns), so changes to its members wait for each other: a count of its Owners then
/// holds until the change commits.
pub fn lock(conn: &mut DbConn, workspace_id: i64) -> QueryResult<()> {
    use crate::db::sql::{execute, Bind, Sql};
    if crate::db::backend_of(conn) == crate::db::Backend::Postgres {
        let mut sql = Sql::new();
        sql.push("SELECT id FROM workspaces WHERE id = ")
            .bind(Bind::Int(workspace_id))
            .push(" FOR UPDATE");
        execute(conn, sql)?;
    }
    Ok(())
}
