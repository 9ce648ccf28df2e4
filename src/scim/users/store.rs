//! What SCIM reads of users: one query for a page of them (username and external id
//! beside), the ids a filter selects, and the external ids.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{scim_attributes, usernames, users};
use crate::db::sql::Sql;
use crate::db::DbConn;

/// A user as SCIM shows them.
#[derive(Debug, Clone, Queryable)]
pub struct Stored {
    pub id: i64,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub phone: String,
    pub status: String,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub username: Option<String>,
    pub extra: Extra,
}

/// What the provider said that Gatehouse keeps only for SCIM.
#[derive(Debug, Clone, Default, PartialEq, Eq, Queryable)]
pub struct Extra {
    pub external_id: Option<String>,
    pub email_type: Option<String>,
    pub email_primary: Option<bool>,
    pub phone_type: Option<String>,
    /// The enterprise extension's.
    pub department: Option<String>,
    pub employee_number: Option<String>,
}

impl Extra {
    fn is_empty(&self) -> bool {
        *self == Extra::default()
    }
}

/// These users of the organization, in the order of `ids` (unknown ones left out).
pub fn load(conn: &mut DbConn, org_id: i64, ids: &[i64]) -> QueryResult<Vec<Stored>> {
    let mut found: Vec<Stored> = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        found.extend(
            users::table
                .left_join(usernames::table.on(usernames::user_id.eq(users::id)))
                .left_join(scim_attributes::table.on(scim_attributes::user_id.eq(users::id)))
                .filter(users::org_id.eq(org_id))
                .filter(users::id.eq_any(chunk))
                .select((
                    users::id,
                    users::email,
                    users::first_name,
                    users::last_name,
                    users::phone,
                    users::status,
                    users::version,
                    users::created_at,
                    users::updated_at,
                    usernames::username.nullable(),
                    (
                        scim_attributes::external_id.nullable(),
                        scim_attributes::email_type.nullable(),
                        scim_attributes::email_primary.nullable(),
                        scim_attributes::phone_type.nullable(),
                        scim_attributes::department.nullable(),
                        scim_attributes::employee_number.nullable(),
                    ),
                ))
                .load::<Stored>(conn)?,
        );
    }
    found.sort_by_key(|s| ids.iter().position(|id| *id == s.id));
    Ok(found)
}

pub fn one(conn: &mut DbConn, org_id: i64, id: i64) -> QueryResult<Option<Stored>> {
    Ok(load(conn, org_id, &[id])?.pop())
}

/// The ids a condition on `u` selects in the organization, by id, `offset` skipped (SCIM's
/// `startIndex`), and how many there are in all.
pub fn select(
    conn: &mut DbConn,
    org_id: i64,
    condition: &Sql,
    page: (i64, i64),
) -> QueryResult<(Vec<i64>, i64)> {
    crate::scim::shared::select_page(conn, ("users", "u"), (org_id, condition), page)
}

/// Keeps what the provider said of the user (nothing: the row goes).
pub fn set_extra(
    conn: &mut DbConn,
    (org_id, user_id): (i64, i64),
    extra: &Extra,
) -> QueryResult<()> {
    diesel::delete(scim_attributes::table.find(user_id)).execute(conn)?;
    if !extra.is_empty() {
        diesel::insert_into(scim_attributes::table)
            .values((
                scim_attributes::user_id.eq(user_id),
                scim_attributes::org_id.eq(org_id),
                scim_attributes::external_id.eq(&extra.external_id),
                scim_attributes::email_type.eq(&extra.email_type),
                scim_attributes::email_primary.eq(extra.email_primary),
                scim_attributes::phone_type.eq(&extra.phone_type),
                scim_attributes::department.eq(&extra.department),
                scim_attributes::employee_number.eq(&extra.employee_number),
            ))
            .execute(conn)?;
    }
    Ok(())
}
