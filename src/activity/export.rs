//! Exports of the audit log: CSV of the Activity page's current filter (streamed in chunks,
//! so a million events never sit in memory), and JSON lines for `gatehouse audit export`.

use std::io::Write;

use actix_web::{web, HttpResponse};
use chrono::NaiveDateTime;
use tokio::sync::mpsc;

use super::forms::{ActivityQuery, Page};
use super::labels::{self, Names};
use super::service;
use super::store::{self, EventRecord};
use crate::auth::permissions::Permission;
use crate::db::DbConn;
use crate::users::export::field;
use crate::web::{AppError, CurrentUser, State};

/// Events fetched per query while exporting.
pub const CHUNK: usize = 1_000;

const HEADER: &str = "Time (UTC),Actor,Action,Target,Changes,IP,User agent\r\n";

fn csv_line(event: &EventRecord, names: &Names) -> String {
    let cells = [
        event.created_at.format("%Y-%m-%d %H:%M:%S").to_string(),
        field(&event.actor_label),
        field(&labels::label(&event.action)),
        field(&event.target_label),
        field(&labels::summary(&event.details, names).join("; ")),
        field(&event.ip),
        field(&event.user_agent),
    ];
    format!("{}\r\n", cells.join(","))
}

/// `GET /activity/export.csv?…`: every event of the Activity page's filter, newest first.
pub async fn csv(
    state: State,
    user: CurrentUser,
    pairs: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::AuditView)?;
    let query = ActivityQuery::from_pairs(&pairs);
    let (org_id, viewer, scope) = (user.org_id, user.id, user.scope.clone());
    let (filter, names) = state
        .db(move |conn| {
            let resolved = service::resolve(conn, org_id, (viewer, scope.as_ref()), &query)?;
            if resolved.hidden {
                return Err(AppError::NotFound);
            }
            Ok((resolved.filter, store::names(conn, org_id)?))
        })
        .await?;
    // A small channel: the reader waits for the client, so memory stays flat.
    let (sender, mut receiver) = mpsc::channel::<Result<web::Bytes, std::io::Error>>(4);
    let pool = state.pool.clone();
    actix_web::rt::task::spawn_blocking(move || {
        let Ok(mut conn) = pool.get() else { return };
        if sender
            .blocking_send(Ok(web::Bytes::from_static(HEADER.as_bytes())))
            .is_err()
        {
            return;
        }
        let mut page = Page::First;
        loop {
            let (rows, more) = match store::chunk(&mut conn, &filter, &page, CHUNK) {
                Ok(chunk) => chunk,
                Err(e) => {
                    log::error!("activity export failed: {e}");
                    let _ = sender.blocking_send(Err(std::io::Error::other("export failed")));
                    return;
                }
            };
            let text: String = rows.iter().map(|e| csv_line(e, &names)).collect();
            if sender.blocking_send(Ok(web::Bytes::from(text))).is_err() {
                return; // the client went away
            }
            match (more, rows.last()) {
                (true, Some(last)) => page = Page::After(last.id),
                _ => return,
            }
        }
    });
    let body = futures_util::stream::poll_fn(move |cx| receiver.poll_recv(cx));
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            "attachment; filename=\"activity.csv\"",
        ))
        .insert_header(("Cache-Control", "no-store"))
        .streaming(body))
}

/// One event as a JSON line. Field names are stable: scripts read them.
pub fn json_line(event: &EventRecord, org_slug: Option<&str>) -> String {
    let details: serde_json::Value =
        serde_json::from_str(&event.details).unwrap_or(serde_json::Value::Null);
    serde_json::json!({
        "id": event.id,
        "time": event.created_at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        "org": org_slug,
        "actor_id": event.actor_id,
        "actor": event.actor_label,
        "action": event.action,
        "target_id": event.target_id,
        "target": event.target_label,
        "details": details,
        "ip": event.ip,
        "user_agent": event.user_agent,
    })
    .to_string()
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(
        "no organization has the slug `{0}`: check the spelling (slugs are lower-case with dashes, such as `acme-corp`)"
    )]
    UnknownOrg(String),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
    #[error("writing the export: {0}")]
    Write(#[from] std::io::Error),
}

/// Writes the audit log (one organization's, or everything) as JSON lines, oldest first,
/// from `since`; returns how many events were written.
pub fn json_lines(
    conn: &mut DbConn,
    org_slug: Option<&str>,
    since: Option<NaiveDateTime>,
    out: &mut impl Write,
) -> Result<u64, ExportError> {
    let orgs = store::org_slugs(conn)?;
    let org_id = match org_slug {
        Some(slug) => Some(
            orgs.iter()
                .find(|(_, s)| s == slug)
                .map(|(id, _)| *id)
                .ok_or_else(|| ExportError::UnknownOrg(slug.to_owned()))?,
        ),
        None => None,
    };
    let slugs: std::collections::HashMap<i64, String> = orgs.into_iter().collect();
    let (mut last, mut written) = (0_i64, 0_u64);
    loop {
        let rows = store::export_chunk(conn, org_id, since, last, CHUNK as i64)?;
        for event in &rows {
            let slug = event
                .org_id
                .and_then(|id| slugs.get(&id))
                .map(String::as_str);
            writeln!(out, "{}", json_line(event, slug))?;
            written += 1;
        }
        match rows.last() {
            Some(event) if rows.len() == CHUNK => last = event.id,
            _ => break,
        }
    }
    out.flush()?;
    Ok(written)
}

/// `--since`: a day (`2026-01-31`, from its midnight UTC) or an RFC 3339 instant.
pub fn parse_since(text: &str) -> Result<NaiveDateTime, String> {
    if let Ok(day) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(day.and_hms_opt(0, 0, 0).unwrap_or_default());
    }
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.naive_utc())
        .map_err(|_| {
            format!("`{text}` is not a date: use YYYY-MM-DD or an RFC 3339 time such as 2026-01-31T08:00:00Z")
        })
}
