//! The demo's scoped administrator: an Admin of the first division only, to try scoped
//! administration (and for the benchmark's scoped workloads).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{divisions, users};
use crate::db::DbConn;
use crate::users::scope::{self, Scope};
use crate::users::store::{add_role, insert_user, role_id_by_name, NewUser};

pub const LEAD_EMAIL: &str = "lead@demo.test";

/// Adds the lead (an Admin limited to the organization's first division).
pub fn add(
    conn: &mut DbConn,
    org_id: i64,
    password_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    diesel::delete(users::table.filter(users::email.eq(LEAD_EMAIL))).execute(conn)?;
    let mut lead = NewUser::new(
        org_id,
        LEAD_EMAIL,
        "Lena",
        "Lead",
        crate::users::status::ACTIVE,
        now,
    );
    lead.password_hash = Some(password_hash);
    lead.password_changed_at = Some(now);
    let id = insert_user(conn, &lead)?;
    let admin = role_id_by_name(conn, org_id, crate::auth::permissions::ADMIN)?;
    add_role(conn, id, admin)?;
    let first: i64 = divisions::table
        .filter(divisions::org_id.eq(org_id))
        .order(divisions::id)
        .select(divisions::id)
        .first(conn)?;
    let only_first = Scope {
        divisions: [first].into(),
        teams: Default::default(),
    };
    scope::set(conn, id, Some(&only_first))?;
    Ok(id)
}
