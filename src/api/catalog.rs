//! The organization's catalogue for machines: roles (with their permissions), products (with
//! seats and their own permissions), groups and user fields. Read-only here; the console's
//! Settings pages change them.

use actix_web::{web, HttpResponse};
use serde::Serialize;

use super::caller::Caller;
use super::problem::Problem;
use super::tokens::Scope;
use crate::auth::permissions::Permission;
use crate::web::State;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v1/roles", web::get().to(roles))
        .route("/api/v1/products", web::get().to(products))
        .route("/api/v1/groups", web::get().to(groups))
        .route("/api/v1/fields", web::get().to(fields));
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RoleOut {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub builtin: bool,
    /// Console permissions by code, then product permissions as "Product: Permission".
    pub permissions: Vec<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProductOut {
    pub id: i64,
    pub name: String,
    pub seats: i32,
    pub seats_used: i32,
    /// The product's own permissions.
    pub permissions: Vec<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct GroupOut {
    pub id: i64,
    /// `tag`, `skill` or `team`.
    pub kind: String,
    pub name: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FieldOut {
    pub key: String,
    pub label: String,
    /// `text`, `number`, `checkbox`, `choice`, `multi_choice`, `date`, `email`, `phone`,
    /// `url` or `secret` (a secret's value is written, never read).
    #[serde(rename = "type")]
    pub kind: String,
    pub section: String,
    pub unique: bool,
    /// The codes a choice field takes.
    pub options: Vec<String>,
}

fn read(caller: &Caller) -> Result<(), Problem> {
    caller.require(Scope::UsersRead, Permission::UsersView)
}

#[utoipa::path(get, path = "/api/v1/roles", responses((status = 200, body = Vec<RoleOut>)), security(("bearer" = [])))]
pub async fn roles(caller: Caller, state: State) -> Result<HttpResponse, Problem> {
    read(&caller)?;
    let (org_id, app) = (caller.user.org_id, state.get_ref().clone());
    let out = state
        .db(move |conn| {
            let catalog = app.catalog.of(conn, org_id)?;
            Ok(catalog
                .roles
                .iter()
                .map(|role| RoleOut {
                    id: role.id,
                    name: role.name.clone(),
                    description: role.description.clone(),
                    builtin: role.builtin,
                    permissions: Permission::ALL
                        .into_iter()
                        .filter(|p| role.permissions.has(*p))
                        .map(|p| p.as_str().to_owned())
                        .chain(
                            catalog
                                .product_permissions
                                .iter()
                                .filter(|p| role.permissions.has_product(p.slot))
                                .map(|p| p.label()),
                        )
                        .collect(),
                })
                .collect::<Vec<_>>())
        })
        .await?;
    Ok(HttpResponse::Ok().json(out))
}

#[utoipa::path(get, path = "/api/v1/products", responses((status = 200, body = Vec<ProductOut>)), security(("bearer" = [])))]
pub async fn products(caller: Caller, state: State) -> Result<HttpResponse, Problem> {
    read(&caller)?;
    let (org_id, app) = (caller.user.org_id, state.get_ref().clone());
    let out = state
        .db(move |conn| {
            let catalog = app.catalog.of(conn, org_id)?;
            Ok(crate::licenses::store::products(conn, org_id)?
                .into_iter()
                .map(|p| ProductOut {
                    permissions: catalog
                        .product_permissions
                        .iter()
                        .filter(|pp| pp.product_id == p.id)
                        .map(|pp| pp.name.clone())
                        .collect(),
                    id: p.id,
                    name: p.name,
                    seats: p.seats,
                    seats_used: p.seats_used,
                })
                .collect::<Vec<_>>())
        })
        .await?;
    Ok(HttpResponse::Ok().json(out))
}

#[utoipa::path(get, path = "/api/v1/groups", responses((status = 200, body = Vec<GroupOut>)), security(("bearer" = [])))]
pub async fn groups(caller: Caller, state: State) -> Result<HttpResponse, Problem> {
    read(&caller)?;
    let org_id = caller.user.org_id;
    let out = state
        .db(move |conn| {
            Ok(crate::groups::store::all(conn, org_id)?
                .into_iter()
                .map(|g| GroupOut {
                    id: g.id,
                    kind: g.kind,
                    name: g.name,
                })
                .collect::<Vec<_>>())
        })
        .await?;
    Ok(HttpResponse::Ok().json(out))
}

#[utoipa::path(get, path = "/api/v1/fields", responses((status = 200, body = Vec<FieldOut>)), security(("bearer" = [])))]
pub async fn fields(caller: Caller, state: State) -> Result<HttpResponse, Problem> {
    read(&caller)?;
    let org_id = caller.user.org_id;
    let out = state
        .db(move |conn| {
            Ok(crate::fields::store::all(conn, org_id)?
                .into_iter()
                .map(|f| FieldOut {
                    kind: f.kind.code().to_owned(),
                    options: f.options.iter().map(|o| o.code.clone()).collect(),
                    key: f.key,
                    label: f.label,
                    section: f.section,
                    unique: f.unique,
                })
                .collect::<Vec<_>>())
        })
        .await?;
    Ok(HttpResponse::Ok().json(out))
}
