//! Settings → Roles: the organization's roles, each a named set of console and product
//! permissions. The Owner role is fixed (it holds everything); the other built-in roles are
//! edited like any other, though Agent (given to people who sign themselves up) and
//! Supervisor (whose chat access Edit User sets) keep their names, and Agent stays.

mod delete;
mod preview;
pub mod product_routes;
pub mod products;
pub mod routes;
pub mod service;
pub mod store;

use crate::auth::permissions::{Permission, Permissions, AGENT, OWNER, SUPERVISOR};
use crate::licenses::product_permissions::ProductPermission;
use crate::orgs::catalog::Role;

/// One permission as the editor offers it.
#[derive(Debug, Clone)]
pub struct Offered {
    /// The stored name (`users.view`, `product:2`).
    pub name: String,
    pub label: String,
    pub help: String,
}

/// Permissions under one heading: the console's, then each product's.
#[derive(Debug, Clone)]
pub struct PermissionGroup {
    pub title: String,
    pub permissions: Vec<Offered>,
}

/// The organization's permissions, grouped for the role editor and the previews.
pub fn permission_groups(products: &[ProductPermission]) -> Vec<PermissionGroup> {
    let console = PermissionGroup {
        title: "Console".into(),
        permissions: Permission::ALL
            .into_iter()
            .map(|p| Offered {
                name: p.as_str().into(),
                label: p.label().into(),
                help: p.describe().into(),
            })
            .collect(),
    };
    let mut groups = vec![console];
    for p in products {
        if groups.last().is_none_or(|g| g.title != p.product) {
            groups.push(PermissionGroup {
                title: p.product.clone(),
                permissions: Vec::new(),
            });
        }
        if let Some(group) = groups.last_mut() {
            group.permissions.push(Offered {
                name: p.stored_name(),
                label: p.name.clone(),
                help: format!("In {}", p.product),
            });
        }
    }
    groups
}

/// The names people read for a set ("View users", "Omnichannel: Broadcast"), in catalogue
/// order.
pub fn labels_of(set: Permissions, products: &[ProductPermission]) -> Vec<String> {
    Permission::ALL
        .into_iter()
        .filter(|p| set.has(*p))
        .map(|p| p.label().to_owned())
        .chain(
            products
                .iter()
                .filter(|p| set.has_product(p.slot))
                .map(ProductPermission::label),
        )
        .collect()
}

/// The label of one stored name ("Invite users", "Omnichannel: Broadcast"); the name itself
/// when unknown.
pub fn label_of_name(name: &str, products: &[ProductPermission]) -> String {
    labels_of(Permissions::of_name(name), products)
        .pop()
        .unwrap_or_else(|| name.to_owned())
}

/// The Owner's role cannot be edited or deleted.
pub fn is_fixed(role: &Role) -> bool {
    role.builtin && role.name == OWNER
}

/// Built-in roles the code finds by name keep it.
pub fn keeps_name(role: &Role) -> bool {
    role.builtin && [OWNER, AGENT, SUPERVISOR].contains(&role.name.as_str())
}

/// People who sign themselves up get this role: it stays.
pub fn is_signup_role(role: &Role) -> bool {
    role.builtin && role.name == AGENT
}
