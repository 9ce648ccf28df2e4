//! Settings queries.

use diesel::prelude::*;

use crate::db::schema::{organizations, products};
use crate::db::DbConn;

#[derive(Debug, Clone, Queryable)]
pub struct OrgSettings {
    pub signup_domains: String,
    pub invite_days: i32,
}

pub fn org_settings(conn: &mut DbConn, org_id: i64) -> QueryResult<OrgSettings> {
    organizations::table
        .find(org_id)
        .select((organizations::signup_domains, organizations::invite_days))
        .first(conn)
}

pub fn save_org_settings(
    conn: &mut DbConn,
    org_id: i64,
    settings: &OrgSettings,
) -> QueryResult<usize> {
    diesel::update(organizations::table.find(org_id))
        .set((
            organizations::signup_domains.eq(&settings.signup_domains),
            organizations::invite_days.eq(settings.invite_days),
        ))
        .execute(conn)
}

/// Sets a product's seat count unless more seats are in use than that (guarded, so a seat
/// taken meanwhile is never orphaned). False when refused.
pub fn set_seats(conn: &mut DbConn, org_id: i64, product_id: i64, seats: i32) -> QueryResult<bool> {
    let updated = diesel::update(
        products::table
            .find(product_id)
            .filter(products::org_id.eq(org_id))
            .filter(products::seats_used.le(seats)),
    )
    .set(products::seats.eq(seats))
    .execute(conn)?;
    Ok(updated == 1)
}

/// The organization's security policy (Settings → Security).
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct Policy {
    /// Consecutive wrong passwords before the account is blocked (0: never).
    pub max_failed_logins: i32,
    /// Days without a sign-in before the account is blocked (0: never).
    pub lock_after_inactive_days: i32,
    pub password_min_length: i32,
    /// Days a password lasts (0: forever).
    pub password_max_age_days: i32,
    /// Role names whose holders must use a second factor, comma-separated.
    pub mfa_required_roles: String,
    pub session_idle_minutes: i32,
    pub session_max_hours: i32,
    pub audit_retention_days: i32,
}

impl Policy {
    pub fn mfa_required_for(&self, role: &str) -> bool {
        self.mfa_required_roles
            .split(',')
            .any(|r| r.trim().eq_ignore_ascii_case(role))
    }

    pub fn min_length(&self) -> usize {
        self.password_min_length
            .max(crate::auth::password::MIN_LENGTH as i32) as usize
    }

    /// When a password set at `changed_at` expires, if it does.
    pub fn password_expires(
        &self,
        changed_at: Option<chrono::NaiveDateTime>,
    ) -> Option<chrono::NaiveDateTime> {
        (self.password_max_age_days > 0).then_some(())?;
        changed_at.map(|t| t + chrono::Duration::days(self.password_max_age_days.into()))
    }
}

pub fn policy(conn: &mut DbConn, org_id: i64) -> QueryResult<Policy> {
    organizations::table
        .find(org_id)
        .select((
            organizations::max_failed_logins,
            organizations::lock_after_inactive_days,
            organizations::password_min_length,
            organizations::password_max_age_days,
            organizations::mfa_required_roles,
            organizations::session_idle_minutes,
            organizations::session_max_hours,
            organizations::audit_retention_days,
        ))
        .first(conn)
}

pub fn save_policy(conn: &mut DbConn, org_id: i64, policy: &Policy) -> QueryResult<usize> {
    diesel::update(organizations::table.find(org_id))
        .set((
            organizations::max_failed_logins.eq(policy.max_failed_logins),
            organizations::lock_after_inactive_days.eq(policy.lock_after_inactive_days),
            organizations::password_min_length.eq(policy.password_min_length),
            organizations::password_max_age_days.eq(policy.password_max_age_days),
            organizations::mfa_required_roles.eq(&policy.mfa_required_roles),
            organizations::session_idle_minutes.eq(policy.session_idle_minutes),
            organizations::session_max_hours.eq(policy.session_max_hours),
            organizations::audit_retention_days.eq(policy.audit_retention_days),
        ))
        .execute(conn)
}
