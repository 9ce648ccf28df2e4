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

/// Whether an address is this machine, a private or shared network, or link-local: what a
/// webhook must not reach (the services beside Gatehouse, a cloud's metadata service).
pub fn private_ip(ip: std::net::IpAddr) -> bool {
    use std::net::IpAddr;
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
        }
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => private_ip(IpAddr::V4(v4)),
            None => {
                let first = v6.segments()[0];
                v6.is_loopback()
                    || v6.is_unspecified()
                    || (first & 0xfe00) == 0xfc00
                    || (first & 0xffc0) == 0xfe80
            }
        },
    }
}

/// Whether a URL's host is private: an address (`private_ip`) or `localhost`. Names are
/// checked again where they resolve, at each delivery (`worker`).
pub fn private_host(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => private_ip(ip.into()),
        Some(url::Host::Ipv6(ip)) => private_ip(ip.into()),
        Some(url::Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost")
        }
        None => true,
    }
}

/// The most endpoints one organization keeps.
pub const MAX_ENDPOINTS: usize = 20;

/// Checks the URL (http or https with a host, public unless `allow_private`) and the events.
pub fn check(endpoint: &NewEndpoint, allow_private: bool) -> Result<(String, String), FieldErrors> {
    let mut errors = FieldErrors::default();
    let raw = endpoint.url.trim();
    let parsed = url::Url::parse(raw)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
    match &parsed {
        _ if raw.len() > 500 => errors.add("url", "Use at most 500 characters."),
        None => errors.add(
            "url",
            "Enter an http:// or https:// address, such as https://example.com/hooks/gatehouse.",
        ),
        Some(url) if !allow_private && private_host(url) => errors.add(
            "url",
            "This address is this machine or a private network: webhooks go to public addresses.",
        ),
        Some(_) => {}
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
    match parsed {
        Some(url) if errors.is_empty() => Ok((url.to_string(), events.join(","))),
        _ => Err(errors),
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
        if store::endpoints(conn, org_id)?.len() >= MAX_ENDPOINTS {
            return Err(WebhookError::Invalid(FieldErrors::one(
                "url",
                format!(
                    "An organization keeps at most {MAX_ENDPOINTS} webhooks: delete one first."
                ),
            )));
        }
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

/// What is done to an endpoint from its row's buttons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    Delete,
    Resume,
}

/// Deletes an endpoint (its queued deliveries go with it) or resumes a paused one, audited.
pub fn act(
    conn: &mut DbConn,
    (actor, org_id): (&Actor, i64),
    (id, what): (i64, Act),
    (meta, now): (&Origin, NaiveDateTime),
) -> Result<store::Endpoint, WebhookError> {
    write_tx(conn, |conn| {
        let endpoint = store::find(conn, org_id, id)?.ok_or(WebhookError::NotFound)?;
        let audited = match what {
            Act::Delete => {
                store::delete(conn, id)?;
                action::WEBHOOK_DELETED
            }
            Act::Resume => {
                store::resume(conn, id)?;
                action::WEBHOOK_RESUMED
            }
        };
        let details = serde_json::json!({ "webhook_id": id, "url": endpoint.url });
        record(conn, (actor, org_id), (audited, details), (meta, now))?;
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
