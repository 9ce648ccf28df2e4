//! The Edit User form as posted, and its checks.

use crate::config::parse_cidrs;
use crate::users::{is_valid_email, normalize_email};
use crate::web::form_errors::FieldErrors;

/// Everything the dialog posts; multi-valued fields (`role`, `product`) collected.
#[derive(Debug, Clone, Default)]
pub struct EditForm {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub phone: String,
    pub timezone: String,
    pub language: String,
    pub call_recording: bool,
    pub division: String,
    pub chat_scope: String,
    pub ip_allowlist: String,
    /// `None` when the form has no Active toggle (one's own account).
    pub active: Option<bool>,
    pub role_ids: Vec<i64>,
    pub product_ids: Vec<i64>,
    pub version: i32,
    /// The person confirmed deactivating.
    pub confirmed: bool,
}

impl EditForm {
    pub fn from_pairs(pairs: &[(String, String)]) -> Self {
        let last = |name: &str| {
            pairs
                .iter()
                .rev()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        let all = |name: &str| {
            pairs
                .iter()
                .filter(|(k, _)| k == name)
                .filter_map(|(_, v)| v.parse().ok())
                .collect()
        };
        Self {
            first_name: last("first_name").unwrap_or_default(),
            last_name: last("last_name").unwrap_or_default(),
            email: last("email").unwrap_or_default(),
            phone: last("phone").unwrap_or_default(),
            timezone: last("timezone").unwrap_or_default(),
            language: last("language").unwrap_or_default(),
            call_recording: last("call_recording").as_deref() == Some("1"),
            division: last("division").unwrap_or_default(),
            chat_scope: last("chat_scope").unwrap_or_default(),
            ip_allowlist: last("ip_allowlist").unwrap_or_default(),
            active: last("active").map(|v| v == "1"),
            role_ids: all("role"),
            product_ids: all("product"),
            version: last("version").and_then(|v| v.parse().ok()).unwrap_or(0),
            confirmed: last("confirmed").as_deref() == Some("1"),
        }
    }

    /// Field checks that need no database; returns the normalized email, allowlist and the
    /// division id (whether that division is the organization's is the save's to check).
    pub fn check(&self) -> Result<(String, String, Option<i64>), FieldErrors> {
        let mut errors = FieldErrors::default();
        errors.required("first_name", &self.first_name, "a first name");
        errors.required("last_name", &self.last_name, "a last name");
        if self.first_name.chars().count() > 100 || self.last_name.chars().count() > 100 {
            errors.add("last_name", "Names are limited to 100 characters.");
        }
        let email = normalize_email(&self.email);
        if !is_valid_email(&email) {
            errors.add("email", "Enter an email address like name@example.com.");
        }
        let phone = self.phone.trim();
        if phone.len() > 30
            || !phone
                .chars()
                .all(|c| c.is_ascii_digit() || " +-().".contains(c))
        {
            errors.add(
                "phone",
                "Use digits, spaces and + - ( ) only, at most 30 characters.",
            );
        }
        if !super::TIMEZONES.contains(&self.timezone.as_str())
            && !self.timezone.contains('/')
            && self.timezone != "UTC"
        {
            errors.add("timezone", "Choose a time zone from the list.");
        }
        if !super::LANGUAGES
            .iter()
            .any(|(code, _)| *code == self.language)
        {
            errors.add("language", "Choose a language from the list.");
        }
        if ![super::CHAT_ALL, super::CHAT_ASSIGNED].contains(&self.chat_scope.as_str()) {
            errors.add(
                "chat_scope",
                "Choose All divisions or Assigned divisions only.",
            );
        }
        let division = match self.division.trim() {
            "" => None,
            text => match text.parse::<i64>().ok() {
                Some(id) => Some(id),
                None => {
                    errors.add("division", "Choose a division from the list.");
                    None
                }
            },
        };
        let allowlist = match parse_cidrs(&self.ip_allowlist.replace('\n', ",")) {
            Ok(nets) => nets
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            Err(message) => {
                errors.add("ip_allowlist", format!("{message}. Use addresses or CIDR blocks like 10.0.0.0/8, separated by commas."));
                String::new()
            }
        };
        if errors.is_empty() {
            Ok((email, allowlist, division))
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> EditForm {
        EditForm::from_pairs(
            &pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<Vec<_>>(),
        )
    }

    #[test]
    fn each_field_is_checked_and_the_allowlist_normalized() {
        let ok = form(&[
            ("first_name", "Ada"),
            ("last_name", "Lovelace"),
            ("email", "Ada@X.io"),
            ("phone", "+44 (20) 7946-0000"),
            ("timezone", "Europe/London"),
            ("language", "en"),
            ("chat_scope", "all"),
            ("division", "3"),
            ("ip_allowlist", "10.0.0.0/8\n192.168.1.7"),
            ("active", "0"),
            ("active", "1"),
            ("role", "1"),
            ("role", "2"),
        ]);
        assert_eq!(ok.active, Some(true));
        assert_eq!(ok.role_ids, vec![1, 2]);
        let (email, allowlist, division) = ok.check().unwrap();
        assert_eq!(
            (email.as_str(), allowlist.as_str(), division),
            ("ada@x.io", "10.0.0.0/8, 192.168.1.7/32", Some(3))
        );
        let bad = form(&[
            ("email", "nope"),
            ("phone", "call me"),
            ("timezone", "Mars"),
            ("language", "xx"),
            ("chat_scope", "?"),
            ("division", "nine"),
            ("ip_allowlist", "300.1.1.1"),
        ]);
        let errors = bad.check().unwrap_err();
        for field in [
            "first_name",
            "last_name",
            "email",
            "phone",
            "timezone",
            "language",
            "chat_scope",
            "division",
            "ip_allowlist",
        ] {
            assert!(errors.get(field).is_some(), "{field}");
        }
    }
}
