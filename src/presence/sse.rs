//! Server-sent events plumbing shared by the live routes: frames, the streaming response and
//! who is asking (authenticated without counting as activity).

use std::time::Duration;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use tokio::sync::mpsc;

use crate::web::current_user::{self, CurrentUser};
use crate::web::{AppError, State};

/// A comment line this often keeps proxies from closing an idle stream and shows a closed
/// tab within seconds (the write fails).
pub const PING: Duration = Duration::from_secs(3);
/// How soon a browser reconnects after the stream drops.
pub const RETRY_MS: u32 = 2_000;

pub type Tx = mpsc::Sender<Result<web::Bytes, std::io::Error>>;

/// One event: `event:` (when named), `id:` (when given) and the data, one `data:` line per
/// line of text.
pub fn frame(event: Option<&str>, id: Option<i64>, data: &str) -> web::Bytes {
    let mut out = String::with_capacity(data.len() + 32);
    if let Some(event) = event {
        out.push_str("event: ");
        out.push_str(event);
        out.push('\n');
    }
    if let Some(id) = id {
        out.push_str(&format!("id: {id}\n"));
    }
    // EventSource ends a line at CR, LF or CRLF: every one becomes a `data:` line of its own,
    // so no value (a pasted allowlist, say) can start a field such as `event:` or `id:`.
    for line in data.split(['\r', '\n']) {
        out.push_str("data: ");
        out.push_str(line);
        out.push('\n');
    }
    out.push('\n');
    web::Bytes::from(out)
}

pub fn ping() -> web::Bytes {
    web::Bytes::from_static(b": ping\n\n")
}

pub fn hello() -> web::Bytes {
    web::Bytes::from(format!("retry: {RETRY_MS}\n: connected\n\n"))
}

/// The stream's last words when the server ends it: the browser stops reconnecting and says
/// why (`signed-out`, `no-access` or `replaced`).
pub fn end(why: super::Ended) -> web::Bytes {
    let data = match why {
        super::Ended::SignedOut => "signed-out",
        super::Ended::PermissionLost => "no-access",
        super::Ended::Replaced => "replaced",
    };
    frame(Some("end"), None, data)
}

/// The response around a channel the connection's task writes to.
pub fn response(rx: mpsc::Receiver<Result<web::Bytes, std::io::Error>>) -> HttpResponse {
    let mut rx = rx;
    let body = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx));
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/event-stream"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        // Proxies such as nginx would otherwise hold events back in a buffer.
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(body)
}

/// No signed-in session: 204 tells EventSource to stop reconnecting.
pub fn not_signed_in() -> HttpResponse {
    HttpResponse::NoContent()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

/// Who holds the live connection, and the session it rides on.
pub struct Viewer {
    pub user: CurrentUser,
    pub session_hash: String,
}

/// The signed-in viewer of a live request, without counting it as activity; `None` when not
/// signed in (or no longer).
pub async fn viewer(req: &HttpRequest, state: &State) -> Result<Option<Viewer>, AppError> {
    let Some(session_hash) = crate::auth::session_store::session_hash(req, state) else {
        return Ok(None);
    };
    match current_user::without_activity(req).await {
        Ok(user) => Ok(Some(Viewer { user, session_hash })),
        Err(AppError::Unauthorized | AppError::PasswordExpired | AppError::StepUp) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Sends one frame; false when the client is gone.
pub async fn send(tx: &Tx, bytes: web::Bytes) -> bool {
    tx.send(Ok(bytes)).await.is_ok()
}

#[cfg(test)]
mod tests {
    use super::frame;

    #[test]
    fn every_line_break_starts_another_data_line_so_values_cannot_add_fields() {
        let bytes = frame(
            Some("activity"),
            Some(7),
            "<tr>\r<td>x\revent: end</td>\r\n</tr>",
        );
        let text = std::str::from_utf8(&bytes).unwrap();
        assert_eq!(
            text,
            "event: activity\nid: 7\ndata: <tr>\ndata: <td>x\ndata: event: end</td>\ndata: \ndata: </tr>\n\n"
        );
        assert_eq!(frame(None, None, ""), "data: \n\n");
    }
}
