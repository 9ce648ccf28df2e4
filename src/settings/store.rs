//! Settings queries.

use diesel::prelude::*;

use crate::db::schema::organizations;
use crate::db::DbConn;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgSettings {
    /// Lower case, sorted, no duplicates.
    pub signup_domains: Vec<String>,
    pub invite_days: i32,
}

impl OrgSettings {
    /// The domains as the Settings field shows them: "acme.io, example.com".
    pub fn domains_text(&self) -> String {
        self.signup_domains.join(", ")
    }
}

pub fn org_settings(conn: &mut DbConn, org_id: i64) -> QueryResult<OrgSettings> {
    let invite_days = organizations::table
        .find(org_id)
        .select(organizations::invite_days)
        .first(conn)?;
    Ok(OrgSettings {
        signup_domains: crate::orgs::store::signup_domains_of(conn, org_id)?,
        invite_days,
    })
}

pub fn save_invite_days(conn: &mut DbConn, org_id: i64, invite_days: i32) -> QueryResult<usize> {
    diesel::update(organizations::table.find(org_id))
        .set(organizations::invite_days.eq(invite_days))
        .execute(conn)
}

/// A new organization blocks an account at its 6th wrong password in a row: "more than 5
/// times", as security guides word it. (The column's own default, 5, predates this and is
/// never used: organizations are always created with this value.)
pub const DEFAULT_MAX_FAILED_LOGINS: i32 = 6;

/// The organization's security policy (Settings → Security).
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct Policy {
    /// The wrong password (or code) in a row that blocks the account: the Nth blocks.
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
    /// Permissions (stored names, comma-separated) whose holders must use a second factor.
    pub mfa_required_permissions: String,
}

impl Policy {
    pub fn mfa_required_for(&self, role: &str) -> bool {
        self.mfa_required_roles
            .split(',')
            .any(|r| r.trim().eq_ignore_ascii_case(role))
    }

    /// The permissions whose holders must use a second factor.
    pub fn mfa_permissions(&self) -> crate::auth::permissions::Permissions {
        crate::auth::permissions::Permissions::from_names(&self.mfa_required_permissions, "")
    }

    /// Whether someone with these roles and permissions must use a second factor.
    pub fn mfa_required_of<'a>(
        &self,
        mut roles: impl Iterator<Item = &'a str>,
        permissions: crate::auth::permissions::Permissions,
    ) -> bool {
        roles.any(|role| self.mfa_required_for(role)) || permissions.meets(self.mfa_permissions())
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
            organizations::mfa_required_permissions,
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
            organizations::mfa_required_permissions.eq(&policy.mfa_required_permissions),
        ))
        .execute(conn)
}
