//! The `api_tokens` table.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{api_tokens, users};
use crate::db::DbConn;

/// One token as lists and checks need it (never the secret: only its hash is kept).
#[derive(Debug, Clone, Queryable)]
pub struct TokenRow {
    pub id: i64,
    pub org_id: i64,
    pub user_id: i64,
    pub name: String,
    pub personal: bool,
    pub scopes: String,
    pub prefix: String,
    pub created_at: NaiveDateTime,
    pub expires_at: Option<NaiveDateTime>,
    pub last_used_at: Option<NaiveDateTime>,
    pub last_used_ip: Option<String>,
    pub revoked_at: Option<NaiveDateTime>,
    /// The maker's email.
    pub maker: String,
}

type Columns = (
    api_tokens::id,
    api_tokens::org_id,
    api_tokens::user_id,
    api_tokens::name,
    api_tokens::personal,
    api_tokens::scopes,
    api_tokens::prefix,
    api_tokens::created_at,
    api_tokens::expires_at,
    api_tokens::last_used_at,
    api_tokens::last_used_ip,
    api_tokens::revoked_at,
    users::email,
);

const COLUMNS: Columns = (
    api_tokens::id,
    api_tokens::org_id,
    api_tokens::user_id,
    api_tokens::name,
    api_tokens::personal,
    api_tokens::scopes,
    api_tokens::prefix,
    api_tokens::created_at,
    api_tokens::expires_at,
    api_tokens::last_used_at,
    api_tokens::last_used_ip,
    api_tokens::revoked_at,
    users::email,
);

/// A token to write: `hash` of the secret, its first characters as `prefix`.
pub struct NewToken<'a> {
    pub org_id: i64,
    pub user_id: i64,
    pub name: &'a str,
    pub personal: bool,
    pub scopes: &'a str,
    pub hash: &'a str,
    pub prefix: &'a str,
    pub expires_at: Option<NaiveDateTime>,
}

pub fn insert(conn: &mut DbConn, token: &NewToken<'_>, now: NaiveDateTime) -> QueryResult<i64> {
    let values = (
        api_tokens::org_id.eq(token.org_id),
        api_tokens::user_id.eq(token.user_id),
        api_tokens::name.eq(token.name),
        api_tokens::personal.eq(token.personal),
        api_tokens::scopes.eq(token.scopes),
        api_tokens::token_hash.eq(token.hash),
        api_tokens::prefix.eq(token.prefix),
        api_tokens::created_at.eq(now),
        api_tokens::expires_at.eq(token.expires_at),
    );
    diesel::insert_into(api_tokens::table)
        .values(values)
        .execute(conn)?;
    api_tokens::table
        .filter(api_tokens::token_hash.eq(token.hash))
        .select(api_tokens::id)
        .first(conn)
}

/// Every token of the organization, personal ones included (`personal_of: None`, for its
/// administrators), or one person's personal tokens; newest first, revoked ones included (the
/// list says so).
pub fn list(
    conn: &mut DbConn,
    org_id: i64,
    personal_of: Option<i64>,
) -> QueryResult<Vec<TokenRow>> {
    let query = api_tokens::table
        .inner_join(users::table)
        .filter(api_tokens::org_id.eq(org_id))
        .order(api_tokens::id.desc())
        .select(COLUMNS)
        .into_boxed();
    let query = match personal_of {
        Some(user_id) => query
            .filter(api_tokens::personal.eq(true))
            .filter(api_tokens::user_id.eq(user_id)),
        None => query,
    };
    query.load(conn)
}

/// One of the organization's tokens.
pub fn find(conn: &mut DbConn, org_id: i64, id: i64) -> QueryResult<Option<TokenRow>> {
    api_tokens::table
        .inner_join(users::table)
        .filter(api_tokens::org_id.eq(org_id))
        .filter(api_tokens::id.eq(id))
        .select(COLUMNS)
        .first(conn)
        .optional()
}

/// The token whose secret hashes to `hash`, if any.
pub fn by_hash(conn: &mut DbConn, hash: &str) -> QueryResult<Option<TokenRow>> {
    api_tokens::table
        .inner_join(users::table)
        .filter(api_tokens::token_hash.eq(hash))
        .select(COLUMNS)
        .first(conn)
        .optional()
}

/// Marks the token revoked, once: false when it already was.
pub fn revoke(conn: &mut DbConn, id: i64, now: NaiveDateTime) -> QueryResult<bool> {
    let changed = diesel::update(
        api_tokens::table
            .find(id)
            .filter(api_tokens::revoked_at.is_null()),
    )
    .set(api_tokens::revoked_at.eq(now))
    .execute(conn)?;
    Ok(changed == 1)
}

/// Remembers when and from where the token was last used.
pub fn touch(conn: &mut DbConn, id: i64, ip: &str, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(api_tokens::table.find(id))
        .set((
            api_tokens::last_used_at.eq(now),
            api_tokens::last_used_ip.eq(ip),
        ))
        .execute(conn)?;
    Ok(())
}

/// The organization's first active, unblocked Owner: (id, email).
pub fn active_owner(conn: &mut DbConn, org_id: i64) -> QueryResult<Option<(i64, String)>> {
    use crate::db::schema::{roles, user_roles};
    users::table
        .inner_join(user_roles::table.inner_join(roles::table))
        .filter(users::org_id.eq(org_id))
        .filter(users::status.eq(crate::users::status::ACTIVE))
        .filter(users::locked_at.is_null())
        .filter(roles::name.eq(crate::auth::permissions::OWNER))
        .order(users::id)
        .select((users::id, users::email))
        .first(conn)
        .optional()
}

/// The organization's active, unblocked Owners: (id, email, first name).
pub fn active_owners(conn: &mut DbConn, org_id: i64) -> QueryResult<Vec<(i64, String, String)>> {
    use crate::db::schema::{roles, user_roles};
    users::table
        .inner_join(user_roles::table.inner_join(roles::table))
        .filter(users::org_id.eq(org_id))
        .filter(users::status.eq(crate::users::status::ACTIVE))
        .filter(users::locked_at.is_null())
        .filter(roles::name.eq(crate::auth::permissions::OWNER))
        .order(users::id)
        .select((users::id, users::email, users::first_name))
        .load(conn)
}
