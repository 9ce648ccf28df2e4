//! Queries of the Edit User dialog.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{divisions, user_roles, users};
use crate::db::DbConn;

#[derive(Debug, Clone, Queryable)]
pub struct EditRow {
    pub id: i64,
    pub org_id: i64,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub phone: String,
    pub timezone: String,
    pub language: String,
    pub call_recording: bool,
    pub division_id: Option<i64>,
    pub chat_scope: String,
    pub ip_allowlist: String,
    pub status: String,
    pub version: i32,
}

pub fn edit_row(conn: &mut DbConn, org_id: i64, user_id: i64) -> QueryResult<Option<EditRow>> {
    users::table
        .find(user_id)
        .filter(users::org_id.eq(org_id))
        .select((
            users::id,
            users::org_id,
            users::email,
            users::first_name,
            users::last_name,
            users::phone,
            users::timezone,
            users::language,
            users::call_recording,
            users::division_id,
            users::chat_scope,
            users::ip_allowlist,
            users::status,
            users::version,
        ))
        .load(conn)
        .map(crate::db::unique)
}

pub fn role_ids(conn: &mut DbConn, user_id: i64) -> QueryResult<Vec<i64>> {
    user_roles::table
        .filter(user_roles::user_id.eq(user_id))
        .select(user_roles::role_id)
        .load(conn)
}

pub fn divisions(conn: &mut DbConn, org_id: i64) -> QueryResult<Vec<(i64, String)>> {
    divisions::table
        .filter(divisions::org_id.eq(org_id))
        .order(divisions::name)
        .select((divisions::id, divisions::name))
        .load(conn)
}

pub fn remove_role(conn: &mut DbConn, user_id: i64, role_id: i64) -> QueryResult<usize> {
    diesel::delete(
        user_roles::table
            .filter(user_roles::user_id.eq(user_id))
            .filter(user_roles::role_id.eq(role_id)),
    )
    .execute(conn)
}

/// The validated new values of the user's own columns.
pub struct Details<'a> {
    pub email: &'a str,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub phone: &'a str,
    pub timezone: &'a str,
    pub language: &'a str,
    pub call_recording: bool,
    pub division_id: Option<i64>,
    pub chat_scope: &'a str,
    pub ip_allowlist: &'a str,
    pub status: &'a str,
}

/// Saves the details if nobody saved since `version` was read (optimistic concurrency):
/// false when the version moved on.
pub fn save_details(
    conn: &mut DbConn,
    user_id: i64,
    version: i32,
    d: &Details<'_>,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let updated = diesel::update(
        users::table
            .find(user_id)
            .filter(users::version.eq(version)),
    )
    .set((
        users::email.eq(d.email),
        users::first_name.eq(d.first_name),
        users::last_name.eq(d.last_name),
        users::name_key.eq(crate::users::name_key(d.first_name, d.last_name)),
        users::phone.eq(d.phone),
        users::timezone.eq(d.timezone),
        users::language.eq(d.language),
        users::call_recording.eq(d.call_recording),
        users::division_id.eq(d.division_id),
        users::chat_scope.eq(d.chat_scope),
        users::ip_allowlist.eq(d.ip_allowlist),
        users::status.eq(d.status),
        users::version.eq(users::version + 1),
        users::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Who last changed the user, from the audit log (for "changed by … meanwhile"): the events
/// of every change that moves `users.version`.
pub fn last_editor(conn: &mut DbConn, user_id: i64) -> QueryResult<Option<String>> {
    use crate::audit::action;
    use crate::db::schema::audit_events;
    audit_events::table
        .filter(audit_events::target_id.eq(user_id))
        .filter(audit_events::action.eq_any([
            action::USER_UPDATED,
            action::PERMISSIONS_CHANGED,
            action::EMAIL_CHANGED,
            action::INVITE_ACCEPTED,
        ]))
        .order(audit_events::id.desc())
        .select(audit_events::actor_label)
        .first(conn)
        .optional()
}
