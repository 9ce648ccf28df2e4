//! What an organization is made with, kept in memory: its roles (with the permissions each
//! gives) and its products (ids and names). Both are fixed when the organization is created —
//! there is no role editor, and Settings changes only a product's seats, which are not kept
//! here — so the pages that need them (every signed-in request, the User Management bars) do
//! not ask the database each time. Whatever comes to edit roles or rename products must call
//! `forget` for the organization.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use diesel::prelude::*;

use crate::auth::permissions::{Permission, Permissions, OWNER};
use crate::db::schema::{products, role_permissions, roles};
use crate::db::DbConn;

#[derive(Debug, Clone)]
pub struct Role {
    pub id: i64,
    pub name: String,
    pub permissions: Permissions,
}

/// One organization's roles (by id) and products (id, name), in creation order.
#[derive(Debug, Default)]
pub struct OrgCatalog {
    pub roles: Vec<Role>,
    pub products: Vec<(i64, String)>,
}

impl OrgCatalog {
    /// The roles with these ids (unknown ids are left out).
    pub fn roles_with(&self, ids: &[i64]) -> Vec<Role> {
        self.roles
            .iter()
            .filter(|r| ids.contains(&r.id))
            .cloned()
            .collect()
    }

    /// Roles someone holding `held` may hand out (see `grantable`).
    pub fn grantable(&self, held: Permissions) -> Vec<(i64, String)> {
        grantable(&self.roles, held)
    }

    /// (id, name) of every role, for the role filter.
    pub fn role_names(&self) -> Vec<(i64, String)> {
        self.roles.iter().map(|r| (r.id, r.name.clone())).collect()
    }
}

/// Of these roles, those someone holding `held` may hand out: the ones whose permissions are
/// all theirs, never the Owner (there is one).
pub fn grantable(roles: &[Role], held: Permissions) -> Vec<(i64, String)> {
    roles
        .iter()
        .filter(|r| {
            r.name != OWNER
                && Permission::ALL
                    .iter()
                    .all(|p| !r.permissions.has(*p) || held.has(*p))
        })
        .map(|r| (r.id, r.name.clone()))
        .collect()
}

/// Roles someone with `held` permissions may hand out, read from the database (writers check
/// against the stored rows, not the cache).
pub fn grantable_roles(
    conn: &mut DbConn,
    org_id: i64,
    held: Permissions,
) -> QueryResult<Vec<(i64, String)>> {
    Ok(grantable(&load_roles(conn, org_id)?, held))
}

/// The organization's roles with their permissions, in creation order, from the database
/// (the catalogue keeps them; writers that must see the stored rows read them here).
pub fn load_roles(conn: &mut DbConn, org_id: i64) -> QueryResult<Vec<Role>> {
    let rows: Vec<(i64, String, Option<String>)> = roles::table
        .left_join(role_permissions::table.on(role_permissions::role_id.eq(roles::id)))
        .filter(roles::org_id.eq(org_id))
        .order(roles::id)
        .select((
            roles::id,
            roles::name,
            role_permissions::permission.nullable(),
        ))
        .load(conn)?;
    let mut roles: Vec<Role> = Vec::new();
    for (id, name, permission) in rows {
        if roles.last().is_none_or(|r| r.id != id) {
            roles.push(Role {
                id,
                name,
                permissions: Permissions::default(),
            });
        }
        if let (Some(role), Some(p)) = (
            roles.last_mut(),
            permission.as_deref().and_then(Permission::parse),
        ) {
            role.permissions = role.permissions.with(p);
        }
    }
    Ok(roles)
}

#[derive(Debug, Default)]
pub struct Catalog {
    orgs: RwLock<HashMap<i64, Arc<OrgCatalog>>>,
}

impl Catalog {
    /// The organization's catalogue, loaded on first use.
    pub fn of(&self, conn: &mut DbConn, org_id: i64) -> QueryResult<Arc<OrgCatalog>> {
        if let Some(found) = self
            .orgs
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&org_id)
        {
            return Ok(found.clone());
        }
        let mut catalog = OrgCatalog {
            roles: load_roles(conn, org_id)?,
            ..OrgCatalog::default()
        };
        catalog.products = products::table
            .filter(products::org_id.eq(org_id))
            .order(products::id)
            .select((products::id, products::name))
            .load(conn)?;
        let catalog = Arc::new(catalog);
        // Only a complete organization is kept: one being created right now may not have its
        // roles yet.
        if !catalog.roles.is_empty() {
            self.orgs
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .insert(org_id, catalog.clone());
        }
        Ok(catalog)
    }

    /// The roles with these ids. An id the catalogue does not know (the organization was
    /// replaced under this server, as `seed-demo` does) reloads it once.
    pub fn roles(&self, conn: &mut DbConn, org_id: i64, ids: &[i64]) -> QueryResult<Vec<Role>> {
        let found = self.of(conn, org_id)?.roles_with(ids);
        if found.len() == ids.len() {
            return Ok(found);
        }
        self.forget(org_id);
        Ok(self.of(conn, org_id)?.roles_with(ids))
    }

    /// Drops what is known of an organization (after its roles or products changed, or when
    /// it is deleted).
    pub fn forget(&self, org_id: i64) {
        self.orgs
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&org_id);
    }
}
