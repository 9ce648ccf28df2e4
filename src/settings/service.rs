//! Saving settings, audited with before and after.

use chrono::NaiveDateTime;

use super::store::{self, OrgSettings};
use crate::audit::{self, action, Actor, Event};
use crate::db::{write_tx, DbConn};
use crate::invites::store::products;
use crate::web::request_meta::RequestMeta;

pub fn save_org_settings(
    conn: &mut DbConn,
    actor: &Actor,
    org_id: i64,
    new: &OrgSettings,
    meta: &RequestMeta,
    now: NaiveDateTime,
) -> diesel::QueryResult<()> {
    write_tx(conn, |conn| {
        let before = store::org_settings(conn, org_id)?;
        store::save_org_settings(conn, org_id, new)?;
        let details = serde_json::json!({
            "before": { "signup_domains": before.signup_domains, "invite_days": before.invite_days },
            "after": { "signup_domains": new.signup_domains, "invite_days": new.invite_days },
        });
        audit::record(
            conn,
            Event {
                org_id: Some(org_id),
                actor,
                action: action::SETTINGS_CHANGED,
                target: None,
                details,
                meta,
            },
            now,
        )
    })
}

#[derive(Debug, thiserror::Error)]
pub enum SeatsError {
    /// Messages by product id; nothing was saved.
    #[error("some seat counts were refused")]
    Invalid(Vec<(i64, String)>),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// Saves every product's seat count, or none of them.
pub fn save_seats(
    conn: &mut DbConn,
    actor: &Actor,
    org_id: i64,
    wanted: &[(i64, String)],
    meta: &RequestMeta,
    now: NaiveDateTime,
) -> Result<(), SeatsError> {
    write_tx(conn, |conn| {
        let current = products(conn, org_id)?;
        let mut problems = Vec::new();
        let mut changes = Vec::new();
        for product in &current {
            let Some((_, text)) = wanted.iter().find(|(id, _)| *id == product.id) else {
                continue;
            };
            let Some(seats) = text
                .parse::<i32>()
                .ok()
                .filter(|s| (0..=super::MAX_SEATS).contains(s))
            else {
                problems.push((
                    product.id,
                    format!(
                        "Enter a whole number of seats from 0 to {}.",
                        super::MAX_SEATS
                    ),
                ));
                continue;
            };
            if seats == product.seats {
                continue;
            }
            if !store::set_seats(conn, org_id, product.id, seats)? {
                problems.push((
                    product.id,
                    format!(
                        "{} seats are in use, so {} cannot go below that. Free seats first.",
                        product.seats_used, product.name
                    ),
                ));
                continue;
            }
            changes.push(serde_json::json!({ "product": product.name, "before": product.seats, "after": seats }));
        }
        if !problems.is_empty() {
            return Err(SeatsError::Invalid(problems));
        }
        if !changes.is_empty() {
            let details = serde_json::json!({ "seats": changes });
            audit::record(
                conn,
                Event {
                    org_id: Some(org_id),
                    actor,
                    action: action::SEATS_CHANGED,
                    target: None,
                    details,
                    meta,
                },
                now,
            )?;
        }
        Ok(())
    })
}

/// Saves the security policy; the audit event lists each changed rule before and after.
pub fn save_policy(
    conn: &mut DbConn,
    actor: &Actor,
    org_id: i64,
    new: &store::Policy,
    meta: &RequestMeta,
    now: NaiveDateTime,
) -> diesel::QueryResult<()> {
    write_tx(conn, |conn| {
        let old = store::policy(conn, org_id)?;
        store::save_policy(conn, org_id, new)?;
        let mut changes = crate::audit::Changes::default();
        changes.field(
            "max_failed_logins",
            old.max_failed_logins,
            new.max_failed_logins,
        );
        changes.field(
            "lock_after_inactive_days",
            old.lock_after_inactive_days,
            new.lock_after_inactive_days,
        );
        changes.field(
            "password_min_length",
            old.password_min_length,
            new.password_min_length,
        );
        changes.field(
            "password_max_age_days",
            old.password_max_age_days,
            new.password_max_age_days,
        );
        changes.field(
            "mfa_required_roles",
            &old.mfa_required_roles,
            &new.mfa_required_roles,
        );
        changes.field(
            "session_idle_minutes",
            old.session_idle_minutes,
            new.session_idle_minutes,
        );
        changes.field(
            "session_max_hours",
            old.session_max_hours,
            new.session_max_hours,
        );
        changes.field(
            "audit_retention_days",
            old.audit_retention_days,
            new.audit_retention_days,
        );
        if changes.is_empty() {
            return Ok(());
        }
        audit::record(
            conn,
            Event {
                org_id: Some(org_id),
                actor,
                action: action::SECURITY_POLICY_CHANGED,
                target: None,
                details: changes.into_details(),
                meta,
            },
            now,
        )
    })
}
