//! Retention: each organization keeps its audit events for `audit_retention_days` (Settings →
//! Security, default 365). The periodic job deletes older ones in small batches, each its own
//! short write transaction, so writers are never held up for long. This is the only code that
//! deletes audit events.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{audit_events, organizations};
use crate::db::{write_tx, DbConn};

/// Events deleted per transaction.
pub const BATCH: i64 = 1_000;

/// Deletes every organization's expired events; returns how many went.
pub fn purge(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<usize> {
    let orgs: Vec<(i64, i32)> = organizations::table
        .select((organizations::id, organizations::audit_retention_days))
        .load(conn)?;
    // The newest event of all is kept whatever its age: SQLite hands a deleted top id out
    // again, and the live pollers only look above the newest id they have seen.
    let newest: Option<i64> = audit_events::table
        .select(diesel::dsl::max(audit_events::id))
        .first(conn)?;
    let Some(newest) = newest else {
        return Ok(0);
    };
    let mut total = 0;
    for (org_id, days) in orgs {
        if days <= 0 {
            continue;
        }
        let cutoff = now - chrono::Duration::days(days.into());
        loop {
            let deleted = write_tx(conn, |conn| -> QueryResult<usize> {
                // Through (org_id, created_at, id): the oldest first, a batch at a time.
                let ids: Vec<i64> = audit_events::table
                    .filter(audit_events::org_id.eq(org_id))
                    .filter(audit_events::created_at.lt(cutoff))
                    .filter(audit_events::id.lt(newest))
                    .order((audit_events::created_at.asc(), audit_events::id.asc()))
                    .limit(BATCH)
                    .select(audit_events::id)
                    .load(conn)?;
                if ids.is_empty() {
                    return Ok(0);
                }
                diesel::delete(audit_events::table.filter(audit_events::id.eq_any(&ids)))
                    .execute(conn)
            })?;
            total += deleted;
            if deleted < BATCH as usize {
                break;
            }
        }
    }
    Ok(total)
}
