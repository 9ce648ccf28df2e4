//! Registering, deleting and resuming webhook endpoints, audited; the notice when one is
//! paused after failing for a day.

use chrono::NaiveDateTime;
use diesel::QueryResult;

use super::{store, EVENTS};
use crate::audit::{self, action, Actor, Event, Origin};
use crate::db::{write_tx, DbConn};
use crate::validation::FieldErrors;

/// An endpoint asked for.
#[derive(Debug, Clone, Default)]
pub struct NewEndpoint {
    pub url: String,
    pub events: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("some fields need attention")]
    Invalid(FieldErrors),
    #[error("That webhook does not exist, or belongs to another organization.")]
    NotFound,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// Whether a host is this machine or a private network (refused unless the operator allows
/// them: a webhook must not reach the services beside Gatehouse).
fn private_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.eq_ignore_ascii_case("localhost") || host.ends_with(".localhost") {
        return true;
    }
    match host.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(ip)) => {
            ip.is_loopback() || ip.is_private() || ip.is_link_local() || ip.is_unspecified()
        }
        Ok(std::net::IpAddr::V6(ip)) => {
            ip.is_loopback() || ip.is_unspecified() || (ip.segments()[0] & 0xfe00) == 0xfc00
        }
        Err(_) => false,
    }
}

/// Checks the URL (http or https, a host, public unless `allow_private`) and the events.
pub fn check(endpoint: &NewEndpoint, allow_private: bool) -> Result<(String, String), FieldErrors> {
    let mut errors = FieldErrors::default();
    let url = endpoint.url.trim().to_owned();
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    let host = rest
        .map(|r| r.split(['/', '?', '#']).next().unwrap_or(""))
        .map(|authority| authority.rsplit('@').next().unwrap_or(""))
        .map(|hostport| {
            if hostport.starts_with('[') {
                hostport
                    .split(']')
                    .next()
                    .unwrap_or("")
                    .trim_start_matches('[')
            } else {
                hostport.split(':').next().unwrap_or("")
            }
        })
        .unwrap_or("");
    if url.len() > 500 || host.is_empty() || url.chars().any(char::is_whitespace) {
        errors.add(
            "url",
            "Enter an http:// or https:// address, such as https://example.com/hooks/gatehouse.",
        );
    } else if !allow_private && private_host(host) {
        errors.add(
            "url",
            "This address is this machine or a private network: webhooks go to public addresses.",
        );
    }
    let known: Vec<&str> = EVENTS.iter().map(|(code, _)| *code).collect();
    let events: Vec<&str> = endpoint
        .events
        .iter()
        .map(String::as_str)
        .filter(|e| known.contains(e))
        .collect();
    if events.is_empty() {
        errors.add("events", "Choose at least one event.");
    }
    if errors.is_empty() {
        Ok((url, events.join(",")))
    } else {
        Err(errors)
    }
}

fn record(
    conn: &mut DbConn,
    (actor, org_id): (&Actor, i64),
    (what, details): (&str, serde_json::Value),
    (meta, now): (&Origin, NaiveDateTime),
) -> QueryResult<()> {
    audit::record(
        conn,
        Event {
            org_id: Some(org_id),
            actor,
            action: what,
            target: None,
            details,
            meta,
        },
        now,
    )
}

/// Registers an endpoint; answers its id and the secret that signs its deliveries (shown once
/// to the person, kept for signing).
pub fn create(
    conn: &mut DbConn,
    (actor, org_id): (&Actor, i64),
    endpoint: &NewEndpoint,
    allow_private: bool,
    (meta, now): (&Origin, NaiveDateTime),
) -> Result<(i64, String), WebhookError> {
    let (url, events) = check(endpoint, allow_private).map_err(WebhookError::Invalid)?;
    let secret = format!("whsec_{}", crate::auth::tokens::random_token());
    write_tx(conn, |conn| {
        let id = store::insert(conn, org_id, (&url, &events, &secret), now)?;
        let details = serde_json::json!({ "webhook_id": id, "url": url, "events": events });
        record(
            conn,
            (actor, org_id),
            (action::WEBHOOK_CREATED, details),
            (meta, now),
        )?;
        Ok((id, secret.clone()))
    })
}

pub fn delete(
    conn: &mut DbConn,
    (actor, org_id): (&Actor, i64),
    id: i64,
    (meta, now): (&Origin, NaiveDateTime),
) -> Result<store::Endpoint, WebhookError> {
    write_tx(conn, |conn| {
        let endpoint = store::find(conn, org_id, id)?.ok_or(WebhookError::NotFound)?;
        store::delete(conn, id)?;
        let details = serde_json::json!({ "webhook_id": id, "url": endpoint.url });
        record(
            conn,
            (actor, org_id),
            (action::WEBHOOK_DELETED, details),
            (meta, now),
        )?;
        Ok(endpoint)
    })
}

pub fn resume(
    conn: &mut DbConn,
    (actor, org_id): (&Actor, i64),
    id: i64,
    (meta, now): (&Origin, NaiveDateTime),
) -> Result<store::Endpoint, WebhookError> {
    write_tx(conn, |conn| {
        let endpoint = store::find(conn, org_id, id)?.ok_or(WebhookError::NotFound)?;
        store::resume(conn, id)?;
        let details = serde_json::json!({ "webhook_id": id, "url": endpoint.url });
        record(
            conn,
            (actor, org_id),
            (action::WEBHOOK_RESUMED, details),
            (meta, now),
        )?;
        Ok(endpoint)
    })
}

/// After a failed attempt: an endpoint failing for a day is paused, audited, and the
/// organization's active Owners are told by email.
pub fn pause_if_failing(
    conn: &mut DbConn,
    webhook_id: i64,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    write_tx(conn, |conn| {
        let cutoff = now - chrono::Duration::hours(24);
        if !store::pause_if_failing_since(conn, webhook_id, cutoff, now)? {
            return Ok(false);
        }
        use crate::db::schema::webhooks;
        use diesel::prelude::*;
        let (org_id, url): (i64, String) = webhooks::table
            .find(webhook_id)
            .select((webhooks::org_id, webhooks::url))
            .first(conn)?;
        let system = Actor::system("webhooks");
        let details =
            serde_json::json!({ "webhook_id": webhook_id, "url": url, "why": "failing for a day" });
        record(
            conn,
            (&system, org_id),
            (action::WEBHOOK_PAUSED, details),
            (&Origin::default(), now),
        )?;
        for (user_id, email, first_name) in crate::api::tokens::store::active_owners(conn, org_id)?
        {
            let notice = crate::mail::Simple {
                first_name: &first_name,
                paragraphs: vec![format!(
                    "Deliveries to the webhook {url} have failed for a day, so it was paused: nothing more is sent to it. Fix the endpoint, then resume it in Settings → Webhooks; what was queued is sent then."
                )],
                link: None,
                footer: "You receive this as an Owner of your organization in Gatehouse.",
            };
            let email_out = notice.email(
                Some(org_id),
                Some(user_id),
                "webhook_paused",
                &email,
                "A Gatehouse webhook was paused",
            );
            crate::mail::store::enqueue(conn, &email_out, now)?;
        }
        Ok(true)
    })
}
