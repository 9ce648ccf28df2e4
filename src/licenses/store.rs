//! Products, seats and license assignments.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{license_assignments, products};
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

/// The organization's products, in creation order.
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
    take_seats(conn, product_id, 1)
}

/// Takes `count` seats of a product in one guarded update (0 rows: not enough left), so
/// concurrent assignments never oversubscribe.
pub fn take_seats(conn: &mut DbConn, product_id: i64, count: i32) -> QueryResult<bool> {
    if count == 0 {
        return Ok(true);
    }
    let updated = diesel::update(
        products::table
            .find(product_id)
            .filter((products::seats_used + count).le(products::seats)),
    )
    .set(products::seats_used.eq(products::seats_used + count))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Records the license of a seat already taken.
pub fn assign(
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

/// Removes one license of the user and gives its seat back (nothing when they had none).
pub fn release(conn: &mut DbConn, user_id: i64, product_id: i64) -> QueryResult<bool> {
    let removed = diesel::delete(
        license_assignments::table
            .filter(license_assignments::user_id.eq(user_id))
            .filter(license_assignments::product_id.eq(product_id)),
    )
    .execute(conn)?;
    if removed == 1 {
        diesel::update(
            products::table
                .find(product_id)
                .filter(products::seats_used.gt(0)),
        )
        .set(products::seats_used.eq(products::seats_used - 1))
        .execute(conn)?;
    }
    Ok(removed == 1)
}

/// Removes every license of the user, giving each seat back; returns the products they held.
pub fn release_all(conn: &mut DbConn, user_id: i64) -> QueryResult<Vec<i64>> {
    let held = product_ids_of(conn, user_id)?;
    for product_id in &held {
        release(conn, user_id, *product_id)?;
    }
    Ok(held)
}

/// The products the user holds a license of.
pub fn product_ids_of(conn: &mut DbConn, user_id: i64) -> QueryResult<Vec<i64>> {
    license_assignments::table
        .filter(license_assignments::user_id.eq(user_id))
        .select(license_assignments::product_id)
        .load(conn)
}

/// Sets a product's seat count unless more seats are in use than that (guarded, so a seat
/// taken meanwhile is never orphaned). False when refused.
pub fn set_seats(conn: &mut DbConn, org_id: i64, product_id: i64, seats: i32) -> QueryResult<bool> {
    let updated = diesel::update(
        products::table
            .find(product_id)
            .filter(products::org_id.eq(org_id))
            .filter(products::seats_used.le(seats)),
    )
    .set(products::seats.eq(seats))
    .execute(conn)?;
    Ok(updated == 1)
}
