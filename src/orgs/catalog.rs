//! What an organization is made with, kept in memory: its roles (with the permissions each
//! gives), its products and their own permissions, its groups, its active workspaces, its
//! user fields and whether people may sign themselves up.
//! Every signed-in request reads the organization's `catalog_version` with the user (same
//! query), and a catalogue of another version is loaded again: an edit on one instance is
//! seen by the next request on every instance. Whatever edits roles, products, product
//! permissions, groups, workspaces or fields calls `bump` in its transaction (the group,
//! workspace and field stores do it in each of their writes).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use diesel::prelude::*;

use crate::auth::permissions::{Permissions, OWNER};
use crate::db::schema::{organizations, products, role_permissions, roles};
use crate::db::DbConn;
use crate::licenses::product_permissions::{self, ProductPermission};

#[derive(Debug, Clone)]
pub struct Role {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub builtin: bool,
    pub permissions: Permissions,
}

/// One organization's roles (by id), products (id, name) and product permissions, in
/// creation order.
#[derive(Debug, Default)]
pub struct OrgCatalog {
    pub version: i64,
    pub roles: Vec<Role>,
    pub products: Vec<(i64, String)>,
    pub product_permissions: Vec<ProductPermission>,
    /// Tags, skill groups and teams, by kind then name.
    pub groups: Vec<crate::groups::store::Group>,
    /// The active workspaces (id, name), by name.
    pub workspaces: Vec<(i64, String)>,
    /// The user fields, in their order (for the list's columns and filters; writers read the
    /// stored rows).
    pub fields: Vec<crate::fields::Field>,
    /// **Allow users to signup automatically** (the switch on User Management).
    pub allow_auto_signup: bool,
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

    /// Every permission there is in the organization: what the Owner and a tenant superuser
    /// hold.
    pub fn everything(&self) -> Permissions {
        everything(&self.product_permissions)
    }
}

/// Every console permission and these product permissions.
pub fn everything(product_permissions: &[ProductPermission]) -> Permissions {
    product_permissions
        .iter()
        .fold(Permissions::all_console(), |set, p| {
            set.with_product(p.slot)
        })
}

/// Of these roles, those someone holding `held` may hand out: the ones whose permissions are
/// all theirs, never the Owner (there is one).
pub fn grantable(roles: &[Role], held: Permissions) -> Vec<(i64, String)> {
    roles
        .iter()
        .filter(|r| r.name != OWNER && held.covers(r.permissions))
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
    let rows: Vec<(i64, String, String, bool, Option<String>)> = roles::table
        .left_join(role_permissions::table.on(role_permissions::role_id.eq(roles::id)))
        .filter(roles::org_id.eq(org_id))
        .order(roles::id)
        .select((
            roles::id,
            roles::name,
            roles::description,
            roles::builtin,
            role_permissions::permission.nullable(),
        ))
        .load(conn)?;
    let mut roles: Vec<Role> = Vec::new();
    for (id, name, description, builtin, permission) in rows {
        if roles.last().is_none_or(|r| r.id != id) {
            roles.push(Role {
                id,
                name,
                description,
                builtin,
                permissions: Permissions::default(),
            });
        }
        if let (Some(role), Some(p)) = (roles.last_mut(), permission.as_deref()) {
            role.permissions = role.permissions.with_name(p);
        }
    }
    Ok(roles)
}

/// Marks the organization's catalogue changed: every instance loads it again on its next
/// request. Call it in the transaction that changes roles, products, product permissions,
/// groups or workspaces.
pub fn bump(conn: &mut DbConn, org_id: i64) -> QueryResult<()> {
    diesel::update(organizations::table.find(org_id))
        .set(organizations::catalog_version.eq(organizations::catalog_version + 1))
        .execute(conn)
        .map(|_| ())
}

impl OrgCatalog {
    /// The active workspaces when there are several (none when there is one: nothing to
    /// tell apart).
    pub fn several_workspaces(&self) -> &[(i64, String)] {
        if self.workspaces.len() > 1 {
            &self.workspaces
        } else {
            &[]
        }
    }
}

fn load(conn: &mut DbConn, org_id: i64) -> QueryResult<OrgCatalog> {
    let (version, allow_auto_signup) = organizations::table
        .find(org_id)
        .select((
            organizations::catalog_version,
            organizations::allow_auto_signup,
        ))
        .first(conn)
        .optional()?
        .unwrap_or_default();
    Ok(OrgCatalog {
        version,
        allow_auto_signup,
        roles: load_roles(conn, org_id)?,
        products: products::table
            .filter(products::org_id.eq(org_id))
            .order(products::id)
            .select((products::id, products::name))
            .load(conn)?,
        product_permissions: product_permissions::all(conn, org_id)?,
        groups: crate::groups::store::all(conn, org_id)?,
        workspaces: crate::workspaces::store::all(conn, org_id)?
            .into_iter()
            .filter(|w| w.archived_at.is_none())
            .map(|w| (w.id, w.name))
            .collect(),
        fields: crate::fields::store::all(conn, org_id)?,
    })
}

#[derive(Debug, Default)]
pub struct Catalog {
    orgs: RwLock<HashMap<i64, Arc<OrgCatalog>>>,
}

impl Catalog {
    /// The organization's catalogue, loaded on first use.
    pub fn of(&self, conn: &mut DbConn, org_id: i64) -> QueryResult<Arc<OrgCatalog>> {
        match self.cached(org_id) {
            Some(found) => Ok(found),
            None => self.reload(conn, org_id),
        }
    }

    /// The organization's catalogue at `version` (read with the signed-in user): one of an
    /// older version is loaded again.
    pub fn at(&self, conn: &mut DbConn, org_id: i64, version: i64) -> QueryResult<Arc<OrgCatalog>> {
        match self.cached(org_id) {
            Some(found) if found.version == version => Ok(found),
            _ => self.reload(conn, org_id),
        }
    }

    fn cached(&self, org_id: i64) -> Option<Arc<OrgCatalog>> {
        self.orgs
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&org_id)
            .cloned()
    }

    fn reload(&self, conn: &mut DbConn, org_id: i64) -> QueryResult<Arc<OrgCatalog>> {
        let catalog = Arc::new(load(conn, org_id)?);
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
