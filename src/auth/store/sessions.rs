//! Sessions: stored server-side, so every instance sees a sign-out at once.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{sessions, users};
use crate::db::DbConn;

/// The session's state, or `None` when it is unknown, expired, idle too long or older than
/// its organization allows (then deleted). The limits are the signed-in user's organization's
/// (Settings → Security), or `defaults` (minutes idle, hours in all) for a session of nobody
/// yet. Touches `last_seen_at` at most once a minute.
pub fn load_session(
    conn: &mut DbConn,
    id_hash: &str,
    now: NaiveDateTime,
    defaults: (i64, i64),
) -> QueryResult<Option<String>> {
    load_session_with(conn, id_hash, now, defaults, true)
}

/// `load_session`; with `touch` false it never moves `last_seen_at` (live connections are
/// not activity and must not keep a session alive).
pub fn load_session_with(
    conn: &mut DbConn,
    id_hash: &str,
    now: NaiveDateTime,
    defaults: (i64, i64),
    touch: bool,
) -> QueryResult<Option<String>> {
    use crate::db::schema::organizations;
    let row: Option<SessionRow> = sessions::table
        .left_join(users::table.on(users::id.nullable().eq(sessions::user_id)))
        .left_join(organizations::table.on(organizations::id.eq(users::org_id)))
        .filter(sessions::id_hash.eq(id_hash))
        .select((
            sessions::state,
            sessions::created_at,
            sessions::last_seen_at,
            sessions::expires_at,
            organizations::session_idle_minutes.nullable(),
            organizations::session_max_hours.nullable(),
        ))
        .load(conn)
        .map(crate::db::unique)?;
    let Some(row) = row else {
        return Ok(None);
    };
    let idle = chrono::Duration::minutes(row.idle_minutes.map_or(defaults.0, i64::from));
    let lifetime = chrono::Duration::hours(row.max_hours.map_or(defaults.1, i64::from));
    if row.expires_at <= now || row.last_seen_at + idle <= now || row.created_at + lifetime <= now {
        delete_session(conn, id_hash)?;
        return Ok(None);
    }
    if touch && now - row.last_seen_at >= chrono::Duration::minutes(1) {
        diesel::update(sessions::table.find(id_hash))
            .set(sessions::last_seen_at.eq(now))
            .execute(conn)?;
    }
    Ok(Some(row.state))
}

#[derive(Queryable)]
struct SessionRow {
    state: String,
    created_at: NaiveDateTime,
    last_seen_at: NaiveDateTime,
    expires_at: NaiveDateTime,
    /// The user's organization's limits (none for a session of nobody yet).
    idle_minutes: Option<i32>,
    max_hours: Option<i32>,
}

pub fn insert_session(
    conn: &mut DbConn,
    id_hash: &str,
    user_id: Option<i64>,
    state: &str,
    now: NaiveDateTime,
    expires: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(sessions::table)
        .values((
            sessions::id_hash.eq(id_hash),
            sessions::user_id.eq(user_id),
            sessions::state.eq(state),
            sessions::created_at.eq(now),
            sessions::last_seen_at.eq(now),
            sessions::expires_at.eq(expires),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn update_session(
    conn: &mut DbConn,
    id_hash: &str,
    user_id: Option<i64>,
    state: &str,
) -> QueryResult<usize> {
    diesel::update(sessions::table.find(id_hash))
        .set((sessions::user_id.eq(user_id), sessions::state.eq(state)))
        .execute(conn)
}

pub fn extend_session(
    conn: &mut DbConn,
    id_hash: &str,
    expires: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(sessions::table.find(id_hash))
        .set(sessions::expires_at.eq(expires))
        .execute(conn)
}

pub fn delete_session(conn: &mut DbConn, id_hash: &str) -> QueryResult<usize> {
    diesel::delete(sessions::table.find(id_hash)).execute(conn)
}

/// Ends every session of a user, on every instance at once, and revokes their personal API
/// tokens (each caller is a credential event: deactivation, a new password or second factor,
/// sign out everywhere). The organization's tokens they made stay, in its list.
pub fn delete_user_sessions(conn: &mut DbConn, user_id: i64) -> QueryResult<usize> {
    use crate::db::schema::api_tokens;
    diesel::update(
        api_tokens::table
            .filter(api_tokens::user_id.eq(user_id))
            .filter(api_tokens::personal.eq(true))
            .filter(api_tokens::revoked_at.is_null()),
    )
    .set(api_tokens::revoked_at.eq(diesel::dsl::now))
    .execute(conn)?;
    diesel::delete(sessions::table.filter(sessions::user_id.eq(user_id))).execute(conn)
}

pub fn purge_expired_sessions(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::expires_at.le(now))).execute(conn)
}
