//! The one place that decides between a full page and a fragment, and the one that writes
//! htmx response headers (`Hx`): handlers say what should happen, never spell a header.

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

/// A dialog's change is saved: a toast, the dialog closed, and `view` in place of `selector`
/// (the list the change belongs to).
pub fn replaced<T: Template>(
    selector: &str,
    view: &T,
    message: &str,
) -> Result<HttpResponse, AppError> {
    Hx::new()
        .toast(ToastKind::Success, message)
        .close_dialog()
        .retarget(selector)
        .reswap("outerHTML")
        .on(html(view)?)
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
    Info,
}

impl ToastKind {
    fn as_str(self) -> &'static str {
        match self {
            ToastKind::Success => "success",
            ToastKind::Error => "error",
            ToastKind::Info => "info",
        }
    }
}

/// `HX-Trigger` header that makes app.js show a toast.
pub fn toast_header(kind: ToastKind, message: &str) -> (&'static str, String) {
    let payload = serde_json::json!({ "toast": { "kind": kind.as_str(), "message": message } });
    ("HX-Trigger", ascii_json(&payload))
}

/// JSON with every non-ASCII character escaped (`\u201c`): a header value is read as
/// Latin-1 by the browser, so "“VIP”" must travel as escapes to arrive intact.
fn ascii_json(value: &serde_json::Value) -> String {
    let mut out = String::new();
    for c in value.to_string().chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

/// What an htmx answer asks of the page besides its swap: events for app.js (a toast, a
/// notice, closing the dialog, reloading the users table), another target or swap style, or
/// a navigation.
#[derive(Debug, Default)]
pub struct Hx {
    trigger: serde_json::Map<String, serde_json::Value>,
    retarget: Option<String>,
    reswap: Option<&'static str>,
    redirect: Option<String>,
}

impl Hx {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn toast(mut self, kind: ToastKind, message: &str) -> Self {
        self.trigger.insert(
            "toast".into(),
            serde_json::json!({ "kind": kind.as_str(), "message": message }),
        );
        self
    }

    /// A second message beside the toast (the last seat of a product was just taken, say).
    pub fn notice(mut self, kind: ToastKind, message: &str) -> Self {
        self.trigger.insert(
            "notice".into(),
            serde_json::json!({ "kind": kind.as_str(), "message": message }),
        );
        self
    }

    /// Closes the open dialog.
    pub fn close_dialog(self) -> Self {
        self.event("closeModal")
    }

    /// Reloads the User Management table with its own filters.
    pub fn users_changed(self) -> Self {
        self.event("usersChanged")
    }

    fn event(mut self, name: &str) -> Self {
        self.trigger
            .insert(name.into(), serde_json::Value::Bool(true));
        self
    }

    /// Swaps into `selector` instead of the request's target.
    pub fn retarget(mut self, selector: impl Into<String>) -> Self {
        self.retarget = Some(selector.into());
        self
    }

    /// `outerHTML`, `none` …
    pub fn reswap(mut self, how: &'static str) -> Self {
        self.reswap = Some(how);
        self
    }

    /// A full navigation to `location`.
    pub fn redirect(mut self, location: impl Into<String>) -> Self {
        self.redirect = Some(location.into());
        self
    }

    /// These headers on `response`.
    pub fn on(self, mut response: HttpResponse) -> Result<HttpResponse, AppError> {
        let value =
            |text: &str| HeaderValue::from_str(text).map_err(|e| AppError::Unexpected(e.into()));
        let headers = response.headers_mut();
        if !self.trigger.is_empty() {
            let trigger = ascii_json(&serde_json::Value::Object(self.trigger));
            headers.insert(
                header::HeaderName::from_static("hx-trigger"),
                value(&trigger)?,
            );
        }
        if let Some(target) = &self.retarget {
            headers.insert(
                header::HeaderName::from_static("hx-retarget"),
                value(target)?,
            );
        }
        if let Some(how) = self.reswap {
            headers.insert(
                header::HeaderName::from_static("hx-reswap"),
                HeaderValue::from_static(how),
            );
        }
        if let Some(location) = &self.redirect {
            headers.insert(
                header::HeaderName::from_static("hx-redirect"),
                value(location)?,
            );
        }
        Ok(response)
    }

    /// These headers on an empty 200.
    pub fn empty(self) -> Result<HttpResponse, AppError> {
        self.on(HttpResponse::Ok().finish())
    }
}

/// After a change to a row: htmx gets a toast, the dialog closes and the table reloads; a
/// plain form post goes back to the list.
pub fn changed(req: &HttpRequest, message: &str) -> HttpResponse {
    if is_htmx(req) {
        Hx::new()
            .toast(ToastKind::Success, message)
            .users_changed()
            .close_dialog()
            .reswap("none")
            .empty()
            .unwrap_or_else(|_| HttpResponse::Ok().finish())
    } else {
        HttpResponse::SeeOther()
            .insert_header(("Location", "/users?active=0"))
            .finish()
    }
}

/// Extractor for routes that answer only htmx (a dialog, a row): a plain request (a link
/// opened in a new tab, a reload) is sent to the page the fragment belongs to.
pub struct Fragment;

impl actix_web::FromRequest for Fragment {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        std::future::ready(Fragment::of(req))
    }
}

impl Fragment {
    /// For helpers that take the request: the same check as the extractor.
    pub fn of(req: &HttpRequest) -> Result<Fragment, AppError> {
        if is_htmx(req) {
            Ok(Fragment)
        } else {
            Err(AppError::SeeOther(owning_page(req.path())))
        }
    }
}

/// `/users/7/edit` belongs to `/users`, `/settings/x` to `/settings`.
fn owning_page(path: &str) -> String {
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    match first {
        "settings" | "activity" | "account" => format!("/{first}"),
        _ => "/users".to_owned(),
    }
}

#[cfg(test)]
mod ascii_tests {
    #[test]
    fn header_json_escapes_what_is_not_ascii() {
        let value = serde_json::json!({ "toast": { "message": "Tag “VIP” 😀" } });
        let text = super::ascii_json(&value);
        assert!(text.is_ascii(), "{text}");
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&text).unwrap(),
            value
        );
    }
}
