//! The `webhooks` and `webhook_deliveries` tables: endpoints, the outbox, claims and outcomes.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::audit::Event;
use crate::db::schema::{webhook_deliveries, webhooks};
use crate::db::DbConn;

pub const PENDING: &str = "pending";
pub const DELIVERED: &str = "delivered";

/// How long a claimed delivery is left to its instance before another may try it: longer
/// than a round (sent side by side, each within the client's 10 s).
const LEASE_SECS: i64 = 300;

#[derive(Clone, Queryable)]
pub struct Endpoint {
    pub id: i64,
    pub org_id: i64,
    pub url: String,
    pub events: String,
    pub secret: String,
    pub created_at: NaiveDateTime,
    pub failing_since: Option<NaiveDateTime>,
    pub paused_at: Option<NaiveDateTime>,
}

type EndpointColumns = (
    webhooks::id,
    webhooks::org_id,
    webhooks::url,
    webhooks::events,
    webhooks::secret,
    webhooks::created_at,
    webhooks::failing_since,
    webhooks::paused_at,
);

const ENDPOINT: EndpointColumns = (
    webhooks::id,
    webhooks::org_id,
    webhooks::url,
    webhooks::events,
    webhooks::secret,
    webhooks::created_at,
    webhooks::failing_since,
    webhooks::paused_at,
);

pub fn endpoints(conn: &mut DbConn, org_id: i64) -> QueryResult<Vec<Endpoint>> {
    webhooks::table
        .filter(webhooks::org_id.eq(org_id))
        .order(webhooks::id)
        .select(ENDPOINT)
        .load(conn)
}

pub fn find(conn: &mut DbConn, org_id: i64, id: i64) -> QueryResult<Option<Endpoint>> {
    webhooks::table
        .filter(webhooks::org_id.eq(org_id))
        .filter(webhooks::id.eq(id))
        .select(ENDPOINT)
        .first(conn)
        .optional()
}

pub fn insert(
    conn: &mut DbConn,
    org_id: i64,
    (url, events, secret): (&str, &str, &str),
    now: NaiveDateTime,
) -> QueryResult<i64> {
    diesel::insert_into(webhooks::table)
        .values((
            webhooks::org_id.eq(org_id),
            webhooks::url.eq(url),
            webhooks::events.eq(events),
            webhooks::secret.eq(secret),
            webhooks::created_at.eq(now),
        ))
        .execute(conn)?;
    webhooks::table
        .filter(webhooks::org_id.eq(org_id))
        .filter(webhooks::secret.eq(secret))
        .select(webhooks::id)
        .first(conn)
}

pub fn delete(conn: &mut DbConn, id: i64) -> QueryResult<usize> {
    diesel::delete(webhooks::table.find(id)).execute(conn)
}

pub fn resume(conn: &mut DbConn, id: i64) -> QueryResult<usize> {
    diesel::update(webhooks::table.find(id))
        .set((
            webhooks::paused_at.eq(None::<NaiveDateTime>),
            webhooks::failing_since.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)
}

/// Queues a delivery of each event `event` stands for to every active endpoint of its
/// organization that wants it — in the caller's transaction (`audit::record` calls this).
pub fn enqueue(conn: &mut DbConn, event: &Event<'_>, now: NaiveDateTime) -> QueryResult<()> {
    let Some(org_id) = event.org_id else {
        return Ok(());
    };
    let kinds = super::events_of(event.action, &event.details);
    if kinds.is_empty() {
        return Ok(());
    }
    // Paused endpoints keep queueing: Resume sends what happened meanwhile.
    let hooks: Vec<(i64, String)> = webhooks::table
        .filter(webhooks::org_id.eq(org_id))
        .select((webhooks::id, webhooks::events))
        .load(conn)?;
    if hooks.is_empty() {
        return Ok(());
    }
    let base = crate::auth::tokens::random_token();
    for (index, kind) in kinds.iter().enumerate() {
        let event_id = format!("evt_{}_{index}", &base[..22]);
        let payload = serde_json::json!({
            "id": event_id,
            "type": kind,
            "created_at": now.and_utc().to_rfc3339(),
            "actor": { "id": event.actor.id, "label": event.actor.label },
            "user": event.target.map(|(id, email)| serde_json::json!({ "id": id, "email": email })),
            "details": event.details,
        })
        .to_string();
        for (hook, events) in &hooks {
            if !events.split(',').any(|e| e.trim() == *kind) {
                continue;
            }
            diesel::insert_into(webhook_deliveries::table)
                .values((
                    webhook_deliveries::webhook_id.eq(hook),
                    webhook_deliveries::event_id.eq(&event_id),
                    webhook_deliveries::event.eq(kind),
                    webhook_deliveries::payload.eq(&payload),
                    webhook_deliveries::next_attempt_at.eq(now),
                    webhook_deliveries::created_at.eq(now),
                ))
                .execute(conn)?;
        }
    }
    Ok(())
}

/// A delivery claimed for sending, with where it goes; `next_attempt_at` is the claim's
/// lease (what `record_attempt` checks it still holds).
#[derive(Clone, Queryable)]
pub struct Due {
    pub id: i64,
    pub webhook_id: i64,
    pub event_id: String,
    pub event: String,
    pub payload: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub url: String,
    pub secret: String,
}

/// Claims up to `limit` due deliveries of endpoints not paused: each one by one instance (a
/// guarded update moves it past a lease).
pub fn claim_due(conn: &mut DbConn, now: NaiveDateTime, limit: i64) -> QueryResult<Vec<Due>> {
    let due: Vec<Due> = webhook_deliveries::table
        .inner_join(webhooks::table)
        .filter(webhook_deliveries::status.eq(PENDING))
        .filter(webhook_deliveries::next_attempt_at.le(now))
        .filter(webhooks::paused_at.is_null())
        .order(webhook_deliveries::next_attempt_at)
        .limit(limit)
        .select((
            webhook_deliveries::id,
            webhook_deliveries::webhook_id,
            webhook_deliveries::event_id,
            webhook_deliveries::event,
            webhook_deliveries::payload,
            webhook_deliveries::attempts,
            webhook_deliveries::next_attempt_at,
            webhooks::url,
            webhooks::secret,
        ))
        .load(conn)?;
    let lease = now + chrono::Duration::seconds(LEASE_SECS);
    let mut claimed = Vec::with_capacity(due.len());
    for row in due {
        let won = diesel::update(
            webhook_deliveries::table
                .find(row.id)
                .filter(webhook_deliveries::status.eq(PENDING))
                .filter(webhook_deliveries::next_attempt_at.eq(row.next_attempt_at)),
        )
        .set(webhook_deliveries::next_attempt_at.eq(lease))
        .execute(conn)?;
        if won == 1 {
            claimed.push(Due {
                next_attempt_at: lease,
                ..row
            });
        }
    }
    Ok(claimed)
}

/// What an attempt came to: the receiver's status and the start of its answer, or why none.
pub struct Attempt {
    pub status: Option<i32>,
    pub response: String,
    pub delivered: bool,
}

/// Records an attempt, if this instance still holds the claim (false when its lease ran out
/// and another instance took the delivery: its outcome is that instance's to write).
pub fn record_attempt(
    conn: &mut DbConn,
    due: &Due,
    attempt: &Attempt,
    (now, retry_at): (NaiveDateTime, NaiveDateTime),
) -> QueryResult<bool> {
    let response: String = attempt.response.chars().take(500).collect();
    let held = webhook_deliveries::table
        .find(due.id)
        .filter(webhook_deliveries::status.eq(PENDING))
        .filter(webhook_deliveries::next_attempt_at.eq(due.next_attempt_at));
    let written = if attempt.delivered {
        diesel::update(held)
            .set((
                webhook_deliveries::status.eq(DELIVERED),
                webhook_deliveries::attempts.eq(webhook_deliveries::attempts + 1),
                webhook_deliveries::last_status.eq(attempt.status),
                webhook_deliveries::last_response.eq(&response),
                webhook_deliveries::delivered_at.eq(now),
            ))
            .execute(conn)?
    } else {
        diesel::update(held)
            .set((
                webhook_deliveries::attempts.eq(webhook_deliveries::attempts + 1),
                webhook_deliveries::last_status.eq(attempt.status),
                webhook_deliveries::last_response.eq(&response),
                webhook_deliveries::next_attempt_at.eq(retry_at),
            ))
            .execute(conn)?
    };
    if written == 0 {
        return Ok(false);
    }
    if attempt.delivered {
        diesel::update(webhooks::table.find(due.webhook_id))
            .set(webhooks::failing_since.eq(None::<NaiveDateTime>))
            .execute(conn)?;
    } else {
        diesel::update(
            webhooks::table
                .find(due.webhook_id)
                .filter(webhooks::failing_since.is_null()),
        )
        .set(webhooks::failing_since.eq(now))
        .execute(conn)?;
    }
    Ok(true)
}

/// Delivered deliveries from before `before` go (their payloads copy audit details).
pub fn purge_delivered(conn: &mut DbConn, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(
        webhook_deliveries::table
            .filter(webhook_deliveries::status.eq(DELIVERED))
            .filter(webhook_deliveries::delivered_at.lt(before)),
    )
    .execute(conn)
}

/// Pauses the endpoint if it has failed since before `cutoff`; true when it did just now.
pub fn pause_if_failing_since(
    conn: &mut DbConn,
    webhook_id: i64,
    cutoff: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let paused = diesel::update(
        webhooks::table
            .find(webhook_id)
            .filter(webhooks::paused_at.is_null())
            .filter(webhooks::failing_since.le(cutoff)),
    )
    .set(webhooks::paused_at.eq(now))
    .execute(conn)?;
    Ok(paused == 1)
}

/// One delivery in the log.
#[derive(Debug, Clone, Queryable)]
pub struct Delivery {
    pub id: i64,
    pub webhook_id: i64,
    pub event_id: String,
    pub event: String,
    pub status: String,
    pub attempts: i32,
    pub last_status: Option<i32>,
    pub last_response: String,
    pub created_at: NaiveDateTime,
    pub next_attempt_at: NaiveDateTime,
}

/// The newest deliveries to the organization's endpoints.
pub fn recent(conn: &mut DbConn, org_id: i64, limit: i64) -> QueryResult<Vec<Delivery>> {
    webhook_deliveries::table
        .inner_join(webhooks::table)
        .filter(webhooks::org_id.eq(org_id))
        .order(webhook_deliveries::id.desc())
        .limit(limit)
        .select((
            webhook_deliveries::id,
            webhook_deliveries::webhook_id,
            webhook_deliveries::event_id,
            webhook_deliveries::event,
            webhook_deliveries::status,
            webhook_deliveries::attempts,
            webhook_deliveries::last_status,
            webhook_deliveries::last_response,
            webhook_deliveries::created_at,
            webhook_deliveries::next_attempt_at,
        ))
        .load(conn)
}
