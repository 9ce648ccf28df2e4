//! Queries of the second factors.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::auth::tokens::kind;
use crate::db::schema::{recovery_codes, tokens, users};
use crate::db::DbConn;

/// The confirmed TOTP secret and the last step used, if the user has an authenticator app.
pub fn totp_of(conn: &mut DbConn, user_id: i64) -> QueryResult<Option<(String, Option<i64>)>> {
    let row: Option<(Option<String>, Option<i64>)> = users::table
        .find(user_id)
        .select((users::totp_secret, users::totp_last_step))
        .first(conn)
        .optional()?;
    Ok(row.and_then(|(secret, step)| secret.map(|s| (s, step))))
}

/// Uses a TOTP step once: false when that step (or a later one) was used already, so a code
/// is accepted at most once however many requests race.
pub fn use_totp_step(conn: &mut DbConn, user_id: i64, step: i64) -> QueryResult<bool> {
    let updated = diesel::update(
        users::table
            .find(user_id)
            .filter(users::totp_secret.is_not_null())
            .filter(
                users::totp_last_step
                    .is_null()
                    .or(users::totp_last_step.lt(step)),
            ),
    )
    .set(users::totp_last_step.eq(step))
    .execute(conn)?;
    Ok(updated == 1)
}

pub fn enable_totp(
    conn: &mut DbConn,
    user_id: i64,
    secret: &str,
    step: i64,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(users::table.find(user_id))
        .set((
            users::totp_secret.eq(secret),
            users::totp_last_step.eq(step),
            users::updated_at.eq(now),
        ))
        .execute(conn)
}

/// Removes the authenticator app and the recovery codes; false when there was no app.
pub fn remove_totp(conn: &mut DbConn, user_id: i64, now: NaiveDateTime) -> QueryResult<bool> {
    let updated = diesel::update(
        users::table
            .find(user_id)
            .filter(users::totp_secret.is_not_null()),
    )
    .set((
        users::totp_secret.eq(None::<String>),
        users::totp_last_step.eq(None::<i64>),
        users::updated_at.eq(now),
    ))
    .execute(conn)?;
    diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user_id)))
        .execute(conn)?;
    Ok(updated == 1)
}

/// Replaces the user's recovery codes with new ones (given as hashes).
pub fn replace_recovery_codes(
    conn: &mut DbConn,
    user_id: i64,
    hashes: &[String],
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user_id)))
        .execute(conn)?;
    let rows: Vec<_> = hashes
        .iter()
        .map(|hash| {
            (
                recovery_codes::user_id.eq(user_id),
                recovery_codes::code_hash.eq(hash),
                recovery_codes::created_at.eq(now),
            )
        })
        .collect();
    crate::insert_batch!(conn, recovery_codes::table, &rows)?;
    Ok(())
}

/// Uses a recovery code once; false when it is not one of the user's unused codes.
pub fn use_recovery_code(
    conn: &mut DbConn,
    user_id: i64,
    hash: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let updated = diesel::update(
        recovery_codes::table
            .filter(recovery_codes::user_id.eq(user_id))
            .filter(recovery_codes::code_hash.eq(hash))
            .filter(recovery_codes::used_at.is_null()),
    )
    .set(recovery_codes::used_at.eq(now))
    .execute(conn)?;
    Ok(updated == 1)
}

pub fn recovery_codes_left(conn: &mut DbConn, user_id: i64) -> QueryResult<i64> {
    recovery_codes::table
        .filter(recovery_codes::user_id.eq(user_id))
        .filter(recovery_codes::used_at.is_null())
        .count()
        .get_result(conn)
}

/// An emailed sign-in code waiting to be typed.
#[derive(Debug, Queryable)]
pub struct EmailCode {
    pub id: i64,
    pub token_hash: String,
    /// The salt of the hash.
    pub payload: String,
    pub attempts: i32,
}

/// Retires the user's earlier codes (only the newest one works) and stores a new one.
pub fn replace_email_code(
    conn: &mut DbConn,
    org_id: i64,
    user_id: i64,
    hash: &str,
    salt: &str,
    expires_at: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(
        tokens::table
            .filter(tokens::user_id.eq(user_id))
            .filter(tokens::kind.eq(kind::EMAIL_CODE))
            .filter(tokens::used_at.is_null()),
    )
    .set(tokens::used_at.eq(now))
    .execute(conn)?;
    diesel::insert_into(tokens::table)
        .values((
            tokens::kind.eq(kind::EMAIL_CODE),
            tokens::org_id.eq(org_id),
            tokens::user_id.eq(user_id),
            tokens::token_hash.eq(hash),
            tokens::payload.eq(salt),
            tokens::expires_at.eq(expires_at),
            tokens::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// The user's current emailed code, if it is unused and unexpired.
pub fn current_email_code(
    conn: &mut DbConn,
    user_id: i64,
    now: NaiveDateTime,
) -> QueryResult<Option<EmailCode>> {
    tokens::table
        .filter(tokens::user_id.eq(user_id))
        .filter(tokens::kind.eq(kind::EMAIL_CODE))
        .filter(tokens::used_at.is_null())
        .filter(tokens::expires_at.gt(now))
        .order(tokens::id.desc())
        .select((
            tokens::id,
            tokens::token_hash,
            tokens::payload,
            tokens::attempts,
        ))
        .first(conn)
        .optional()
}

/// Counts a wrong try at a code (in one statement, so concurrent tries all count) and ends
/// the code at its last try.
pub fn count_email_code_try(
    conn: &mut DbConn,
    token_id: i64,
    max_tries: i32,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(tokens::table.find(token_id))
        .set(tokens::attempts.eq(tokens::attempts + 1))
        .execute(conn)?;
    diesel::update(
        tokens::table
            .find(token_id)
            .filter(tokens::attempts.ge(max_tries)),
    )
    .set(tokens::used_at.eq(now))
    .execute(conn)?;
    Ok(())
}

/// Marks the code used; false when someone used it first.
pub fn use_email_code(conn: &mut DbConn, token_id: i64, now: NaiveDateTime) -> QueryResult<bool> {
    crate::auth::store::consume_token(conn, token_id, now)
}
