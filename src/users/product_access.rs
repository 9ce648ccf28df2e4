//! Product access only: people who hold roles and licenses for the products but never sign
//! into the console (the sign-in, the invitation link and every other door refuse them).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::product_only_users;
use crate::db::DbConn;

/// The message a product-only person reads after giving the right password.
pub const REFUSED: &str = "Your account gives you access to your organization's products only, not to this console. Ask an administrator if you need the console.";

pub fn is_product_only(conn: &mut DbConn, user_id: i64) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(product_only_users::table.find(user_id))).get_result(conn)
}

pub fn mark(conn: &mut DbConn, user_id: i64, now: NaiveDateTime) -> QueryResult<()> {
    diesel::insert_into(product_only_users::table)
        .values((
            product_only_users::user_id.eq(user_id),
            product_only_users::created_at.eq(now),
        ))
        .execute(conn)
        .map(drop)
}
