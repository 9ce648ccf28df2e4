//! The one place that decides between a full page and a fragment, plus toast headers.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

use super::AppError;

/// An htmx request that wants a fragment: not a boosted navigation, not a history restore.
pub fn is_htmx(req: &HttpRequest) -> bool {
    let has = |name: &str| {
        req.headers()
            .get(name)
            .is_some_and(|v| v.as_bytes() == b"true")
    };
    has("HX-Request") && !has("HX-Boosted") && !has("HX-History-Restore-Request")
}

/// Renders a template into an HTML response.
pub fn html<T: Template>(template: &T) -> Result<HttpResponse, AppError> {
    html_with_status(template, actix_web::http::StatusCode::OK)
}

pub fn html_with_status<T: Template>(
    template: &T,
    status: actix_web::http::StatusCode,
) -> Result<HttpResponse, AppError> {
    let body = render(template)?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body))
}

thread_local! {
    /// Each worker renders into one buffer that keeps its capacity, so a 100 KB page is written
    /// without growing a new string through every size up to it; the response gets one copy.
    static BUFFER: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

/// Renders a template once into the worker's buffer and returns the bytes.
pub fn render<T: Template>(template: &T) -> Result<actix_web::web::Bytes, AppError> {
    BUFFER.with(|buffer| {
        let mut buffer = buffer.borrow_mut();
        buffer.clear();
        template
            .render_into(&mut *buffer)
            .map_err(|e| AppError::Unexpected(e.into()))?;
        let body = actix_web::web::Bytes::copy_from_slice(buffer.as_bytes());
        // A rare huge page does not pin its memory to the worker for good.
        if buffer.capacity() > 1 << 20 {
            *buffer = String::new();
        }
        Ok(body)
    })
}

/// Only `fragment` for an htmx request, else the full page built around it. Either way the
/// answer varies by `HX-Request`, so caches keep them apart.
pub fn page_or_fragment<P: Template, F: Template>(
    req: &HttpRequest,
    fragment: F,
    page: impl FnOnce(F) -> P,
) -> Result<HttpResponse, AppError> {
    let mut response = if is_htmx(req) {
        html(&fragment)?
    } else {
        html(&page(fragment))?
    };
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("HX-Request"));
    Ok(response)
}

/// The URL the browser shows (htmx sends it along), for coming back after sign-in.
pub fn current_url(req: &HttpRequest) -> String {
    let path = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    if is_htmx(req) {
        if let Some(url) = req
            .headers()
            .get("HX-Current-URL")
            .and_then(|v| v.to_str().ok())
        {
            if let Some(rest) = url
                .split_once("://")
                .and_then(|(_, rest)| rest.find('/').map(|i| &rest[i..]))
            {
                return rest.to_owned();
            }
        }
    }
    if req.method() == actix_web::http::Method::GET {
        path.to_owned()
    } else {
        "/users".to_owned()
    }
}

#[derive(Debug, Clone, Copy)]
pub enum ToastKind {
    Success,
    Error,
}

/// `HX-Trigger` header that makes app.js show a toast.
pub fn toast_header(kind: ToastKind, message: &str) -> (&'static str, String) {
    let kind = match kind {
        ToastKind::Success => "success",
        ToastKind::Error => "error",
    };
    let payload = serde_json::json!({ "toast": { "kind": kind, "message": message } });
    ("HX-Trigger", payload.to_string())
}
