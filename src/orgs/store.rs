//! Organization queries.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::auth::permissions::builtin_roles;
use crate::db::schema::{organizations, products, role_permissions, roles};
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
pub fn create(
    conn: &mut DbConn,
    name: &str,
    signup_domains: &str,
    seats: i32,
    now: NaiveDateTime,
) -> QueryResult<i64> {
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
            organizations::signup_domains.eq(signup_domains),
            organizations::created_at.eq(now),
        ))
        .execute(conn)?;
    let org_id = organizations::table
        .filter(organizations::slug.eq(&slug))
        .select(organizations::id)
        .first(conn)?;
    for (role, permissions) in builtin_roles() {
        diesel::insert_into(roles::table)
            .values((
                roles::org_id.eq(org_id),
                roles::name.eq(role),
                roles::builtin.eq(true),
            ))
            .execute(conn)?;
        let role_id: i64 = roles::table
            .filter(roles::org_id.eq(org_id))
            .filter(roles::name.eq(role))
            .select(roles::id)
            .first(conn)?;
        let rows: Vec<_> = permissions
            .iter()
            .map(|p| {
                (
                    role_permissions::role_id.eq(role_id),
                    role_permissions::permission.eq(p.as_str()),
                )
            })
            .collect();
        if !rows.is_empty() {
            crate::insert_batch!(conn, role_permissions::table, &rows)?;
        }
    }
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
    Ok(org_id)
}

pub fn set_signup_domains(conn: &mut DbConn, org_id: i64, domains: &str) -> QueryResult<usize> {
    diesel::update(organizations::table.find(org_id))
        .set(organizations::signup_domains.eq(domains))
        .execute(conn)
}

pub fn signup_domains_of(conn: &mut DbConn, org_id: i64) -> QueryResult<String> {
    organizations::table
        .find(org_id)
        .select(organizations::signup_domains)
        .first(conn)
}
