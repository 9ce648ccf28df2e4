//! Settings → Products: each product's own permissions (Broadcast in Omnichannel …), added,
//! renamed and deleted with their audit event and the catalogue's new version.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use super::service::record;
use crate::audit::{action, Origin};
use crate::auth::permissions::Permissions;
use crate::db::schema::{role_permissions, roles, user_permission_overrides, users};
use crate::db::{write_tx, DbConn};
use crate::licenses::product_permissions::{self as store, AddError, ProductPermission};
use crate::users::authority::Editor;
use crate::validation::FieldErrors;

#[derive(Debug, thiserror::Error)]
pub enum ProductPermissionError {
    #[error("That permission does not exist, or belongs to another organization.")]
    NotFound,
    #[error("{0}")]
    Refused(String),
    #[error("some fields need attention")]
    Invalid(FieldErrors),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

fn find(
    conn: &mut DbConn,
    org_id: i64,
    id: i64,
) -> Result<ProductPermission, ProductPermissionError> {
    store::all(conn, org_id)?
        .into_iter()
        .find(|p| p.id == id)
        .ok_or(ProductPermissionError::NotFound)
}

fn checked_name(name: &str) -> Result<String, ProductPermissionError> {
    crate::groups::check_name(name)
        .map_err(|m| ProductPermissionError::Invalid(FieldErrors::one("name", m)))
}

pub fn add(
    conn: &mut DbConn,
    editor: &Editor,
    product_id: i64,
    name: &str,
    meta: &Origin,
    now: NaiveDateTime,
) -> Result<ProductPermission, ProductPermissionError> {
    write_tx(conn, |conn| {
        // Another organization's product is not found, whatever the name typed.
        let known = crate::licenses::store::products(conn, editor.org_id)?
            .iter()
            .any(|p| p.id == product_id);
        if !known {
            return Err(ProductPermissionError::NotFound);
        }
        let name = checked_name(name)?;
        let added = store::add(conn, editor.org_id, product_id, &name).map_err(|e| match e {
            AddError::NoProduct => ProductPermissionError::NotFound,
            AddError::Database(e) => e.into(),
            other => ProductPermissionError::Invalid(FieldErrors::one("name", other.to_string())),
        })?;
        let details = json!({ "product": added.product, "name": added.name });
        record(
            conn,
            editor,
            action::PRODUCT_PERMISSION_ADDED,
            details,
            (meta, now),
        )?;
        Ok(added)
    })
}

pub fn rename(
    conn: &mut DbConn,
    editor: &Editor,
    id: i64,
    name: &str,
    meta: &Origin,
    now: NaiveDateTime,
) -> Result<(), ProductPermissionError> {
    let name = checked_name(name)?;
    write_tx(conn, |conn| {
        let permission = find(conn, editor.org_id, id)?;
        if permission.name == name {
            return Ok(());
        }
        let taken = store::all(conn, editor.org_id)?.iter().any(|p| {
            p.product_id == permission.product_id
                && p.id != id
                && p.name.eq_ignore_ascii_case(&name)
        });
        if taken {
            return Err(ProductPermissionError::Invalid(FieldErrors::one(
                "name",
                format!(
                    "{} already has a permission named {name}.",
                    permission.product
                ),
            )));
        }
        store::rename(conn, id, &name)?;
        let details = json!({
            "product": permission.product,
            "before": { "name": permission.name },
            "after": { "name": name },
        });
        record(
            conn,
            editor,
            action::PRODUCT_PERMISSION_RENAMED,
            details,
            (meta, now),
        )?;
        Ok(())
    })
}

/// Who would lose a product permission: the roles that give it and the people with their own
/// grant of it.
#[derive(Debug, Default)]
pub struct Reach {
    pub roles: Vec<String>,
    pub overrides: i64,
}

pub fn reach(conn: &mut DbConn, org_id: i64, permission: &ProductPermission) -> QueryResult<Reach> {
    let name = permission.stored_name();
    Ok(Reach {
        roles: roles::table
            .inner_join(role_permissions::table)
            .filter(roles::org_id.eq(org_id))
            .filter(role_permissions::permission.eq(&name))
            .order(roles::id)
            .select(roles::name)
            .load(conn)?,
        overrides: user_permission_overrides::table
            .inner_join(users::table)
            .filter(users::org_id.eq(org_id))
            .filter(user_permission_overrides::permission.eq(&name))
            .count()
            .get_result(conn)?,
    })
}

/// Deletes a product permission: roles stop giving it, grants and denials of it go, and it
/// leaves the MFA policy. Only someone who holds it deletes it (taking it from others is
/// acting on whoever holds it).
pub fn delete(
    conn: &mut DbConn,
    editor: &Editor,
    id: i64,
    meta: &Origin,
    now: NaiveDateTime,
) -> Result<(), ProductPermissionError> {
    write_tx(conn, |conn| {
        let permission = find(conn, editor.org_id, id)?;
        if !editor
            .permissions
            .covers(Permissions::default().with_product(permission.slot))
        {
            return Err(ProductPermissionError::Refused(format!(
                "You do not hold {}: only someone who holds it can delete it.",
                permission.label()
            )));
        }
        let reach = reach(conn, editor.org_id, &permission)?;
        store::remove(conn, editor.org_id, &permission)?;
        let details = json!({
            "product": permission.product,
            "name": permission.name,
            "roles": reach.roles,
            "overrides": reach.overrides,
        });
        record(
            conn,
            editor,
            action::PRODUCT_PERMISSION_DELETED,
            details,
            (meta, now),
        )?;
        Ok(())
    })
}
