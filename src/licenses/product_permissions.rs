//! A product's own permissions (Broadcast in Omnichannel, Auto dial in the Dialer …): each
//! takes a numbered slot of the organization, which roles and overrides name `product:{slot}`.

use diesel::prelude::*;

use crate::auth::permissions::{product_name, PRODUCT_SLOTS};
use crate::db::schema::{
    organizations, product_permissions, products, role_permissions, roles,
    user_permission_overrides, users,
};
use crate::db::DbConn;

/// What a new organization's products may do, by product name.
pub const DEFAULTS: [(&str, &str); 6] = [
    ("Dialer", "Auto dial"),
    ("Dialer", "Listen to recordings"),
    ("Omnichannel", "Broadcast"),
    ("Omnichannel", "Chat"),
    ("CRM", "Export leads"),
    ("CRM", "Simulator"),
];

/// One product permission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductPermission {
    pub id: i64,
    pub product_id: i64,
    pub product: String,
    pub slot: u8,
    pub name: String,
}

impl ProductPermission {
    /// "Omnichannel: Broadcast".
    pub fn label(&self) -> String {
        format!("{}: {}", self.product, self.name)
    }

    pub fn stored_name(&self) -> String {
        product_name(self.slot)
    }
}

/// Gives the organization's products their default permissions; the slots taken.
pub fn add_defaults(conn: &mut DbConn, org_id: i64) -> QueryResult<Vec<u8>> {
    let catalogue: Vec<(i64, String)> = products::table
        .filter(products::org_id.eq(org_id))
        .select((products::id, products::name))
        .load(conn)?;
    let mut slots = Vec::new();
    for (product, name) in DEFAULTS {
        if let Some((product_id, _)) = catalogue.iter().find(|(_, n)| n == product) {
            let slot = slots.len() as u8;
            insert(conn, org_id, *product_id, slot, name)?;
            slots.push(slot);
        }
    }
    Ok(slots)
}

fn insert(
    conn: &mut DbConn,
    org_id: i64,
    product_id: i64,
    slot: u8,
    name: &str,
) -> QueryResult<()> {
    diesel::insert_into(product_permissions::table)
        .values((
            product_permissions::org_id.eq(org_id),
            product_permissions::product_id.eq(product_id),
            product_permissions::slot.eq(i32::from(slot)),
            product_permissions::name.eq(name),
        ))
        .execute(conn)
        .map(|_| ())
}

/// The organization's product permissions, by product then name.
pub fn all(conn: &mut DbConn, org_id: i64) -> QueryResult<Vec<ProductPermission>> {
    let rows: Vec<(i64, i64, String, i32, String)> = product_permissions::table
        .inner_join(products::table)
        .filter(product_permissions::org_id.eq(org_id))
        .order((products::id, product_permissions::name))
        .select((
            product_permissions::id,
            products::id,
            products::name,
            product_permissions::slot,
            product_permissions::name,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, product_id, product, slot, name)| ProductPermission {
            id,
            product_id,
            product,
            slot: slot as u8,
            name,
        })
        .collect())
}

#[derive(Debug, thiserror::Error)]
pub enum AddError {
    #[error("{product} already has a permission named {name}.")]
    Taken { product: String, name: String },
    #[error("The organization has {PRODUCT_SLOTS} product permissions, the most it can hold: delete one first.")]
    Full,
    #[error("That product does not exist, or belongs to another organization.")]
    NoProduct,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// Adds a permission to a product, in the lowest free slot.
pub fn add(
    conn: &mut DbConn,
    org_id: i64,
    product_id: i64,
    name: &str,
) -> Result<ProductPermission, AddError> {
    let held = all(conn, org_id)?;
    let product: String = products::table
        .filter(products::org_id.eq(org_id))
        .filter(products::id.eq(product_id))
        .select(products::name)
        .first(conn)
        .optional()?
        .ok_or(AddError::NoProduct)?;
    if held
        .iter()
        .any(|p| p.product_id == product_id && p.name.eq_ignore_ascii_case(name))
    {
        return Err(AddError::Taken {
            product,
            name: name.to_owned(),
        });
    }
    let slot = (0..PRODUCT_SLOTS)
        .find(|s| held.iter().all(|p| p.slot != *s))
        .ok_or(AddError::Full)?;
    insert(conn, org_id, product_id, slot, name)?;
    Ok(all(conn, org_id)?
        .into_iter()
        .find(|p| p.slot == slot)
        .expect("just added"))
}

/// Removes a product permission from the organization: from its roles, its users' overrides
/// and its MFA policy too, so a later permission in the same slot gives nobody anything.
pub fn remove(conn: &mut DbConn, org_id: i64, permission: &ProductPermission) -> QueryResult<()> {
    let name = permission.stored_name();
    let org_roles = roles::table
        .filter(roles::org_id.eq(org_id))
        .select(roles::id);
    diesel::delete(
        role_permissions::table
            .filter(role_permissions::role_id.eq_any(org_roles))
            .filter(role_permissions::permission.eq(&name)),
    )
    .execute(conn)?;
    let org_users = users::table
        .filter(users::org_id.eq(org_id))
        .select(users::id);
    diesel::delete(
        user_permission_overrides::table
            .filter(user_permission_overrides::user_id.eq_any(org_users))
            .filter(user_permission_overrides::permission.eq(&name)),
    )
    .execute(conn)?;
    let policy: String = organizations::table
        .find(org_id)
        .select(organizations::mfa_required_permissions)
        .first(conn)?;
    let kept: Vec<&str> = policy.split(',').filter(|n| *n != name).collect();
    diesel::update(organizations::table.find(org_id))
        .set(organizations::mfa_required_permissions.eq(kept.join(",")))
        .execute(conn)?;
    diesel::delete(product_permissions::table.find(permission.id)).execute(conn)?;
    Ok(())
}

/// Renames a product permission (its slot, and so every grant of it, stays).
pub fn rename(conn: &mut DbConn, permission_id: i64, name: &str) -> QueryResult<()> {
    diesel::update(product_permissions::table.find(permission_id))
        .set(product_permissions::name.eq(name))
        .execute(conn)
        .map(|_| ())
}
