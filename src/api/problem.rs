//! RFC 9457 problem details: every API error as `application/problem+json`, with the field
//! errors the HTML forms show beside their fields.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::validation::FieldErrors;
use crate::web::AppError;

pub const CONTENT_TYPE: &str = "application/problem+json";

/// One field's message.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FieldProblem {
    pub field: String,
    pub message: String,
}

/// The body of every error answer.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProblemBody {
    /// `about:blank`: the status and title say it all.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub title: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Each field's message, for a request some of whose fields need attention.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
}

#[derive(Debug, Clone)]
pub struct Problem {
    pub status: StatusCode,
    pub detail: Option<String>,
    pub errors: Vec<FieldProblem>,
    /// Seconds, for `429` (`Retry-After`).
    pub retry_after: Option<u64>,
    /// For `401`: what `WWW-Authenticate` says.
    pub challenge: Option<&'static str>,
}

impl Problem {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Problem {
            status,
            detail: Some(detail.into()),
            errors: Vec::new(),
            retry_after: None,
            challenge: None,
        }
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Problem {
            challenge: Some("Bearer realm=\"gatehouse\""),
            ..Problem::new(StatusCode::UNAUTHORIZED, detail)
        }
    }

    pub fn not_found() -> Self {
        Problem::new(
            StatusCode::NOT_FOUND,
            "That does not exist, or it belongs to another organization.",
        )
    }

    /// `422` with each field's message.
    pub fn fields(errors: &FieldErrors) -> Self {
        Problem {
            errors: errors
                .iter()
                .map(|(field, message)| FieldProblem {
                    field: field.to_owned(),
                    message: message.to_owned(),
                })
                .collect(),
            ..Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Some fields need attention; nothing was changed.",
            )
        }
    }

    pub fn body(&self) -> ProblemBody {
        ProblemBody {
            kind: "about:blank",
            title: self.status.canonical_reason().unwrap_or("Error").to_owned(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            errors: self.errors.clone(),
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}",
            self.status,
            self.detail.as_deref().unwrap_or("")
        )
    }
}

impl ResponseError for Problem {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        response.insert_header((header::CONTENT_TYPE, CONTENT_TYPE));
        if let Some(seconds) = self.retry_after {
            response.insert_header((header::RETRY_AFTER, seconds.to_string()));
        }
        if let Some(challenge) = self.challenge {
            response.insert_header((header::WWW_AUTHENTICATE, challenge));
        }
        response.body(serde_json::to_string(&self.body()).unwrap_or_default())
    }
}

impl From<AppError> for Problem {
    fn from(error: AppError) -> Self {
        let status = error.status_code();
        match error {
            AppError::NotFound => Problem::not_found(),
            AppError::Unexpected(cause) => {
                let id =
                    crate::web::request_id::current().unwrap_or_else(crate::auth::tokens::short_id);
                log::error!("API request failed: {cause:#}");
                Problem::new(
                    status,
                    format!("Something went wrong on our side (request {id})."),
                )
            }
            AppError::Unauthorized | AppError::PasswordExpired | AppError::StepUp => {
                Problem::unauthorized(error.to_string())
            }
            other => Problem::new(status, other.to_string()),
        }
    }
}

impl From<diesel::result::Error> for Problem {
    fn from(error: diesel::result::Error) -> Self {
        AppError::from(error).into()
    }
}
