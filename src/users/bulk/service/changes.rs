//! What each user's bulk change leaves behind: the audit event, and why someone was left out.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use super::Action;
use crate::audit::{self, action, Actor, Event, Origin};
use crate::db::schema::users;
use crate::db::DbConn;
use crate::users::authority::{Editor, Refusal};

/// Why a user is left out of a bulk action, as the confirmation lists it.
pub(super) fn bulk_reason(refusal: Option<Refusal>, action: Action) -> String {
    match refusal {
        Some(Refusal::Yourself(_))
            if matches!(action, Action::AddRole(_) | Action::RemoveRole(_)) =>
        {
            "nobody changes their own roles".into()
        }
        Some(Refusal::Yourself(_)) => "that is your own account".into(),
        Some(Refusal::Outranked) => "they hold permissions you do not have".into(),
        Some(Refusal::OwnerOnly) => "only the Owner changes the Owner's roles".into(),
        Some(Refusal::Owner(_)) => "the Owner cannot be deactivated or deleted".into(),
        Some(Refusal::Lacks(p)) => format!("it needs the {} permission", p.label()),
        None => String::new(),
    }
}

/// The user's audit event for a bulk role, license or group change; the version moves on, so an
/// Edit dialog opened before sees that someone changed the user.
pub(super) fn record(
    conn: &mut DbConn,
    editor: &Editor,
    user_id: i64,
    (field, before, after): (&str, serde_json::Value, serde_json::Value),
    meta: &Origin,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(users::table.find(user_id))
        .set((
            users::version.eq(users::version + 1),
            users::updated_at.eq(now),
        ))
        .execute(conn)?;
    let email: String = users::table
        .find(user_id)
        .select(users::email)
        .first(conn)?;
    audit::record(
        conn,
        Event {
            org_id: Some(editor.org_id),
            actor: &Actor::user(editor.id, &editor.email),
            action: action::USER_UPDATED,
            target: Some((user_id, &email)),
            details: json!({ "before": { field: before }, "after": { field: after }, "bulk": true }),
            meta,
        },
        now,
    )
}
