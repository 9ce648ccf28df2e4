//! Queries of invitations and the organization switches they depend on.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::users;
use crate::db::DbConn;

#[derive(Debug, Clone, Queryable)]
pub struct Invitee {
    pub id: i64,
    pub org_id: i64,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub status: String,
}

pub fn invitee(conn: &mut DbConn, user_id: i64) -> QueryResult<Option<Invitee>> {
    users::table
        .find(user_id)
        .select((
            users::id,
            users::org_id,
            users::email,
            users::first_name,
            users::last_name,
            users::status,
        ))
        .first(conn)
        .optional()
}

/// Turns an invitee into an active user with a password (none: they sign in through a
/// provider).
pub fn activate_invitee(
    conn: &mut DbConn,
    user_id: i64,
    password_hash: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        users::table
            .find(user_id)
            .filter(users::status.eq(crate::users::status::INVITED)),
    )
    .set((
        users::status.eq(crate::users::status::ACTIVE),
        users::password_hash.eq(password_hash),
        users::password_changed_at.eq(password_hash.map(|_| now)),
        users::last_login_at.eq(now),
        users::last_active_at.eq(now),
        users::updated_at.eq(now),
        users::version.eq(users::version + 1),
    ))
    .execute(conn)
}

/// Ends every unused invite link of a user (a new one replaces them).
pub fn retire_invite_tokens(
    conn: &mut DbConn,
    user_id: i64,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    use crate::db::schema::tokens;
    diesel::update(
        tokens::table
            .filter(tokens::user_id.eq(user_id))
            .filter(tokens::kind.eq(crate::auth::tokens::kind::INVITE))
            .filter(tokens::used_at.is_null()),
    )
    .set(tokens::expires_at.eq(now))
    .execute(conn)
}

/// Invitees whose invite links have all expired (an invitee without any link, such as one
/// from an import or the demo seed, is left alone).
pub fn expired_invitees(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<Vec<Invitee>> {
    use crate::db::schema::tokens;
    let invite = crate::auth::tokens::kind::INVITE;
    let live = tokens::table
        .filter(tokens::kind.eq(invite))
        .filter(tokens::used_at.is_null())
        .filter(tokens::expires_at.gt(now))
        .select(tokens::user_id);
    let linked = tokens::table
        .filter(tokens::kind.eq(invite))
        .select(tokens::user_id);
    users::table
        .filter(users::status.eq(crate::users::status::INVITED))
        .filter(users::id.nullable().eq_any(linked))
        .filter(diesel::dsl::not(users::id.nullable().eq_any(live)))
        // By id: each removal locks its invitee (their licenses' list facts), in the order
        // every change to several people takes them.
        .order(users::id)
        .select((
            users::id,
            users::org_id,
            users::email,
            users::first_name,
            users::last_name,
            users::status,
        ))
        .load(conn)
}

pub fn delete_user(conn: &mut DbConn, user_id: i64) -> QueryResult<usize> {
    diesel::delete(users::table.find(user_id)).execute(conn)
}

/// Confirm user: a pending person becomes active without a password yet (a link to choose one
/// is on its way).
pub fn confirm_invitee(conn: &mut DbConn, user_id: i64, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(
        users::table
            .find(user_id)
            .filter(users::status.eq(crate::users::status::INVITED)),
    )
    .set((
        users::status.eq(crate::users::status::ACTIVE),
        users::updated_at.eq(now),
        users::version.eq(users::version + 1),
    ))
    .execute(conn)
}
