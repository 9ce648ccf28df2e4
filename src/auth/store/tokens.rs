//! One-time tokens (invitations, resets, setup links): stored hashed, used once.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;

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
