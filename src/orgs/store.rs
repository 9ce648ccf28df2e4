//! Organization queries.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::auth::permissions::{builtin_roles, product_name, ADMIN, OWNER};
use crate::auth::tokens::kind;
use crate::db::schema::{organizations, products, role_permissions, roles, signup_domains, tokens};
use crate::db::DbConn;

pub fn count(conn: &mut DbConn) -> QueryResult<i64> {
    organizations::table.count().get_result(conn)
}

pub fn name_of(conn: &mut DbConn, org_id: i64) -> QueryResult<String> {
    organizations::table
        .find(org_id)
        .select(organizations::name)
        .first(conn)
}

pub fn slug_of(conn: &mut DbConn, org_id: i64) -> QueryResult<String> {
    organizations::table
        .find(org_id)
        .select(organizations::slug)
        .first(conn)
}

pub fn id_by_slug_or_name(conn: &mut DbConn, key: &str) -> QueryResult<Option<i64>> {
    organizations::table
        .filter(organizations::slug.eq(key).or(organizations::name.eq(key)))
        .select(organizations::id)
        .first(conn)
        .optional()
}

fn slug_taken(conn: &mut DbConn, slug: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        organizations::table.filter(organizations::slug.eq(slug)),
    ))
    .get_result(conn)
}

/// Creates an organization with its built-in roles and products; returns its id.
pub fn create(conn: &mut DbConn, name: &str, seats: i32, now: NaiveDateTime) -> QueryResult<i64> {
    let base = super::slugify(name);
    let mut slug = base.clone();
    let mut n = 2;
    while slug_taken(conn, &slug)? {
        slug = format!("{base}-{n}");
        n += 1;
    }
    diesel::insert_into(organizations::table)
        .values((
            organizations::name.eq(name),
            organizations::slug.eq(&slug),
            organizations::max_failed_logins.eq(crate::settings::store::DEFAULT_MAX_FAILED_LOGINS),
            organizations::created_at.eq(now),
        ))
        .execute(conn)?;
    let org_id = organizations::table
        .filter(organizations::slug.eq(&slug))
        .select(organizations::id)
        .first(conn)?;
    let rows: Vec<_> = super::DEFAULT_PRODUCTS
        .iter()
        .map(|product| {
            (
                products::org_id.eq(org_id),
                products::name.eq(*product),
                products::seats.eq(seats),
            )
        })
        .collect();
    crate::insert_batch!(conn, products::table, &rows)?;
    let slots = crate::licenses::product_permissions::add_defaults(conn, org_id)?;
    for (role, permissions, description) in builtin_roles() {
        diesel::insert_into(roles::table)
            .values((
                roles::org_id.eq(org_id),
                roles::name.eq(role),
                roles::builtin.eq(true),
                roles::description.eq(description),
            ))
            .execute(conn)?;
        let role_id: i64 = roles::table
            .filter(roles::org_id.eq(org_id))
            .filter(roles::name.eq(role))
            .select(roles::id)
            .first(conn)?;
        // The Owner and Admin hold every permission, the products' own included.
        let everything = role == OWNER || role == ADMIN;
        let names: Vec<String> = permissions
            .iter()
            .map(|p| p.as_str().to_owned())
            .chain(
                slots
                    .iter()
                    .filter(|_| everything)
                    .map(|s| product_name(*s)),
            )
            .collect();
        let rows: Vec<_> = names
            .iter()
            .map(|p| {
                (
                    role_permissions::role_id.eq(role_id),
                    role_permissions::permission.eq(p),
                )
            })
            .collect();
        if !rows.is_empty() {
            crate::insert_batch!(conn, role_permissions::table, &rows)?;
        }
    }
    // Its first workspace, named after it.
    crate::workspaces::store::insert(conn, org_id, name, now)?;
    Ok(org_id)
}

/// The organization's sign-up domains, in alphabetical order.
pub fn signup_domains_of(conn: &mut DbConn, org_id: i64) -> QueryResult<Vec<String>> {
    signup_domains::table
        .filter(signup_domains::org_id.eq(org_id))
        .order(signup_domains::domain)
        .select(signup_domains::domain)
        .load(conn)
}

/// Fails with a unique violation when any organization holds the domain already.
pub fn insert_signup_domain(
    conn: &mut DbConn,
    org_id: i64,
    domain: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(signup_domains::table)
        .values((
            signup_domains::domain.eq(domain),
            signup_domains::org_id.eq(org_id),
            signup_domains::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Removes the organization's sign-up domains that are not in `keep`.
pub fn remove_signup_domains_except(
    conn: &mut DbConn,
    org_id: i64,
    keep: &[String],
) -> QueryResult<usize> {
    diesel::delete(
        signup_domains::table
            .filter(signup_domains::org_id.eq(org_id))
            .filter(signup_domains::domain.ne_all(keep)),
    )
    .execute(conn)
}

/// The organization (id, name) that takes sign-ups from this domain right now: it holds the
/// domain and allows automatic sign-up.
pub fn org_taking_signups_from(
    conn: &mut DbConn,
    domain: &str,
) -> QueryResult<Option<(i64, String)>> {
    signup_domains::table
        .inner_join(organizations::table)
        .filter(signup_domains::domain.eq(domain))
        .filter(organizations::allow_auto_signup.eq(true))
        .select((organizations::id, organizations::name))
        .load(conn)
        .map(crate::db::unique)
}

/// A usable setup link: its token row, with what waits between the two steps of setup.
#[derive(Debug, Queryable)]
pub struct SetupLinkRow {
    pub id: i64,
    pub org_id: Option<i64>,
    pub payload: String,
    pub attempts: i32,
}

/// Whether anyone holds the organization's Owner role (whatever their status).
pub fn has_owner(conn: &mut DbConn, org_id: i64) -> QueryResult<bool> {
    use crate::db::schema::{user_roles, users};
    diesel::select(diesel::dsl::exists(
        users::table
            .inner_join(user_roles::table.inner_join(roles::table))
            .filter(users::org_id.eq(org_id))
            .filter(roles::name.eq(OWNER)),
    ))
    .get_result(conn)
}

/// Ends the organization's unused setup links (its Owner was made another way).
pub fn retire_setup_links(
    conn: &mut DbConn,
    org_id: i64,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        tokens::table
            .filter(tokens::kind.eq(kind::SETUP))
            .filter(tokens::org_id.eq(org_id))
            .filter(tokens::used_at.is_null()),
    )
    .set(tokens::expires_at.eq(now))
    .execute(conn)
}

/// The unused, unexpired setup link with this hash.
pub fn setup_link(
    conn: &mut DbConn,
    token_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<SetupLinkRow>> {
    tokens::table
        .filter(tokens::token_hash.eq(token_hash))
        .filter(tokens::kind.eq(kind::SETUP))
        .filter(tokens::used_at.is_null())
        .filter(tokens::expires_at.gt(now))
        .select((
            tokens::id,
            tokens::org_id,
            tokens::payload,
            tokens::attempts,
        ))
        .load(conn)
        .map(crate::db::unique)
}

/// Replaces what the link holds, only if it still holds `old` (false otherwise: another
/// request changed it first); `reset_tries` starts the count of tries again (a new code).
pub fn replace_setup_state(
    conn: &mut DbConn,
    token_id: i64,
    old: &str,
    new: &str,
    reset_tries: bool,
) -> QueryResult<bool> {
    let target = tokens::table
        .find(token_id)
        .filter(tokens::payload.eq(old))
        .filter(tokens::used_at.is_null());
    let updated = if reset_tries {
        diesel::update(target)
            .set((tokens::payload.eq(new), tokens::attempts.eq(0)))
            .execute(conn)?
    } else {
        diesel::update(target)
            .set(tokens::payload.eq(new))
            .execute(conn)?
    };
    Ok(updated == 1)
}

/// Counts a try at the link's code, unless it has had `max_tries` already (`None` then); the
/// tries so far, this one included. One guarded statement, so concurrent tries all count and
/// none gets past the limit.
pub fn count_setup_try(
    conn: &mut DbConn,
    token_id: i64,
    max_tries: i32,
) -> QueryResult<Option<i32>> {
    let updated = diesel::update(
        tokens::table
            .find(token_id)
            .filter(tokens::attempts.lt(max_tries))
            .filter(tokens::used_at.is_null()),
    )
    .set(tokens::attempts.eq(tokens::attempts + 1))
    .execute(conn)?;
    if updated == 0 {
        return Ok(None);
    }
    tokens::table
        .find(token_id)
        .select(tokens::attempts)
        .load(conn)
        .map(crate::db::unique)
}

/// Whether people may sign up without an invitation (**Allow users to signup automatically**).
pub fn allow_auto_signup(conn: &mut DbConn, org_id: i64) -> QueryResult<bool> {
    organizations::table
        .find(org_id)
        .select(organizations::allow_auto_signup)
        .load(conn)
        .map(crate::db::unique)?
        .ok_or(diesel::result::Error::NotFound)
}

/// Sets the switch; the catalogue (which holds it for User Management) moves on.
pub fn set_allow_auto_signup(conn: &mut DbConn, org_id: i64, allow: bool) -> QueryResult<usize> {
    diesel::update(organizations::table.find(org_id))
        .set((
            organizations::allow_auto_signup.eq(allow),
            organizations::catalog_version.eq(organizations::catalog_version + 1),
        ))
        .execute(conn)
}

pub fn invite_days(conn: &mut DbConn, org_id: i64) -> QueryResult<i32> {
    organizations::table
        .find(org_id)
        .select(organizations::invite_days)
        .first(conn)
}
