//! SCIM 2.0 provisioning under `/scim/v2` (RFC 7643/7644), for identity providers (Entra ID,
//! Okta …) with an API token of the `scim` scope. Users are created, replaced, patched,
//! deactivated and deleted through the console's own use cases (Create User, Edit User,
//! Delete), so every rule — seats, who may change whom, the audit log — holds here too.

pub mod discovery;
pub mod error;
pub mod filter;
pub mod groups;
pub mod shared;
pub mod users;

use std::future::Future;
use std::pin::Pin;

use actix_web::{web, FromRequest, HttpRequest};

use crate::api::caller::Caller;
use crate::api::problem::Problem;
use crate::api::tokens::Scope;
use crate::auth::permissions::Permission;
use crate::web::State;
use error::ScimError;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/scim/v2/ServiceProviderConfig",
        web::get().to(discovery::config),
    )
    .route(
        "/scim/v2/ResourceTypes",
        web::get().to(discovery::resource_types),
    )
    .route(
        "/scim/v2/ResourceTypes/{name}",
        web::get().to(discovery::resource_type),
    )
    .route("/scim/v2/Schemas", web::get().to(discovery::schemas))
    .route("/scim/v2/Schemas/{id}", web::get().to(discovery::schema))
    .route("/scim/v2/Users", web::get().to(users::list))
    .route("/scim/v2/Users", web::post().to(users::create))
    .route("/scim/v2/Users/.search", web::post().to(users::search))
    .route("/scim/v2/.search", web::post().to(error::root_search))
    .route("/scim/v2/Users/{id}", web::get().to(users::get))
    .route("/scim/v2/Users/{id}", web::put().to(users::replace))
    .route("/scim/v2/Users/{id}", web::patch().to(users::patch))
    .route("/scim/v2/Users/{id}", web::delete().to(users::delete))
    .route("/scim/v2/Groups", web::get().to(groups::list))
    .route("/scim/v2/Groups", web::post().to(groups::create))
    .route("/scim/v2/Groups/.search", web::post().to(groups::search))
    .route("/scim/v2/Groups/{id}", web::get().to(groups::get))
    .route("/scim/v2/Groups/{id}", web::put().to(groups::replace))
    .route("/scim/v2/Groups/{id}", web::patch().to(groups::patch))
    .route("/scim/v2/Groups/{id}", web::delete().to(groups::delete))
    .route("/scim/v2/{tail:.*}", web::route().to(error::unmatched));
}

/// The public base of the SCIM endpoints (for `meta.location`).
pub fn base(state: &State) -> String {
    format!("{}/scim/v2", state.base_url)
}

/// The token of a SCIM request, or why it has none (answered as a SCIM error).
pub struct ScimCaller(Result<Caller, Problem>);

impl ScimCaller {
    fn with(&self, permission: Permission) -> Result<&Caller, ScimError> {
        let caller = self.0.as_ref().map_err(|p| ScimError::from(p.clone()))?;
        caller.require(Scope::Scim, permission)?;
        Ok(caller)
    }

    /// Reading: the `scim` scope and `users.view`.
    pub fn get(&self) -> Result<&Caller, ScimError> {
        self.with(Permission::UsersView)
    }

    /// Changing users: the `scim` scope and the permission the change needs.
    pub fn write(&self, permission: Permission) -> Result<&Caller, ScimError> {
        self.with(permission)
    }
}

impl FromRequest for ScimCaller {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let caller = Caller::from_request(req, payload);
        Box::pin(async move { Ok(ScimCaller(caller.await)) })
    }
}
