//! `GET /api/v1/audit`: the organization's audit events, oldest first, by cursor (`after` an
//! event id) and from a time (`since`), 100 a page, through the (org_id, id) index. A maker who
//! administers only some divisions reads none of it here: the log spans the organization.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::caller::Caller;
use super::problem::Problem;
use super::tokens::Scope;
use crate::auth::permissions::Permission;
use crate::db::schema::audit_events as a;
use crate::web::State;

const PAGE: i64 = 100;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v1/audit", web::get().to(events));
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct AuditQuery {
    /// The last event id already read (from `next`).
    pub after: Option<i64>,
    /// Only events at or after this time (RFC 3339 or `YYYY-MM-DD`, UTC).
    pub since: Option<String>,
}

#[derive(Debug, Serialize, Queryable, utoipa::ToSchema)]
pub struct AuditEvent {
    pub id: i64,
    pub time: NaiveDateTime,
    pub actor_id: Option<i64>,
    pub actor: String,
    pub action: String,
    pub target_id: Option<i64>,
    pub target: String,
    /// The change's before/after, as recorded.
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    pub ip: String,
    pub user_agent: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuditPage {
    pub events: Vec<AuditEvent>,
    /// The next page's URL; `null` once the newest event is read (poll it later for more).
    pub next: Option<String>,
}

fn parse_since(text: &str) -> Result<NaiveDateTime, Problem> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.naive_utc())
        .or_else(|_| {
            chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default())
        })
        .map_err(|_| {
            Problem::fields(&crate::validation::FieldErrors::one(
                "since",
                "Use an RFC 3339 time or YYYY-MM-DD.",
            ))
        })
}

type Row = (
    i64,
    NaiveDateTime,
    Option<i64>,
    String,
    String,
    Option<i64>,
    String,
    String,
    String,
    String,
);

#[utoipa::path(
    get,
    path = "/api/v1/audit",
    params(AuditQuery),
    responses((status = 200, body = AuditPage), (status = 403, body = super::problem::ProblemBody)),
    security(("bearer" = []))
)]
pub async fn events(
    caller: Caller,
    state: State,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, Problem> {
    caller.require(Scope::AuditRead, Permission::AuditView)?;
    if caller.user.scope.is_some() {
        return Err(Problem::new(
            StatusCode::FORBIDDEN,
            "The token's maker manages only some divisions and teams: the audit log spans the organization.",
        ));
    }
    let since = query.since.as_deref().map(parse_since).transpose()?;
    let (org_id, after) = (caller.user.org_id, query.after.unwrap_or(0));
    let rows: Vec<Row> = state
        .db(move |conn| {
            let mut q = a::table
                .filter(a::org_id.eq(org_id))
                .filter(a::id.gt(after))
                .order(a::id.asc())
                .limit(PAGE)
                .select((
                    a::id,
                    a::created_at,
                    a::actor_id,
                    a::actor_label,
                    a::action,
                    a::target_id,
                    a::target_label,
                    a::details,
                    a::ip,
                    a::user_agent,
                ))
                .into_boxed();
            if let Some(since) = since {
                q = q.filter(a::created_at.ge(since));
            }
            Ok(q.load(conn)?)
        })
        .await?;
    let full = rows.len() as i64 == PAGE;
    let events: Vec<AuditEvent> = rows
        .into_iter()
        .map(
            |(id, time, actor_id, actor, action, target_id, target, details, ip, user_agent)| {
                AuditEvent {
                    id,
                    time,
                    actor_id,
                    actor,
                    action,
                    target_id,
                    target,
                    details: serde_json::from_str(&details).unwrap_or(serde_json::Value::Null),
                    ip,
                    user_agent,
                }
            },
        )
        .collect();
    let next = match (full, events.last()) {
        (true, Some(last)) => {
            let since = query
                .since
                .as_deref()
                .map(|s| format!("&since={}", urlencoding_lite(s)))
                .unwrap_or_default();
            Some(format!("/api/v1/audit?after={}{since}", last.id))
        }
        _ => None,
    };
    let mut response = HttpResponse::Ok();
    if let Some(next) = &next {
        response.insert_header((header::LINK, format!("<{next}>; rel=\"next\"")));
    }
    Ok(response.json(AuditPage { events, next }))
}

/// Percent-encodes what a time may hold that a query string may not (`+`, `:`).
fn urlencoding_lite(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            'A'..='Z' | 'a'..='z' | '0'..='9' | '-' | '.' | '_' | '~' => c.to_string(),
            other => format!("%{:02X}", other as u32),
        })
        .collect()
}
