//! Settings forms.

use serde::Deserialize;

use super::store::OrgSettings;
use crate::signup::{is_valid_domain, parse_domains};
use crate::web::form_errors::FieldErrors;

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
        let domains = parse_domains(&self.signup_domains);
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
        match days {
            Some(invite_days) if errors.is_empty() => Ok(OrgSettings {
                signup_domains: domains.join(", "),
                invite_days,
            }),
            _ => Err(errors),
        }
    }
}

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
    fn settings_are_checked_and_normalized() {
        let ok = OrgSettingsForm {
            signup_domains: "Acme.io, @example.com".into(),
            invite_days: "14".into(),
        }
        .validate()
        .unwrap();
        assert_eq!(
            (ok.signup_domains.as_str(), ok.invite_days),
            ("acme.io, example.com", 14)
        );
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
