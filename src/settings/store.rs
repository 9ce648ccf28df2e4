//! Settings queries.

use diesel::prelude::*;

use crate::db::schema::{organizations, products};
use crate::db::DbConn;

#[derive(Debug, Clone, Queryable)]
pub struct OrgSettings {
    pub signup_domains: String,
    pub invite_days: i32,
}

pub fn org_settings(conn: &mut DbConn, org_id: i64) -> QueryResult<OrgSettings> {
    organizations::table
        .find(org_id)
        .select((organizations::signup_domains, organizations::invite_days))
        .first(conn)
}

pub fn save_org_settings(
    conn: &mut DbConn,
    org_id: i64,
    settings: &OrgSettings,
) -> QueryResult<usize> {
    diesel::update(organizations::table.find(org_id))
        .set((
            organizations::signup_domains.eq(&settings.signup_domains),
            organizations::invite_days.eq(settings.invite_days),
        ))
        .execute(conn)
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
