//! SCIM errors (RFC 7644 §3.12): `application/scim+json` bodies with the status as a string
//! and, where it applies, a `scimType`.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpRequest, HttpResponse, ResponseError};

use crate::api::problem::Problem;
use crate::web::AppError;

pub const CONTENT_TYPE: &str = "application/scim+json";
const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

#[derive(Debug, Clone)]
pub struct ScimError {
    pub status: StatusCode,
    /// `invalidFilter`, `uniqueness`, `invalidValue`, `invalidPath`, `noTarget`, `mutability` …
    pub scim_type: Option<&'static str>,
    pub detail: String,
}

impl ScimError {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        ScimError {
            status,
            scim_type: None,
            detail: detail.into(),
        }
    }

    pub fn typed(status: StatusCode, scim_type: &'static str, detail: impl Into<String>) -> Self {
        ScimError {
            status,
            scim_type: Some(scim_type),
            detail: detail.into(),
        }
    }

    pub fn bad(scim_type: &'static str, detail: impl Into<String>) -> Self {
        Self::typed(StatusCode::BAD_REQUEST, scim_type, detail)
    }

    pub fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "No such resource (or it belongs to another organization).",
        )
    }
}

impl std::fmt::Display for ScimError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status, self.detail)
    }
}

impl ResponseError for ScimError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut body = serde_json::json!({
            "schemas": [ERROR_SCHEMA],
            "status": self.status.as_u16().to_string(),
            "detail": self.detail,
        });
        if let Some(scim_type) = self.scim_type {
            body["scimType"] = scim_type.into();
        }
        let mut response = HttpResponse::build(self.status);
        response.insert_header((header::CONTENT_TYPE, CONTENT_TYPE));
        if self.status == StatusCode::UNAUTHORIZED {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"gatehouse\""));
        }
        response.body(body.to_string())
    }
}

impl From<Problem> for ScimError {
    fn from(problem: Problem) -> Self {
        let mut detail = problem.detail.clone().unwrap_or_default();
        for field in &problem.errors {
            detail.push_str(&format!(" {}: {}", field.field, field.message));
        }
        let scim_type =
            (problem.status == StatusCode::UNPROCESSABLE_ENTITY).then_some("invalidValue");
        let status = if problem.status == StatusCode::UNPROCESSABLE_ENTITY {
            StatusCode::BAD_REQUEST
        } else {
            problem.status
        };
        ScimError {
            status,
            scim_type,
            detail,
        }
    }
}

impl From<AppError> for ScimError {
    fn from(error: AppError) -> Self {
        Problem::from(error).into()
    }
}

impl From<diesel::result::Error> for ScimError {
    fn from(error: diesel::result::Error) -> Self {
        AppError::from(error).into()
    }
}

/// Any other path or method under `/scim/v2`: 405 for a known endpoint, else 404.
pub async fn unmatched(req: HttpRequest) -> Result<HttpResponse, ScimError> {
    let path = req.path().trim_end_matches('/');
    let known = [
        "/scim/v2/ServiceProviderConfig",
        "/scim/v2/ResourceTypes",
        "/scim/v2/Schemas",
        "/scim/v2/Users",
        "/scim/v2/Groups",
    ];
    let known = known.contains(&path)
        || path.starts_with("/scim/v2/ResourceTypes/")
        || path.starts_with("/scim/v2/Schemas/")
        || path.starts_with("/scim/v2/Users/")
        || path.starts_with("/scim/v2/Groups/");
    Err(if known {
        ScimError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "This endpoint does not take that method.",
        )
    } else {
        ScimError::not_found()
    })
}

/// `POST /.search` across resource types: not offered (search `/Users/.search` or
/// `/Groups/.search`), as RFC 7644 lets a provider answer.
pub async fn root_search(caller: super::ScimCaller) -> Result<HttpResponse, ScimError> {
    caller.get()?;
    Err(ScimError::new(
        StatusCode::NOT_IMPLEMENTED,
        "Search one resource type at a time: /Users/.search or /Groups/.search.",
    ))
}
