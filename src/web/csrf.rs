//! CSRF protection for every state-changing request, forms and htmx alike.
//!
//! A signed double-submit cookie: the token lives in a signed, HttpOnly cookie and every unsafe
//! request must echo it, in the hidden `csrf_token` field or the `X-CSRF-Token` header (htmx
//! sends it through `hx-headers` on `<body>`). Anonymous pages (sign-in, setup) get the same
//! protection without a server-side session row per visitor. On top, a cross-site `Origin` or
//! `Sec-Fetch-Site` is refused outright.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::cookie::{Cookie, CookieJar, SameSite};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest, HttpResponse};
use futures_util::StreamExt;

use super::errors::ErrorReport;
use super::State;

pub const FIELD: &str = "csrf_token";
pub const HEADER: &str = "X-CSRF-Token";
const MAX_FORM_BYTES: usize = 1 << 20;

/// The request's CSRF token, for templates.
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

/// Set by a handler (sign-in) to issue a fresh token with its response.
#[derive(Debug, Clone)]
struct RotatedToken(String);

fn cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-gatehouse_csrf"
    } else {
        "gatehouse_csrf"
    }
}

/// The token of this request (present on every request that went through the middleware).
pub fn token(req: &HttpRequest) -> String {
    if let Some(rotated) = req.extensions().get::<RotatedToken>() {
        return rotated.0.clone();
    }
    req.extensions()
        .get::<CsrfToken>()
        .map(|t| t.0.clone())
        .unwrap_or_default()
}

/// Issues a new token (at sign-in), so a token seen before authentication is worthless after.
pub fn rotate(req: &HttpRequest) {
    req.extensions_mut()
        .insert(RotatedToken(crate::auth::tokens::random_token()));
}

fn refuse(req: ServiceRequest, message: &str) -> ServiceResponse<BoxBody> {
    let mut response = HttpResponse::new(StatusCode::FORBIDDEN);
    response.extensions_mut().insert(ErrorReport {
        message: message.to_owned(),
        request_id: None,
        continue_at: None,
    });
    req.into_response(response)
}

fn same_origin(req: &ServiceRequest, base_url: &str) -> bool {
    if req
        .headers()
        .get("Sec-Fetch-Site")
        .is_some_and(|v| v.as_bytes() == b"cross-site")
    {
        return false;
    }
    // No Origin (old browsers, non-browser clients) or `Origin: null`, which browsers send on
    // same-origin form posts when the page's Referrer-Policy is no-referrer (ours is): the
    // Sec-Fetch-Site check above and the token decide.
    let Some(origin) = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .filter(|origin| *origin != "null")
    else {
        return true;
    };
    let base_origin = base_url.trim_end_matches('/');
    let base_origin = match base_origin
        .find("://")
        .and_then(|i| base_origin[i + 3..].find('/').map(|j| i + 3 + j))
    {
        Some(end) => &base_origin[..end],
        None => base_origin,
    };
    let host = req.connection_info().host().to_owned();
    origin == base_origin
        || origin == format!("http://{host}")
        || origin == format!("https://{host}")
}

async fn form_token(req: &mut ServiceRequest) -> Option<String> {
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return None;
    }
    let mut payload = req.take_payload();
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.ok()?;
        if body.len() + chunk.len() > MAX_FORM_BYTES {
            return None;
        }
        body.extend_from_slice(&chunk);
    }
    let body = body.freeze();
    let token = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body)
        .ok()?
        .into_iter()
        .find(|(name, _)| name == FIELD)
        .map(|(_, value)| value);
    req.set_payload(Payload::from(body));
    token
}

/// Middleware: hands every request a token and refuses unsafe requests that do not echo it.
pub async fn protect(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let state = req
        .app_data::<State>()
        .cloned()
        .expect("AppState is registered");
    let secure = state.config.secure_cookies_for(&state.base_url);
    let name = cookie_name(secure);
    let existing = req.cookie(name).and_then(|cookie| {
        let mut jar = CookieJar::new();
        jar.add_original(cookie);
        jar.signed(&state.cookie_key)
            .get(name)
            .map(|c| c.value().to_owned())
    });

    // The machine doors authenticate with a bearer token, never a cookie: no CSRF there (and
    // no token cookie handed out).
    if crate::api::is_machine_path(req.path()) {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if unsafe_method {
        if !same_origin(&req, &state.base_url) {
            return Ok(refuse(
                req,
                "This request came from another site and was refused. Nothing was changed.",
            ));
        }
        let supplied = match req.headers().get(HEADER).and_then(|v| v.to_str().ok()) {
            Some(value) => Some(value.to_owned()),
            None => form_token(&mut req).await,
        };
        let valid = matches!((&existing, &supplied), (Some(expected), Some(given)) if constant_time_eq(expected, given));
        if !valid {
            return Ok(refuse(
                req,
                "Your form expired or is missing its security token, so nothing was changed. Reload the page and try again.",
            ));
        }
    }

    let issue_new = existing.is_none();
    let token = existing.unwrap_or_else(crate::auth::tokens::random_token);
    req.extensions_mut().insert(CsrfToken(token.clone()));

    let mut res = next.call(req).await?.map_into_boxed_body();
    let rotated = res
        .request()
        .extensions()
        .get::<RotatedToken>()
        .map(|t| t.0.clone());
    if let Some(value) = rotated.or(if issue_new { Some(token) } else { None }) {
        let cookie = Cookie::build(name, value)
            .path("/")
            .http_only(true)
            .secure(secure)
            .same_site(SameSite::Lax)
            .finish();
        let mut jar = CookieJar::new();
        jar.signed_mut(&state.cookie_key).add(cookie);
        if let Some(signed) = jar.get(name) {
            res.response_mut().add_cookie(signed)?;
        }
    }
    Ok(res)
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

impl FromRequest for CsrfToken {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        std::future::ready(Ok(CsrfToken(token(req))))
    }
}
