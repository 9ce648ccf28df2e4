//! Queries behind sign-in, sessions and the signed-in user.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{
    role_permissions, roles, sessions, user_permission_overrides, user_roles, users,
};
use crate::db::DbConn;

// ---- sessions ----

/// The session's state, or `None` when it is unknown, expired or idle too long (then deleted).
/// Touches `last_seen_at` at most once a minute.
pub fn load_session(
    conn: &mut DbConn,
    id_hash: &str,
    now: NaiveDateTime,
    idle: chrono::Duration,
) -> QueryResult<Option<String>> {
    let row: Option<(String, NaiveDateTime, NaiveDateTime)> = sessions::table
        .find(id_hash)
        .select((
            sessions::state,
            sessions::last_seen_at,
            sessions::expires_at,
        ))
        .first(conn)
        .optional()?;
    let Some((state, last_seen, expires)) = row else {
        return Ok(None);
    };
    if expires <= now || last_seen + idle <= now {
        delete_session(conn, id_hash)?;
        return Ok(None);
    }
    if now - last_seen >= chrono::Duration::minutes(1) {
        diesel::update(sessions::table.find(id_hash))
            .set(sessions::last_seen_at.eq(now))
            .execute(conn)?;
    }
    Ok(Some(state))
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

/// Ends every session of a user, on every instance at once.
pub fn delete_user_sessions(conn: &mut DbConn, user_id: i64) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::user_id.eq(user_id))).execute(conn)
}

pub fn purge_expired_sessions(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::expires_at.le(now))).execute(conn)
}

// ---- sign-in ----

#[derive(Debug, Queryable)]
pub struct LoginCandidate {
    pub id: i64,
    pub org_id: i64,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub status: String,
    pub locked_at: Option<NaiveDateTime>,
    pub password_hash: Option<String>,
}

pub fn find_login_candidate(conn: &mut DbConn, email: &str) -> QueryResult<Option<LoginCandidate>> {
    users::table
        .filter(users::email.eq(email))
        .select((
            users::id,
            users::org_id,
            users::email,
            users::first_name,
            users::last_name,
            users::status,
            users::locked_at,
            users::password_hash,
        ))
        .first(conn)
        .optional()
}

pub fn record_sign_in(conn: &mut DbConn, user_id: i64, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(users::table.find(user_id))
        .set((
            users::failed_logins.eq(0),
            users::last_login_at.eq(now),
            users::last_active_at.eq(now),
        ))
        .execute(conn)
}

/// Counts a failed sign-in in one statement, so concurrent failures lose no increment.
pub fn record_failed_sign_in(
    conn: &mut DbConn,
    user_id: i64,
    now: NaiveDateTime,
    ip: &str,
) -> QueryResult<usize> {
    diesel::update(users::table.find(user_id))
        .set((
            users::failed_logins.eq(users::failed_logins + 1),
            users::last_failed_login_at.eq(now),
            users::last_failed_login_ip.eq(ip),
        ))
        .execute(conn)
}

// ---- the signed-in user ----

#[derive(Debug, Queryable)]
pub struct SessionUserRow {
    pub id: i64,
    pub org_id: i64,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub status: String,
    pub locked_at: Option<NaiveDateTime>,
    pub last_active_at: Option<NaiveDateTime>,
}

pub fn session_user(conn: &mut DbConn, user_id: i64) -> QueryResult<Option<SessionUserRow>> {
    users::table
        .find(user_id)
        .select((
            users::id,
            users::org_id,
            users::email,
            users::first_name,
            users::last_name,
            users::status,
            users::locked_at,
            users::last_active_at,
        ))
        .first(conn)
        .optional()
}

/// The user's roles, each with its permissions (one row per role and permission; a role
/// without permissions comes once with `None`).
pub fn role_grants(conn: &mut DbConn, user_id: i64) -> QueryResult<Vec<(String, Option<String>)>> {
    user_roles::table
        .inner_join(roles::table)
        .left_join(role_permissions::table.on(role_permissions::role_id.eq(roles::id)))
        .filter(user_roles::user_id.eq(user_id))
        .select((roles::name, role_permissions::permission.nullable()))
        .load(conn)
}

pub fn permission_overrides(conn: &mut DbConn, user_id: i64) -> QueryResult<Vec<(String, bool)>> {
    user_permission_overrides::table
        .filter(user_permission_overrides::user_id.eq(user_id))
        .select((
            user_permission_overrides::permission,
            user_permission_overrides::granted,
        ))
        .load(conn)
}

/// Presence: moves Last active forward, at most once a minute per user.
pub fn touch_last_active(
    conn: &mut DbConn,
    user_id: i64,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(users::table.find(user_id))
        .set(users::last_active_at.eq(now))
        .execute(conn)
}

// ---- one-time tokens ----

#[derive(Debug, Queryable)]
pub struct TokenRow {
    pub id: i64,
    pub org_id: Option<i64>,
    pub user_id: Option<i64>,
    pub payload: String,
}

pub fn insert_token(
    conn: &mut DbConn,
    kind: &str,
    org_id: Option<i64>,
    user_id: Option<i64>,
    token_hash: &str,
    expires_at: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<()> {
    use crate::db::schema::tokens;
    diesel::insert_into(tokens::table)
        .values((
            tokens::kind.eq(kind),
            tokens::org_id.eq(org_id),
            tokens::user_id.eq(user_id),
            tokens::token_hash.eq(token_hash),
            tokens::expires_at.eq(expires_at),
            tokens::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// A token that stands for something not yet in the database (its JSON `payload`).
pub fn insert_token_with_payload(
    conn: &mut DbConn,
    kind: &str,
    org_id: i64,
    token_hash: &str,
    payload: &str,
    expires_at: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<()> {
    use crate::db::schema::tokens;
    diesel::insert_into(tokens::table)
        .values((
            tokens::kind.eq(kind),
            tokens::org_id.eq(org_id),
            tokens::token_hash.eq(token_hash),
            tokens::payload.eq(payload),
            tokens::expires_at.eq(expires_at),
            tokens::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// An unused, unexpired token of that kind.
pub fn find_usable_token(
    conn: &mut DbConn,
    kind: &str,
    token_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<TokenRow>> {
    use crate::db::schema::tokens;
    tokens::table
        .filter(tokens::token_hash.eq(token_hash))
        .filter(tokens::kind.eq(kind))
        .filter(tokens::used_at.is_null())
        .filter(tokens::expires_at.gt(now))
        .select((tokens::id, tokens::org_id, tokens::user_id, tokens::payload))
        .first(conn)
        .optional()
}

/// Marks a token used; false when someone used it first (guarded, so it works once).
pub fn consume_token(conn: &mut DbConn, token_id: i64, now: NaiveDateTime) -> QueryResult<bool> {
    use crate::db::schema::tokens;
    let updated = diesel::update(
        tokens::table
            .find(token_id)
            .filter(tokens::used_at.is_null()),
    )
    .set(tokens::used_at.eq(now))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Retires unused tokens of a kind that belong to no organization yet (first-run setup).
pub fn retire_unbound_tokens(
    conn: &mut DbConn,
    kind: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    use crate::db::schema::tokens;
    diesel::update(
        tokens::table
            .filter(tokens::kind.eq(kind))
            .filter(tokens::org_id.is_null())
            .filter(tokens::used_at.is_null()),
    )
    .set(tokens::expires_at.eq(now))
    .execute(conn)
}

// ---- lockout ----

pub fn max_failed_logins(conn: &mut DbConn, org_id: i64) -> QueryResult<i32> {
    use crate::db::schema::organizations;
    organizations::table
        .find(org_id)
        .select(organizations::max_failed_logins)
        .first(conn)
}

/// Blocks the user when the failure count reached `limit` and nobody blocked them yet; true
/// only for the one request that did it (so one email goes out, however many race).
pub fn block_if_over(
    conn: &mut DbConn,
    user_id: i64,
    limit: i32,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let updated = diesel::update(
        users::table
            .find(user_id)
            .filter(users::locked_at.is_null())
            .filter(users::failed_logins.ge(limit)),
    )
    .set((
        users::locked_at.eq(now),
        users::lock_reason.eq("failed_logins"),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Clears a block and the failure counter; false when the user was not blocked.
pub fn unblock(conn: &mut DbConn, user_id: i64) -> QueryResult<bool> {
    let updated = diesel::update(
        users::table
            .find(user_id)
            .filter(users::locked_at.is_not_null()),
    )
    .set((
        users::locked_at.eq(None::<NaiveDateTime>),
        users::lock_reason.eq(None::<String>),
        users::failed_logins.eq(0),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}
