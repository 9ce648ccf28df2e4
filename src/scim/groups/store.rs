//! What SCIM reads of groups: a page of them with their members and external ids, and the
//! ids a filter selects.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{group_members, org_groups, scim_group_attributes, users};
use crate::db::sql::Sql;
use crate::db::DbConn;

/// A group as SCIM shows it.
#[derive(Debug, Clone)]
pub struct StoredGroup {
    pub id: i64,
    pub name: String,
    pub created_at: NaiveDateTime,
    pub external_id: Option<String>,
    pub members: BTreeSet<i64>,
}

/// These groups of the organization, in the order of `ids`, each with its members.
pub fn load(conn: &mut DbConn, org_id: i64, ids: &[i64]) -> QueryResult<Vec<StoredGroup>> {
    let mut found = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let rows: Vec<(i64, String, NaiveDateTime, Option<String>)> = org_groups::table
            .left_join(
                scim_group_attributes::table.on(scim_group_attributes::group_id.eq(org_groups::id)),
            )
            .filter(org_groups::org_id.eq(org_id))
            .filter(org_groups::id.eq_any(chunk))
            .select((
                org_groups::id,
                org_groups::name,
                org_groups::created_at,
                scim_group_attributes::external_id.nullable(),
            ))
            .load(conn)?;
        let mut members: BTreeMap<i64, BTreeSet<i64>> = BTreeMap::new();
        for (group, user) in group_members::table
            .inner_join(users::table)
            .filter(group_members::group_id.eq_any(chunk))
            .filter(users::org_id.eq(org_id))
            .select((group_members::group_id, group_members::user_id))
            .load::<(i64, i64)>(conn)?
        {
            members.entry(group).or_default().insert(user);
        }
        found.extend(
            rows.into_iter()
                .map(|(id, name, created_at, external_id)| StoredGroup {
                    members: members.remove(&id).unwrap_or_default(),
                    id,
                    name,
                    created_at,
                    external_id,
                }),
        );
    }
    found.sort_by_key(|g| ids.iter().position(|id| *id == g.id));
    Ok(found)
}

pub fn one(conn: &mut DbConn, org_id: i64, id: i64) -> QueryResult<Option<StoredGroup>> {
    Ok(load(conn, org_id, &[id])?.pop())
}

/// The ids a condition on `g` (org_groups) selects in the organization, by id, and how many.
pub fn select(
    conn: &mut DbConn,
    org_id: i64,
    condition: &Sql,
    page: (i64, i64),
) -> QueryResult<(Vec<i64>, i64)> {
    crate::scim::shared::select_page(conn, ("org_groups", "g"), (org_id, condition), page)
}

/// Sets (or with `None` removes) the group's external id.
pub fn set_external_id(
    conn: &mut DbConn,
    (org_id, group_id): (i64, i64),
    external: Option<&str>,
) -> QueryResult<()> {
    diesel::delete(scim_group_attributes::table.find(group_id)).execute(conn)?;
    if let Some(external) = external {
        diesel::insert_into(scim_group_attributes::table)
            .values((
                scim_group_attributes::group_id.eq(group_id),
                scim_group_attributes::org_id.eq(org_id),
                scim_group_attributes::external_id.eq(external),
            ))
            .execute(conn)?;
    }
    Ok(())
}
