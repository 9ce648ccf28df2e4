//! The outbox table.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::Email;
use crate::db::schema::email_outbox;
use crate::db::DbConn;

pub const PENDING: &str = "pending";
pub const SENT: &str = "sent";
pub const CANCELLED: &str = "cancelled";

thread_local! {
    /// Set when this thread queued mail: the caller that ran the transaction wakes the worker
    /// once it has committed (`AppState::db`), so no feature has to remember to.
    static QUEUED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether this thread queued mail since the last call (and forgets it).
pub fn take_queued() -> bool {
    QUEUED.with(|queued| queued.replace(false))
}

/// Queues an email; call inside the transaction of the change it belongs to.
pub fn enqueue(conn: &mut DbConn, email: &Email, now: NaiveDateTime) -> QueryResult<()> {
    QUEUED.with(|queued| queued.set(true));
    diesel::insert_into(email_outbox::table)
        .values((
            email_outbox::org_id.eq(email.org_id),
            email_outbox::user_id.eq(email.user_id),
            email_outbox::kind.eq(email.kind),
            email_outbox::recipient.eq(&email.to),
            email_outbox::subject.eq(&email.subject),
            email_outbox::text_body.eq(&email.text),
            email_outbox::html_body.eq(&email.html),
            email_outbox::next_attempt_at.eq(now),
            email_outbox::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

#[derive(Debug, Clone, Queryable)]
pub struct OutboxRow {
    pub id: i64,
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
}

/// Mail a person is waiting for right now, sent before anything else that is due.
pub const URGENT_KINDS: [&str; 5] = ["sign_in_code", "reset", "blocked", "signup", "invite"];

/// Claims up to `limit` due messages: each is leased for `lease` (see `mail::lease`) by moving
/// its next attempt forward with a guarded update, so two instances never send the same
/// message, and one claimed by an instance that died is sent by another once the lease ends.
/// One write transaction for the whole claim: a commit per message made the worker the
/// busiest writer while saves queued mail (two messages per Edit User save of an address).
pub fn claim_due(
    conn: &mut DbConn,
    now: NaiveDateTime,
    limit: i64,
    lease: chrono::Duration,
) -> QueryResult<Vec<OutboxRow>> {
    crate::db::write_tx(conn, |conn| {
        // Someone is waiting at the sign-in page for these: never behind a batch of notices.
        // Walks of indexes in due order, one per urgent kind and one for any kind, with no
        // sort of the whole backlog (2.3 ms a claim with 3,000 messages due, and 10 ms with
        // 8,000 when `kind IN (…)` let SQLite walk every due message, measured 2026-12-07).
        let mut claim = Vec::new();
        for kind in URGENT_KINDS {
            claim.extend(due(conn, now, limit, Some(kind))?);
        }
        claim.sort_by_key(|row| (row.next_attempt_at, row.id));
        claim.truncate(usize::try_from(limit).unwrap_or(0));
        if (claim.len() as i64) < limit {
            let rest = due(conn, now, limit, None)?;
            let taken: std::collections::HashSet<i64> = claim.iter().map(|row| row.id).collect();
            claim.extend(rest.into_iter().filter(|row| !taken.contains(&row.id)));
            claim.truncate(usize::try_from(limit).unwrap_or(0));
        }
        let lease = now + lease;
        let mut claimed = Vec::with_capacity(claim.len());
        for row in claim {
            let won = diesel::update(
                email_outbox::table
                    .find(row.id)
                    .filter(email_outbox::status.eq(PENDING))
                    .filter(email_outbox::next_attempt_at.eq(row.next_attempt_at)),
            )
            .set(email_outbox::next_attempt_at.eq(lease))
            .execute(conn)?;
            if won == 1 {
                claimed.push(row);
            }
        }
        Ok(claimed)
    })
}

/// The first `limit` pending messages due at `now`, oldest first: of one kind, or of any.
fn due(
    conn: &mut DbConn,
    now: NaiveDateTime,
    limit: i64,
    kind: Option<&str>,
) -> QueryResult<Vec<OutboxRow>> {
    let mut query = email_outbox::table
        .filter(email_outbox::status.eq(PENDING))
        .filter(email_outbox::next_attempt_at.le(now))
        // The id breaks ties (a bulk action queues many at once): two instances lock the rows
        // they claim in the same order on PostgreSQL.
        .order((email_outbox::next_attempt_at, email_outbox::id))
        .limit(limit)
        .select((
            email_outbox::id,
            email_outbox::kind,
            email_outbox::recipient,
            email_outbox::subject,
            email_outbox::text_body,
            email_outbox::html_body,
            email_outbox::attempts,
            email_outbox::next_attempt_at,
        ))
        .into_boxed();
    if let Some(kind) = kind {
        query = query.filter(email_outbox::kind.eq(kind));
    }
    query.load(conn)
}

/// What became of a claimed message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Sent {
        id: i64,
        at: NaiveDateTime,
    },
    /// A failed attempt, tried again at `next_attempt`.
    Failed {
        id: i64,
        error: String,
        next_attempt: NaiveDateTime,
    },
}

/// Records the outcomes of several sends in one write transaction.
pub fn record(conn: &mut DbConn, outcomes: &[Outcome]) -> QueryResult<()> {
    if outcomes.is_empty() {
        return Ok(());
    }
    crate::db::write_tx(conn, |conn| {
        for outcome in outcomes {
            match outcome {
                Outcome::Sent { id, at } => mark_sent(conn, *id, *at)?,
                Outcome::Failed {
                    id,
                    error,
                    next_attempt,
                } => mark_failed(conn, *id, error, *next_attempt)?,
            };
        }
        Ok(())
    })
}

fn mark_sent(conn: &mut DbConn, id: i64, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(email_outbox::table.find(id))
        .set((
            email_outbox::status.eq(SENT),
            email_outbox::sent_at.eq(now),
            email_outbox::attempts.eq(email_outbox::attempts + 1),
            email_outbox::last_error.eq(None::<String>),
        ))
        .execute(conn)
}

fn mark_failed(
    conn: &mut DbConn,
    id: i64,
    error: &str,
    next_attempt: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(email_outbox::table.find(id))
        .set((
            email_outbox::attempts.eq(email_outbox::attempts + 1),
            email_outbox::last_error.eq(error.chars().take(500).collect::<String>()),
            email_outbox::next_attempt_at.eq(next_attempt),
        ))
        .execute(conn)
}

/// Stops unsent mail of a kind to a user (a revoked or re-sent invitation).
pub fn cancel_pending(conn: &mut DbConn, user_id: i64, kind: &str) -> QueryResult<usize> {
    diesel::update(
        email_outbox::table
            .filter(email_outbox::user_id.eq(user_id))
            .filter(email_outbox::kind.eq(kind))
            .filter(email_outbox::status.eq(PENDING)),
    )
    .set(email_outbox::status.eq(CANCELLED))
    .execute(conn)
}
