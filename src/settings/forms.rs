//! Settings forms.

use serde::Deserialize;

use super::store::{OrgSettings, Policy};
use crate::signup::{is_valid_domain, parse_domains};
use crate::validation::FieldErrors;

#[derive(Debug, Default, Deserialize)]
pub struct OrgSettingsForm {
    #[serde(default)]
    pub signup_domains: String,
    #[serde(default)]
    pub invite_days: String,
}

impl OrgSettingsForm {
    pub fn validate(&self) -> Result<OrgSettings, FieldErrors> {
        let mut errors = FieldErrors::default();
        let mut domains = parse_domains(&self.signup_domains);
        if let Some(bad) = domains.iter().find(|d| !is_valid_domain(d)) {
            errors.add("signup_domains", format!("`{bad}` is not a domain name. Use names like example.com, separated by commas."));
        }
        let days = self
            .invite_days
            .trim()
            .parse::<i32>()
            .ok()
            .filter(|d| super::INVITE_DAYS.contains(d));
        if days.is_none() {
            errors.add(
                "invite_days",
                format!(
                    "Enter a whole number of days from {} to {}.",
                    super::INVITE_DAYS.start(),
                    super::INVITE_DAYS.end()
                ),
            );
        }
        domains.sort();
        domains.dedup();
        match days {
            Some(invite_days) if errors.is_empty() => Ok(OrgSettings {
                signup_domains: domains,
                invite_days,
            }),
            _ => Err(errors),
        }
    }
}

/// The Security form as typed (kept for showing it again with its messages).
#[derive(Debug, Clone, Default)]
pub struct SecurityForm {
    pub max_failed_logins: String,
    pub lock_after_inactive_days: String,
    pub password_min_length: String,
    pub password_max_age_days: String,
    pub session_idle_minutes: String,
    pub session_max_hours: String,
    pub audit_retention_days: String,
    /// Role names ticked under "Require two-step verification for".
    pub mfa_roles: Vec<String>,
    /// Permissions (stored names) ticked under "… for anyone who holds".
    pub mfa_permissions: Vec<String>,
}

impl SecurityForm {
    pub fn from_pairs(pairs: &[(String, String)]) -> Self {
        let one = |name: &str| {
            pairs
                .iter()
                .rev()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.trim().to_owned())
                .unwrap_or_default()
        };
        Self {
            max_failed_logins: one("max_failed_logins"),
            lock_after_inactive_days: one("lock_after_inactive_days"),
            password_min_length: one("password_min_length"),
            password_max_age_days: one("password_max_age_days"),
            session_idle_minutes: one("session_idle_minutes"),
            session_max_hours: one("session_max_hours"),
            audit_retention_days: one("audit_retention_days"),
            mfa_roles: pairs
                .iter()
                .filter(|(k, _)| k == "mfa_role")
                .map(|(_, v)| v.clone())
                .collect(),
            mfa_permissions: pairs
                .iter()
                .filter(|(k, _)| k == "mfa_permission")
                .map(|(_, v)| v.clone())
                .collect(),
        }
    }

    pub fn of(policy: &Policy) -> Self {
        Self {
            max_failed_logins: policy.max_failed_logins.to_string(),
            lock_after_inactive_days: policy.lock_after_inactive_days.to_string(),
            password_min_length: policy.password_min_length.to_string(),
            password_max_age_days: policy.password_max_age_days.to_string(),
            session_idle_minutes: policy.session_idle_minutes.to_string(),
            session_max_hours: policy.session_max_hours.to_string(),
            audit_retention_days: policy.audit_retention_days.to_string(),
            mfa_roles: policy
                .mfa_required_roles
                .split(',')
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .map(str::to_owned)
                .collect(),
            mfa_permissions: policy
                .mfa_required_permissions
                .split(',')
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect(),
        }
    }

    /// Checks every field against its bounds; `roles` are the organization's role names,
    /// `permissions` the stored names of its permissions (console and product).
    pub fn validate(
        &self,
        roles: &[String],
        permissions: &[String],
    ) -> Result<Policy, FieldErrors> {
        let mut errors = FieldErrors::default();
        let mut number = |field: &'static str, text: &str, bounds: Bounds| -> i32 {
            match text.parse::<i32>() {
                Ok(n) if (bounds.off_allowed && n == 0) || bounds.range.contains(&n) => n,
                _ => {
                    let range = format!("from {} to {}", bounds.range.start(), bounds.range.end());
                    errors.add(
                        field,
                        if bounds.off_allowed {
                            format!("Enter 0 to turn this off, or a whole number {range}.")
                        } else {
                            format!("Enter a whole number {range}.")
                        },
                    );
                    0
                }
            }
        };
        let policy = Policy {
            max_failed_logins: number("max_failed_logins", &self.max_failed_logins, FAILED_LOGINS),
            lock_after_inactive_days: number(
                "lock_after_inactive_days",
                &self.lock_after_inactive_days,
                INACTIVE_DAYS,
            ),
            password_min_length: number(
                "password_min_length",
                &self.password_min_length,
                MIN_LENGTH,
            ),
            password_max_age_days: number(
                "password_max_age_days",
                &self.password_max_age_days,
                PASSWORD_AGE_DAYS,
            ),
            session_idle_minutes: number(
                "session_idle_minutes",
                &self.session_idle_minutes,
                IDLE_MINUTES,
            ),
            session_max_hours: number("session_max_hours", &self.session_max_hours, MAX_HOURS),
            audit_retention_days: number(
                "audit_retention_days",
                &self.audit_retention_days,
                RETENTION_DAYS,
            ),
            mfa_required_roles: roles
                .iter()
                .filter(|r| self.mfa_roles.contains(r))
                .cloned()
                .collect::<Vec<_>>()
                .join(","),
            mfa_required_permissions: permissions
                .iter()
                .filter(|p| self.mfa_permissions.contains(p))
                .cloned()
                .collect::<Vec<_>>()
                .join(","),
        };
        if self.mfa_roles.iter().any(|r| !roles.contains(r)) {
            errors.add("mfa_roles", "Choose from the roles listed.");
        }
        if self
            .mfa_permissions
            .iter()
            .any(|p| !permissions.contains(p))
        {
            errors.add("mfa_permissions", "Choose from the permissions listed.");
        }
        if errors.is_empty() {
            Ok(policy)
        } else {
            Err(errors)
        }
    }
}

#[derive(Clone)]
pub struct Bounds {
    pub range: std::ops::RangeInclusive<i32>,
    /// 0 turns the rule off.
    pub off_allowed: bool,
}

pub const FAILED_LOGINS: Bounds = Bounds {
    range: 3..=100,
    off_allowed: false,
};
/// Longer than the warning sent seven days before.
pub const INACTIVE_DAYS: Bounds = Bounds {
    range: 14..=3650,
    off_allowed: true,
};
pub const MIN_LENGTH: Bounds = Bounds {
    range: 12..=64,
    off_allowed: false,
};
pub const PASSWORD_AGE_DAYS: Bounds = Bounds {
    range: 30..=3650,
    off_allowed: true,
};
pub const IDLE_MINUTES: Bounds = Bounds {
    range: 5..=1440,
    off_allowed: false,
};
pub const MAX_HOURS: Bounds = Bounds {
    range: 1..=720,
    off_allowed: false,
};
pub const RETENTION_DAYS: Bounds = Bounds {
    range: 30..=3650,
    off_allowed: false,
};

/// `seats_<product id>` fields.
pub fn parse_seats(pairs: &[(String, String)]) -> Vec<(i64, String)> {
    pairs
        .iter()
        .filter_map(|(name, value)| {
            name.strip_prefix("seats_")
                .and_then(|id| id.parse().ok())
                .map(|id| (id, value.trim().to_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_security_policy_is_checked_field_by_field() {
        let roles: Vec<String> = ["Owner", "Admin", "Agent"].map(String::from).to_vec();
        let pairs = |extra: &[(&str, &str)]| {
            let mut all: Vec<(String, String)> = [
                ("max_failed_logins", "5"),
                ("lock_after_inactive_days", "0"),
                ("password_min_length", "14"),
                ("password_max_age_days", "0"),
                ("session_idle_minutes", "30"),
                ("session_max_hours", "12"),
                ("audit_retention_days", "365"),
                ("mfa_role", "Owner"),
                ("mfa_role", "Agent"),
            ]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
            all.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
            all
        };
        let ok = SecurityForm::from_pairs(&pairs(&[]))
            .validate(&roles, &[])
            .unwrap();
        assert_eq!(ok.mfa_required_roles, "Owner,Agent");
        assert_eq!(
            (ok.lock_after_inactive_days, ok.password_min_length),
            (0, 14)
        );
        let bad = SecurityForm::from_pairs(&pairs(&[
            ("max_failed_logins", "0"),
            ("password_min_length", "8"),
            ("lock_after_inactive_days", "3"),
            ("mfa_role", "Wizard"),
        ]))
        .validate(&roles, &[])
        .unwrap_err();
        assert_eq!(
            bad.get("max_failed_logins"),
            Some("Enter a whole number from 3 to 100.")
        );
        assert!(bad.get("password_min_length").is_some());
        assert_eq!(
            bad.get("lock_after_inactive_days"),
            Some("Enter 0 to turn this off, or a whole number from 14 to 3650.")
        );
        assert!(bad.get("mfa_roles").is_some());
    }

    #[test]
    fn settings_are_checked_and_normalized() {
        let ok = OrgSettingsForm {
            signup_domains: "Example.com, Acme.io, @example.com".into(),
            invite_days: "14".into(),
        }
        .validate()
        .unwrap();
        assert_eq!(ok.domains_text(), "acme.io, example.com");
        assert_eq!(ok.invite_days, 14);
        let bad = OrgSettingsForm {
            signup_domains: "not a domain".into(),
            invite_days: "0".into(),
        }
        .validate()
        .unwrap_err();
        assert!(bad
            .get("signup_domains")
            .unwrap()
            .contains("`not` is not a domain name"));
        assert!(bad.get("invite_days").is_some());
    }
}
