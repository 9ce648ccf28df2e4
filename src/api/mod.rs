//! Doors for machines: API tokens and the JSON API under `/api/v1`. Handlers call the same
//! use cases as the pages (`users::actions::*::service`); errors are RFC 9457 problem details.
//! `/api/v1/openapi.json` is generated from the handlers' annotations (utoipa), not written
//! by hand.

pub mod audit;
pub mod caller;
pub mod catalog;
pub mod invitations;
pub mod problem;
pub mod tokens;
pub mod users;
pub mod workspaces;

use actix_web::{web, HttpResponse};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Gatehouse API",
        description = "Users, their access and licenses, for products, scripts and identity providers. Authenticate with `Authorization: Bearer <token>` (Settings → API tokens). Errors are RFC 9457 problem details.",
    ),
    paths(
        users::list,
        users::get,
        users::access,
        users::write::create,
        users::write::update,
        users::remove::delete,
        invitations::invite,
        invitations::resend,
        invitations::revoke,
        catalog::roles,
        catalog::products,
        catalog::groups,
        catalog::fields,
        audit::events,
        users::status::deactivate,
        users::status::activate,
        workspaces::list,
        workspaces::members,
        workspaces::add,
        workspaces::update,
        workspaces::revoke,
    ),
    components(schemas(
        users::UserSummary,
        users::UserPage,
        users::UserDetail,
        users::EffectiveAccess,
        users::write::UserPatch,
        users::write::NewUser,
        users::write::FieldValue,
        users::remove::DeletedUser,
        invitations::Invitation,
        catalog::RoleOut,
        catalog::ProductOut,
        catalog::GroupOut,
        catalog::FieldOut,
        audit::AuditEvent,
        audit::AuditPage,
        workspaces::WorkspaceOut,
        workspaces::MemberOut,
        workspaces::MemberPage,
        workspaces::Access,
        workspaces::NewMember,
        workspaces::Revoked,
        problem::ProblemBody,
        problem::FieldProblem,
    )),
    modifiers(&BearerAuth),
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    // A body that is not the JSON asked for: problem details too.
    let json = web::JsonConfig::default()
        .limit(256 * 1024)
        .error_handler(|error, _| {
            problem::Problem::new(
                actix_web::http::StatusCode::BAD_REQUEST,
                format!("The body is not the JSON this endpoint takes: {error}"),
            )
            .into()
        });
    // A query that does not parse (a cursor that is not a number …): problem details on the
    // API and SCIM, the console's error page or toast elsewhere.
    let query = web::QueryConfig::default().error_handler(|error, req| {
        let message = format!("The address's query is not one this page takes: {error}.");
        if req.path().starts_with("/scim/") {
            crate::scim::error::ScimError::bad("invalidValue", message).into()
        } else if is_machine_path(req.path()) {
            problem::Problem::new(actix_web::http::StatusCode::BAD_REQUEST, message).into()
        } else {
            crate::web::AppError::BadRequest(message).into()
        }
    });
    cfg.app_data(json)
        .app_data(query)
        .route("/api/v1/openapi.json", web::get().to(openapi))
        .configure(users::configure)
        .configure(invitations::configure)
        .configure(catalog::configure)
        .configure(audit::configure)
        .configure(workspaces::configure)
        .configure(tokens::routes::configure);
}

/// The OpenAPI 3.1 document of the API (public: it describes, it does not grant).
pub async fn openapi() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}

/// Whether a path belongs to the machine doors (bearer tokens, no cookies, no CSRF, errors as
/// problem details).
pub fn is_machine_path(path: &str) -> bool {
    path.starts_with("/api/") || path.starts_with("/scim/") || path == "/metrics"
}
