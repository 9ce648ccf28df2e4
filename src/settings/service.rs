//! Saving settings, audited with before and after.

use chrono::NaiveDateTime;

use super::store::{self, OrgSettings};
use crate::audit::Origin;
use crate::audit::{self, action, Actor, Event};
use crate::db::{write_tx, DbConn};
use crate::licenses::store::{self as licenses, products};
use crate::orgs::domains::{self, AddedBy, DomainError};

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// Why the sign-up domains were refused (shown beside the field); nothing was saved.
    #[error("{0}")]
    Domains(String),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

impl SettingsError {
    /// The message beside the field (see `ImportError::into_lines` for the database case).
    pub fn into_message(self) -> String {
        self.to_string()
    }
}

/// Saves the sign-up domains and the invitation lifetime, all or nothing. New domains follow
/// the rules of `orgs::domains` with the actor as the one adding them: only their own email's
/// domain, never a public mail service or another organization's.
pub fn save_org_settings(
    conn: &mut DbConn,
    actor: &Actor,
    org_id: i64,
    new: &OrgSettings,
    meta: &Origin,
    now: NaiveDateTime,
) -> Result<(), SettingsError> {
    write_tx(conn, |conn| {
        let before = store::org_settings(conn, org_id)?;
        // The address the account holds now (confirmed: a changed address counts only once
        // its link was opened), not what the session saw.
        let email = match actor.id {
            Some(id) => crate::users::store::email_of(conn, id)?.unwrap_or_default(),
            None => String::new(),
        };
        let by = AddedBy::Person { email: &email };
        domains::replace(conn, org_id, &new.signup_domains, by, now).map_err(|e| match e {
            DomainError::Refused(problems) => SettingsError::Domains(problems.join(" ")),
            DomainError::Database(e) => SettingsError::Database(e),
        })?;
        store::save_invite_days(conn, org_id, new.invite_days)?;
        let details = serde_json::json!({
            "before": { "signup_domains": before.domains_text(), "invite_days": before.invite_days },
            "after": { "signup_domains": new.domains_text(), "invite_days": new.invite_days },
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
        )?;
        Ok(())
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

impl SeatsError {
    /// Messages by product (see `ImportError::into_lines` for the database case).
    pub fn into_problems(self) -> Vec<(i64, String)> {
        match self {
            SeatsError::Invalid(problems) => problems,
            SeatsError::Database(_) => Vec::new(),
        }
    }
}

/// Saves every product's seat count, or none of them.
pub fn save_seats(
    conn: &mut DbConn,
    actor: &Actor,
    org_id: i64,
    wanted: &[(i64, String)],
    meta: &Origin,
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
            if !licenses::set_seats(conn, org_id, product.id, seats)? {
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
    meta: &Origin,
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
            "mfa_required_permissions",
            &old.mfa_required_permissions,
            &new.mfa_required_permissions,
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
