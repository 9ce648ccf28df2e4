//! Writes (and, with the activity issue, reads) audit events.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::Event;
use crate::db::schema::audit_events;
use crate::db::DbConn;

pub fn insert(conn: &mut DbConn, event: &Event<'_>, now: NaiveDateTime) -> QueryResult<()> {
    diesel::insert_into(audit_events::table)
        .values((
            audit_events::org_id.eq(event.org_id),
            audit_events::actor_id.eq(event.actor.id),
            audit_events::actor_label.eq(&event.actor.label),
            audit_events::action.eq(event.action),
            audit_events::target_id.eq(event.target.map(|(id, _)| id)),
            audit_events::target_label.eq(event.target.map(|(_, label)| label).unwrap_or("")),
            audit_events::details.eq(event.details.to_string()),
            audit_events::ip.eq(&event.meta.ip),
            audit_events::user_agent.eq(&event.meta.user_agent),
            audit_events::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Events of an organization, newest first (tests and the activity page).
#[derive(Debug, Queryable)]
pub struct EventRow {
    pub id: i64,
    pub actor_label: String,
    pub action: String,
    pub target_id: Option<i64>,
    pub target_label: String,
    pub details: String,
    pub ip: String,
    pub created_at: NaiveDateTime,
}

pub fn recent(conn: &mut DbConn, org_id: i64, limit: i64) -> QueryResult<Vec<EventRow>> {
    audit_events::table
        .filter(audit_events::org_id.eq(org_id))
        .order(audit_events::id.desc())
        .limit(limit)
        .select((
            audit_events::id,
            audit_events::actor_label,
            audit_events::action,
            audit_events::target_id,
            audit_events::target_label,
            audit_events::details,
            audit_events::ip,
            audit_events::created_at,
        ))
        .load(conn)
}
