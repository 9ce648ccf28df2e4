//! Queries of invitations and seats.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::auth::permissions::Permissions;
use crate::db::schema::{license_assignments, organizations, products, users};
use crate::db::DbConn;

#[derive(Debug, Clone, Queryable)]
pub struct Product {
    pub id: i64,
    pub name: String,
    pub seats: i32,
    pub seats_used: i32,
}

impl Product {
    pub fn available(&self) -> i32 {
        (self.seats - self.seats_used).max(0)
    }
}

pub fn products(conn: &mut DbConn, org_id: i64) -> QueryResult<Vec<Product>> {
    products::table
        .filter(products::org_id.eq(org_id))
        .order(products::id)
        .select((
            products::id,
            products::name,
            products::seats,
            products::seats_used,
        ))
        .load(conn)
}

/// Takes one seat if one is free: one guarded update, race-free on both backends.
pub fn take_seat(conn: &mut DbConn, product_id: i64) -> QueryResult<bool> {
    let updated = diesel::update(
        products::table
            .find(product_id)
            .filter(products::seats_used.lt(products::seats)),
    )
    .set(products::seats_used.eq(products::seats_used + 1))
    .execute(conn)?;
    Ok(updated == 1)
}

pub fn release_seats_of(conn: &mut DbConn, user_id: i64) -> QueryResult<usize> {
    let held: Vec<i64> = license_assignments::table
        .filter(license_assignments::user_id.eq(user_id))
        .select(license_assignments::product_id)
        .load(conn)?;
    for product_id in &held {
        diesel::update(
            products::table
                .find(product_id)
                .filter(products::seats_used.gt(0)),
        )
        .set(products::seats_used.eq(products::seats_used - 1))
        .execute(conn)?;
    }
    diesel::delete(license_assignments::table.filter(license_assignments::user_id.eq(user_id)))
        .execute(conn)
}

pub fn assign_license(
    conn: &mut DbConn,
    user_id: i64,
    product_id: i64,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(license_assignments::table)
        .values((
            license_assignments::user_id.eq(user_id),
            license_assignments::product_id.eq(product_id),
            license_assignments::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Roles someone with `held` permissions may hand out: those that grant nothing beyond what
/// they hold themselves. The Owner role is never handed out (an organization has exactly one).
pub fn grantable_roles(
    conn: &mut DbConn,
    org_id: i64,
    held: Permissions,
) -> QueryResult<Vec<(i64, String)>> {
    let roles = crate::orgs::catalog::load_roles(conn, org_id)?;
    Ok(crate::orgs::catalog::grantable(&roles, held))
}

pub fn allow_auto_signup(conn: &mut DbConn, org_id: i64) -> QueryResult<bool> {
    organizations::table
        .find(org_id)
        .select(organizations::allow_auto_signup)
        .load(conn)
        .map(crate::db::unique)?
        .ok_or(diesel::result::Error::NotFound)
}

pub fn set_allow_auto_signup(conn: &mut DbConn, org_id: i64, allow: bool) -> QueryResult<usize> {
    diesel::update(organizations::table.find(org_id))
        .set(organizations::allow_auto_signup.eq(allow))
        .execute(conn)
}

pub fn invite_days(conn: &mut DbConn, org_id: i64) -> QueryResult<i32> {
    organizations::table
        .find(org_id)
        .select(organizations::invite_days)
        .first(conn)
}

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

/// Turns an invitee into an active user with a password.
pub fn activate_invitee(
    conn: &mut DbConn,
    user_id: i64,
    password_hash: &str,
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
        users::password_changed_at.eq(now),
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
