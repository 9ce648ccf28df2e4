//! Queries of deactivation and deletion.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{license_assignments, owned_records, products, roles, user_roles, users};
use crate::db::DbConn;

/// What is kept of a user in the audit event of their deletion.
#[derive(Debug, Clone, Queryable, serde::Serialize)]
pub struct Snapshot {
    pub id: i64,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub phone: String,
    pub status: String,
    pub created_at: NaiveDateTime,
    pub last_login_at: Option<NaiveDateTime>,
}

pub fn snapshot(conn: &mut DbConn, org_id: i64, user_id: i64) -> QueryResult<Option<Snapshot>> {
    users::table
        .find(user_id)
        .filter(users::org_id.eq(org_id))
        .select((
            users::id,
            users::email,
            users::first_name,
            users::last_name,
            users::phone,
            users::status,
            users::created_at,
            users::last_login_at,
        ))
        .first(conn)
        .optional()
}

pub fn role_names(conn: &mut DbConn, user_id: i64) -> QueryResult<Vec<String>> {
    user_roles::table
        .inner_join(roles::table)
        .filter(user_roles::user_id.eq(user_id))
        .order(roles::name)
        .select(roles::name)
        .load(conn)
}

pub fn license_names(conn: &mut DbConn, user_id: i64) -> QueryResult<Vec<String>> {
    license_assignments::table
        .inner_join(products::table)
        .filter(license_assignments::user_id.eq(user_id))
        .order(products::name)
        .select(products::name)
        .load(conn)
}

/// How many records the user owns, by kind.
pub fn owned_counts(conn: &mut DbConn, user_id: i64) -> QueryResult<Vec<(String, i64)>> {
    owned_records::table
        .filter(owned_records::owner_id.eq(user_id))
        .group_by(owned_records::kind)
        .select((owned_records::kind, diesel::dsl::count_star()))
        .load(conn)
}

/// How many records the user owns, by workspace (its name; `None`: none) and kind.
pub fn owned_by_workspace(
    conn: &mut DbConn,
    user_id: i64,
) -> QueryResult<Vec<(Option<String>, String, i64)>> {
    use crate::db::schema::workspaces;
    let counts: Vec<(Option<i64>, String, i64)> = owned_records::table
        .filter(owned_records::owner_id.eq(user_id))
        .group_by((owned_records::workspace_id, owned_records::kind))
        .select((
            owned_records::workspace_id,
            owned_records::kind,
            diesel::dsl::count_star(),
        ))
        .load(conn)?;
    let ids: Vec<i64> = counts.iter().filter_map(|(w, _, _)| *w).collect();
    let names: std::collections::HashMap<i64, String> = workspaces::table
        .filter(workspaces::id.eq_any(&ids))
        .select((workspaces::id, workspaces::name))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();
    Ok(counts
        .into_iter()
        .map(|(w, kind, n)| (w.and_then(|w| names.get(&w).cloned()), kind, n))
        .collect())
}

/// What a hand-over did: how many records went to the new owner, and how many were left
/// unassigned (all of them without a new owner; else those in workspaces the new owner is
/// not a member of).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HandedOver {
    pub moved: usize,
    pub unassigned: usize,
}

/// Gives the user's records to `new_owner` workspace by workspace: where the new owner is a
/// member (or the record has no workspace) they get it; elsewhere it stays, unassigned.
pub fn reassign_records(
    conn: &mut DbConn,
    user_id: i64,
    new_owner: Option<i64>,
    now: NaiveDateTime,
) -> QueryResult<HandedOver> {
    use crate::db::schema::workspace_members;
    let moved = match new_owner {
        Some(new_owner) => {
            let theirs: Vec<i64> = workspace_members::table
                .filter(workspace_members::user_id.eq(new_owner))
                .select(workspace_members::workspace_id)
                .load(conn)?;
            diesel::update(
                owned_records::table
                    .filter(owned_records::owner_id.eq(user_id))
                    .filter(
                        owned_records::workspace_id
                            .is_null()
                            .or(owned_records::workspace_id.eq_any(theirs)),
                    ),
            )
            .set((
                owned_records::owner_id.eq(new_owner),
                owned_records::updated_at.eq(now),
            ))
            .execute(conn)?
        }
        None => 0,
    };
    let unassigned =
        diesel::update(owned_records::table.filter(owned_records::owner_id.eq(user_id)))
            .set((
                owned_records::owner_id.eq(None::<i64>),
                owned_records::updated_at.eq(now),
            ))
            .execute(conn)?;
    Ok(HandedOver { moved, unassigned })
}

/// Sets the status (and moves the version on, so open Edit dialogs see the change).
pub fn set_status(
    conn: &mut DbConn,
    user_id: i64,
    status: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(users::table.find(user_id))
        .set((
            users::status.eq(status),
            users::version.eq(users::version + 1),
            users::updated_at.eq(now),
        ))
        .execute(conn)
}

pub fn delete_user(conn: &mut DbConn, user_id: i64) -> QueryResult<usize> {
    diesel::delete(users::table.find(user_id)).execute(conn)
}

/// An active user of the organization, by email (a new owner for records).
pub fn active_user_by_email(
    conn: &mut DbConn,
    org_id: i64,
    email: &str,
) -> QueryResult<Option<(i64, String)>> {
    users::table
        .filter(users::org_id.eq(org_id))
        .filter(users::email.eq(email))
        .filter(users::status.eq(crate::users::status::ACTIVE))
        .select((users::id, users::email))
        .first(conn)
        .optional()
}
