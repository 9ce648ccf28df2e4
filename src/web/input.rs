//! One input rule for all text: no control characters (NUL, ESC, DEL, C1 …) in any query
//! parameter or form field, on every route, before any handler or database sees it. Without
//! it PostgreSQL refuses a NUL byte with an error (a 500), SQLite stores it, and a CSV
//! export stops halfway. Tabs and line breaks pass here (a pasted CSV has them); single-line
//! fields refuse those with a message next to the field (`text::single_line`).

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::ResponseError;
use actix_web::{web, HttpMessage};
use futures_util::StreamExt;

use super::AppError;

/// The largest form body read (the forms' own limit).
const MAX_FORM_BYTES: usize = 1 << 20;

/// Whether a character is refused in any text.
pub fn is_forbidden(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

/// The first field of `pairs` whose name or value holds a forbidden character.
fn offending(pairs: &[(String, String)]) -> Option<&str> {
    pairs
        .iter()
        .find(|(name, value)| name.chars().chain(value.chars()).any(is_forbidden))
        .map(|(name, _)| name.as_str())
}

fn refusal(field: &str, place: &str) -> AppError {
    let label = field.replace('_', " ");
    AppError::BadRequest(format!(
        "The {place} field “{label}” contains a control character (such as a NUL byte), which no field accepts. Nothing was changed: remove it and try again."
    ))
}

/// Middleware: refuses (400) a request whose query or form fields contain a control
/// character, before anything reads them.
pub async fn refuse_control_characters(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    // Answered as a response (not an `Err`), so the error renderer outside shows it as a page
    // or a toast like any other refusal.
    let refuse =
        |req: ServiceRequest, error: AppError| Ok(req.into_response(error.error_response()));
    if !req.query_string().is_empty() {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
        if let Some(field) = offending(&pairs) {
            let error = refusal(field, "address's");
            return refuse(req, error);
        }
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if is_form {
        let mut payload = req.take_payload();
        let mut body = web::BytesMut::new();
        while let Some(chunk) = payload.next().await {
            let chunk = chunk?;
            if body.len() + chunk.len() > MAX_FORM_BYTES {
                let error = AppError::TooLarge(
                    "The form is larger than 1 MB. Nothing was changed: send less at a time."
                        .into(),
                );
                return refuse(req, error);
            }
            body.extend_from_slice(&chunk);
        }
        let body = body.freeze();
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
        if let Some(field) = offending(&pairs) {
            let error = refusal(field, "form's");
            return refuse(req, error);
        }
        req.set_payload(Payload::from(body));
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_refused_but_tabs_and_line_breaks_pass() {
        for bad in ['\0', '\u{1b}', '\u{7f}', '\u{85}', '\u{8}'] {
            assert!(is_forbidden(bad), "{bad:?}");
        }
        for fine in ['\t', '\n', '\r', 'a', 'é', ' ', '€'] {
            assert!(!is_forbidden(fine), "{fine:?}");
        }
        let pairs = vec![
            ("q".to_owned(), "ada".to_owned()),
            ("first_name".to_owned(), "a\0b".to_owned()),
        ];
        assert_eq!(offending(&pairs), Some("first_name"));
    }
}
