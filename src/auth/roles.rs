//! The permissions each role gives, kept in memory: roles are made with their organization and
//! never change afterwards (there is no role editor), so the signed-in user's permissions come
//! from their role ids without joining `role_permissions` on every request. Whatever comes to
//! edit roles must call `forget` for the organization.

use std::collections::HashMap;
use std::sync::RwLock;

use diesel::prelude::*;

use super::permissions::{Permission, Permissions};
use crate::db::schema::{role_permissions, roles};
use crate::db::DbConn;

#[derive(Debug, Clone)]
pub struct Role {
    pub org_id: i64,
    pub name: String,
    pub permissions: Permissions,
}

#[derive(Debug, Default)]
pub struct RoleCache {
    roles: RwLock<HashMap<i64, Role>>,
}

impl RoleCache {
    /// The roles with these ids; an unknown id loads its organization's roles once.
    pub fn get(&self, conn: &mut DbConn, org_id: i64, ids: &[i64]) -> QueryResult<Vec<Role>> {
        if let Some(found) = self.cached(ids) {
            return Ok(found);
        }
        let rows: Vec<(i64, String, Option<String>)> = roles::table
            .left_join(role_permissions::table.on(role_permissions::role_id.eq(roles::id)))
            .filter(roles::org_id.eq(org_id))
            .select((
                roles::id,
                roles::name,
                role_permissions::permission.nullable(),
            ))
            .load(conn)?;
        {
            let mut cache = self.roles.write().unwrap_or_else(|e| e.into_inner());
            for (id, name, permission) in rows {
                let role = cache.entry(id).or_insert_with(|| Role {
                    org_id,
                    name,
                    permissions: Permissions::default(),
                });
                if let Some(p) = permission.as_deref().and_then(Permission::parse) {
                    role.permissions = role.permissions.with(p);
                }
            }
        }
        Ok(self.cached(ids).unwrap_or_default())
    }

    fn cached(&self, ids: &[i64]) -> Option<Vec<Role>> {
        let cache = self.roles.read().unwrap_or_else(|e| e.into_inner());
        ids.iter().map(|id| cache.get(id).cloned()).collect()
    }

    /// Drops what is known of an organization's roles (after its roles were changed).
    pub fn forget(&self, org_id: i64) {
        self.roles
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|_, role| role.org_id != org_id);
    }
}
