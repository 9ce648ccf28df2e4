//! `AppError` and how errors reach people: a toast for htmx requests, a page otherwise, the
//! sign-in page for anonymous visitors. A 500 shows only a request id; the cause goes to the log.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

use super::htmx;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("That page does not exist, or it belongs to another organization.")]
    NotFound,
    #[error("You do not have permission to do that. Ask an administrator of your organization for access.")]
    Forbidden,
    /// Forbidden, saying why (a rule about the user acted on, not a missing permission).
    #[error("{0} Nothing was changed.")]
    Denied(String),
    #[error("Please sign in to continue.")]
    Unauthorized,
    /// Signed in on a password alone, and the organization now requires a second factor of
    /// this person (a role, a permission or the policy changed): sign in again with it.
    #[error("Your access now requires two-step verification. Sign in again to complete it.")]
    StepUp,
    /// Signed in, but the password is past the organization's limit: change it first.
    #[error("Your password has expired. Choose a new one to continue.")]
    PasswordExpired,
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Conflict(String),
    /// A request body past its limit (413), refused before the rest is read.
    #[error("{0}")]
    TooLarge(String),
    #[error("Something went wrong on our side.")]
    Unexpected(#[from] anyhow::Error),
    /// The database does not answer (stopped, restarting, unreachable): a 503 at once rather
    /// than a hang; the pool reconnects by itself when it is back.
    #[error("The database is not answering right now. Try again in a moment.")]
    Unavailable,
    /// The database refused to write (its disk is full, or it is read-only): nothing was
    /// changed, reading still works; the operator must make room.
    #[error("Nothing was saved: the database cannot take changes right now (its disk is full or it is read-only). Pages can still be viewed; tell the person who runs Gatehouse.")]
    NotWritable,
    /// Not an error for the person: go to this page instead (a fragment asked for as a page).
    #[error("See {0}")]
    SeeOther(String),
}

/// A service's error, sorted for its handler: what the form shows again stays (`Ok`), what
/// the error pages answer (not found, refused, the database) becomes an `AppError`.
pub trait ServiceError: Sized {
    fn sort(self) -> Result<Self, AppError>;
}

/// A service's result for a handler that shows some errors in its form: `Ok(Ok(value))`,
/// `Ok(Err(shown))`, or `Err` for the error pages (so `?` takes care of those).
pub fn triage<T, E: ServiceError>(result: Result<T, E>) -> Result<Result<T, E>, AppError> {
    match result {
        Ok(value) => Ok(Ok(value)),
        Err(error) => error.sort().map(Err),
    }
}

impl ServiceError for crate::users::actions::edit::service::EditError {
    fn sort(self) -> Result<Self, AppError> {
        use crate::users::actions::edit::service::EditError;
        match self {
            EditError::NotFound => Err(AppError::NotFound),
            EditError::Refused(refusal) => Err(refusal.into()),
            EditError::Database(e) => Err(e.into()),
            shown => Ok(shown),
        }
    }
}

impl ServiceError for crate::users::actions::permissions::service::AccessError {
    fn sort(self) -> Result<Self, AppError> {
        use crate::users::actions::permissions::service::AccessError;
        match self {
            AccessError::NotFound => Err(AppError::NotFound),
            AccessError::Refused(refusal) => Err(refusal.into()),
            AccessError::Database(e) => Err(e.into()),
            shown => Ok(shown),
        }
    }
}

impl ServiceError for crate::users::import::service::ImportError {
    fn sort(self) -> Result<Self, AppError> {
        use crate::users::import::service::ImportError;
        match self {
            ImportError::Database(e) => Err(e.into()),
            shown => Ok(shown),
        }
    }
}

impl ServiceError for crate::settings::service::SettingsError {
    fn sort(self) -> Result<Self, AppError> {
        use crate::settings::service::SettingsError;
        match self {
            SettingsError::Database(e) => Err(e.into()),
            shown => Ok(shown),
        }
    }
}

impl ServiceError for crate::settings::service::SeatsError {
    fn sort(self) -> Result<Self, AppError> {
        use crate::settings::service::SeatsError;
        match self {
            SeatsError::Database(e) => Err(e.into()),
            shown => Ok(shown),
        }
    }
}

impl ServiceError for crate::signup::service::ConfirmError {
    fn sort(self) -> Result<Self, AppError> {
        use crate::signup::service::ConfirmError;
        match self {
            ConfirmError::Database(e) => Err(e.into()),
            shown => Ok(shown),
        }
    }
}

impl From<crate::users::authority::Refusal> for AppError {
    fn from(refusal: crate::users::authority::Refusal) -> Self {
        AppError::Denied(refusal.to_string())
    }
}

impl From<crate::users::authority::Denied> for AppError {
    fn from(denied: crate::users::authority::Denied) -> Self {
        use crate::users::authority::Denied;
        match denied {
            Denied::NotFound => AppError::NotFound,
            Denied::Refused(refusal) => refusal.into(),
            Denied::Database(e) => e.into(),
        }
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(error: diesel::result::Error) -> Self {
        match error {
            diesel::result::Error::NotFound => AppError::NotFound,
            // The connection died under the query (the server stopped or restarted).
            lost if crate::db::is_connection_lost(&lost) => AppError::Unavailable,
            full if crate::db::is_not_writable(&full) => {
                log::error!("the database refused a write: {full}");
                AppError::NotWritable
            }
            other => AppError::Unexpected(other.into()),
        }
    }
}

/// What the rendering middleware needs to turn an error into a page or a toast.
#[derive(Debug, Clone)]
pub struct ErrorReport {
    pub message: String,
    pub request_id: Option<String>,
    /// For 401: where the person goes to continue (the sign-in page by default).
    pub continue_at: Option<&'static str>,
}

/// Where a person with an expired password changes it.
pub const EXPIRED_PASSWORD_PATH: &str = "/account/password/expired";

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Forbidden | AppError::Denied(_) => StatusCode::FORBIDDEN,
            AppError::Unauthorized | AppError::PasswordExpired | AppError::StepUp => {
                StatusCode::UNAUTHORIZED
            }
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
            AppError::Unavailable | AppError::NotWritable => StatusCode::SERVICE_UNAVAILABLE,
            AppError::SeeOther(_) => StatusCode::SEE_OTHER,
        }
    }

    fn error_response(&self) -> HttpResponse<BoxBody> {
        if let AppError::SeeOther(location) = self {
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, location.as_str()))
                .finish();
        }
        let request_id = match self {
            AppError::Unexpected(cause) => {
                // Logged inside the request's span, which names the same id.
                log::error!("request failed: {cause:#}");
                Some(super::request_id::current().unwrap_or_else(crate::auth::tokens::short_id))
            }
            _ => None,
        };
        let mut response = HttpResponse::new(self.status_code());
        if let AppError::Unavailable = self {
            log::warn!("the database does not answer: 503");
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from_static("5"));
        }
        response.extensions_mut().insert(ErrorReport {
            message: self.to_string(),
            request_id,
            continue_at: match self {
                AppError::PasswordExpired => Some(EXPIRED_PASSWORD_PATH),
                AppError::StepUp => Some("/login?notice=step-up"),
                _ => None,
            },
        });
        response
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    title: &'a str,
    message: &'a str,
    request_id: Option<&'a str>,
}

fn title_for(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "That request could not be understood",
        403 => "Access denied",
        404 => "Not found",
        405 => "Not allowed",
        409 => "Conflict",
        413 => "Too large",
        429 => "Too many attempts",
        _ => "Something went wrong",
    }
}

fn default_message(status: StatusCode) -> &'static str {
    match status.as_u16() {
        404 => "That page does not exist, or it belongs to another organization.",
        405 => "That address does not accept this kind of request.",
        413 => "What you sent is too large.",
        _ if status.is_server_error() => "Something went wrong on our side.",
        _ => "The request could not be handled. Go back and try again.",
    }
}

/// A 500 without a report (from outside the handlers) while the database does not answer:
/// said as what it is, a 503.
fn unavailable_if_unreachable(
    (status, report): (StatusCode, Option<ErrorReport>),
    unreachable: bool,
) -> (StatusCode, Option<ErrorReport>) {
    if status == StatusCode::INTERNAL_SERVER_ERROR && report.is_none() && unreachable {
        let report = ErrorReport {
            message: AppError::Unavailable.to_string(),
            request_id: None,
            continue_at: None,
        };
        (StatusCode::SERVICE_UNAVAILABLE, Some(report))
    } else {
        (status, report)
    }
}

/// An error of the API or SCIM that is not yet in the door's own format: problem details,
/// or a SCIM error, with the refusal's message.
fn machine_error(res: ServiceResponse<BoxBody>) -> ServiceResponse<BoxBody> {
    let status = res.status();
    let typed = res
        .response()
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"));
    let door = res.request().path();
    let own = door.starts_with("/api/") || door.starts_with("/scim/");
    if typed || !own || !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let message = res
        .response()
        .extensions()
        .get::<ErrorReport>()
        .map_or_else(|| default_message(status).to_owned(), |r| r.message.clone());
    let (req, _) = res.into_parts();
    let response = if req.path().starts_with("/scim/") {
        crate::scim::error::ScimError::new(status, message).error_response()
    } else {
        crate::api::problem::Problem::new(status, message).error_response()
    };
    ServiceResponse::new(req, response)
}

/// Middleware: renders every error response for the kind of request that caused it.
pub async fn render(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    // The machine doors, and the load balancer's readiness probe (plain text).
    let machine = crate::api::is_machine_path(req.path()) || req.path() == "/readyz";
    let health = req.app_data::<super::State>().map(|s| s.health.clone());
    let res = next.call(req).await?.map_into_boxed_body();
    let status = res.status();
    // The machine doors answer problem details of their own, and so do refusals made before
    // their handlers (the input rule, the body limit) on their behalf.
    if machine {
        return Ok(machine_error(res));
    }
    if !(status.is_client_error() || status.is_server_error())
        || status == StatusCode::UNPROCESSABLE_ENTITY
    {
        return Ok(res);
    }
    let report = res.response().extensions().get::<ErrorReport>().cloned();
    let unreachable = health.is_some_and(|h| h.unreachable_recently());
    let (status, report) = unavailable_if_unreachable((status, report), unreachable);
    // Handlers that already rendered their own error body (a 429 page, say) keep it.
    if report.is_none() && res.response().headers().contains_key(header::CONTENT_TYPE) {
        let is_html = res
            .response()
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/html"));
        if is_html {
            return Ok(res);
        }
    }
    let report = report.unwrap_or_else(|| ErrorReport {
        message: default_message(status).into(),
        request_id: None,
        continue_at: None,
    });
    let (req, _) = res.into_parts();
    let is_htmx = htmx::is_htmx(&req);

    let response = if status == StatusCode::UNAUTHORIZED {
        let next_url = htmx::current_url(&req);
        let continue_at = report.continue_at.unwrap_or("/login");
        let location = format!(
            "{continue_at}{}next={}",
            if continue_at.contains('?') { '&' } else { '?' },
            urlencode(&next_url)
        );
        if is_htmx {
            HttpResponse::Ok()
                .insert_header(("HX-Redirect", location))
                .finish()
        } else {
            HttpResponse::SeeOther()
                .insert_header((header::LOCATION, location))
                .finish()
        }
    } else if is_htmx {
        let mut message = report.message.clone();
        if let Some(id) = &report.request_id {
            message = format!("{message} (request {id})");
        }
        HttpResponse::build(status)
            .insert_header(("HX-Reswap", "none"))
            .insert_header(htmx::toast_header(htmx::ToastKind::Error, &message))
            .finish()
    } else {
        let page = ErrorPage {
            status: status.as_u16(),
            title: title_for(status),
            message: &report.message,
            request_id: report.request_id.as_deref(),
        };
        match page.render() {
            Ok(html) => HttpResponse::build(status)
                .content_type("text/html; charset=utf-8")
                .body(html),
            Err(_) => HttpResponse::build(status).body(report.message),
        }
    };
    Ok(ServiceResponse::new(req, response))
}

pub fn urlencode(text: &str) -> String {
    serde_urlencoded::to_string([("", text)])
        .map(|s| s[1..].to_owned())
        .unwrap_or_default()
}
