//! Who holds values in a field: how many (for the Settings page and a deletion's
//! confirmation) and who (locked, in id order, before a change that reaches them all).

use std::collections::BTreeMap;

use diesel::prelude::*;

use crate::db::schema::{user_field_values, user_fields};
use crate::db::DbConn;

/// The users holding a value in the field, each once, by id.
pub fn of(conn: &mut DbConn, field_id: i64) -> QueryResult<Vec<i64>> {
    user_field_values::table
        .filter(user_field_values::field_id.eq(field_id))
        .select(user_field_values::user_id)
        .distinct()
        .order(user_field_values::user_id)
        .load(conn)
}

/// How many users hold a value in the field.
pub fn count(conn: &mut DbConn, field_id: i64) -> QueryResult<i64> {
    user_field_values::table
        .filter(user_field_values::field_id.eq(field_id))
        .select(diesel::dsl::count(user_field_values::user_id).aggregate_distinct())
        .first(conn)
}

/// How many users hold a value, per field of the organization (fields nobody fills are absent).
pub fn counts(conn: &mut DbConn, org_id: i64) -> QueryResult<BTreeMap<i64, i64>> {
    let rows: Vec<(i64, i64)> = user_field_values::table
        .inner_join(user_fields::table)
        .filter(user_fields::org_id.eq(org_id))
        .group_by(user_field_values::field_id)
        .select((
            user_field_values::field_id,
            diesel::dsl::count(user_field_values::user_id).aggregate_distinct(),
        ))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}
