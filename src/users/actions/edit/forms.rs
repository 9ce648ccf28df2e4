//! The Edit User form as posted, and its checks.

use std::collections::BTreeSet;

use crate::config::parse_cidrs;
use crate::fields::profile::Posted;
use crate::validation::{EmailAddress, FieldErrors, PersonName};

/// Everything the dialog posts; multi-valued fields (`role`, `product`) collected.
#[derive(Debug, Clone, Default)]
pub struct EditForm {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    /// `None` when the form had no Username input.
    pub username: Option<String>,
    pub phone: String,
    pub timezone: String,
    pub language: String,
    pub call_recording: bool,
    pub division: String,
    pub chat_scope: String,
    /// The divisions ticked for Assigned divisions only; `None` when the form had none
    /// (`chat_divisions` marker absent).
    pub chat_division_ids: Option<Vec<i64>>,
    pub ip_allowlist: String,
    /// `None` when the form has no Active toggle (one's own account).
    pub active: Option<bool>,
    pub role_ids: Vec<i64>,
    pub product_ids: Vec<i64>,
    /// The groups ticked; `None` when the form had no group pickers (`groups` marker absent).
    pub group_ids: Option<Vec<i64>>,
    /// The organization's fields as posted; `None` when the form had none (`fields` marker
    /// absent).
    pub fields: Option<Posted>,
    pub version: i32,
    /// The person confirmed deactivating.
    pub confirmed: bool,
    /// Make Tenant SuperUser; `None` when the form had no such checkbox to change (only the
    /// Owner's dialog has one).
    pub superuser: Option<bool>,
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
            username: last("username"),
            phone: last("phone").unwrap_or_default(),
            timezone: last("timezone").unwrap_or_default(),
            language: last("language").unwrap_or_default(),
            call_recording: last("call_recording").as_deref() == Some("1"),
            division: last("division").unwrap_or_default(),
            chat_scope: last("chat_scope").unwrap_or_default(),
            chat_division_ids: last("chat_divisions").map(|_| all("chat_division")),
            ip_allowlist: last("ip_allowlist").unwrap_or_default(),
            active: last("active").map(|v| v == "1"),
            role_ids: all("role"),
            product_ids: all("product"),
            group_ids: last("groups").map(|_| all("group")),
            fields: last("fields").map(|_| Posted::from_pairs(pairs)),
            version: last("version").and_then(|v| v.parse().ok()).unwrap_or(0),
            confirmed: last("confirmed").as_deref() == Some("1"),
            superuser: last("superuser_shown").map(|_| last("superuser").as_deref() == Some("1")),
        }
    }
}

/// The Edit User form once every field is checked and normalized: what the service saves.
#[derive(Debug, Clone)]
pub struct UserChange {
    pub first_name: PersonName,
    pub last_name: PersonName,
    pub email: EmailAddress,
    /// `None`: the username stays as it is; `Some(None)`: removed.
    pub username: Option<Option<String>>,
    /// Trimmed; digits, spaces and `+-().` only.
    pub phone: String,
    pub timezone: String,
    pub language: String,
    pub call_recording: bool,
    /// Whether it is the organization's is the save's to check.
    pub division_id: Option<i64>,
    pub chat_scope: String,
    /// `None`: the assigned divisions stay as they are.
    pub chat_division_ids: Option<BTreeSet<i64>>,
    /// Normalized: "10.0.0.0/8, 192.168.1.7/32".
    pub ip_allowlist: String,
    /// `None` when the form had no Active toggle (one's own account).
    pub active: Option<bool>,
    pub role_ids: BTreeSet<i64>,
    pub product_ids: BTreeSet<i64>,
    /// `None`: the user's groups stay as they are.
    pub group_ids: Option<BTreeSet<i64>>,
    /// `None`: the user's field values stay as they are.
    pub fields: Option<Posted>,
    pub version: i32,
    pub confirmed: bool,
    /// `None`: stays as it is.
    pub superuser: Option<bool>,
}

impl TryFrom<&EditForm> for UserChange {
    type Error = FieldErrors;

    /// Every check that needs no database, each message beside its field.
    fn try_from(form: &EditForm) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let first_name = field(
            &mut errors,
            "first_name",
            PersonName::parse(&form.first_name, "a first name"),
        );
        let last_name = field(
            &mut errors,
            "last_name",
            PersonName::parse(&form.last_name, "a last name"),
        );
        let email = field(
            &mut errors,
            "email",
            EmailAddress::parse(&form.email).map_err(str::to_owned),
        );
        // `None` when the form had no input (or its value was refused, noted in `errors`).
        let username = form
            .username
            .as_ref()
            .and_then(|raw| field(&mut errors, "username", crate::users::username::check(raw)));
        let phone = field(&mut errors, "phone", phone(&form.phone)).unwrap_or_default();
        let timezone_ok = super::TIMEZONES.contains(&form.timezone.as_str())
            || form.timezone.contains('/')
            || form.timezone == "UTC";
        field(
            &mut errors,
            "timezone",
            listed(timezone_ok, "Choose a time zone from the list."),
        );
        let language_ok = super::LANGUAGES
            .iter()
            .any(|(code, _)| *code == form.language);
        field(
            &mut errors,
            "language",
            listed(language_ok, "Choose a language from the list."),
        );
        let scope_ok = [super::CHAT_ALL, super::CHAT_ASSIGNED].contains(&form.chat_scope.as_str());
        field(
            &mut errors,
            "chat_scope",
            listed(scope_ok, "Choose All divisions or Assigned divisions only."),
        );
        let division_id = field(&mut errors, "division", division(&form.division)).flatten();
        let ip_allowlist = field(&mut errors, "ip_allowlist", allowlist(&form.ip_allowlist));
        match (first_name, last_name, email, ip_allowlist) {
            (Some(first_name), Some(last_name), Some(email), Some(ip_allowlist))
                if errors.is_empty() =>
            {
                Ok(UserChange {
                    first_name,
                    last_name,
                    email,
                    username,
                    phone,
                    timezone: form.timezone.clone(),
                    language: form.language.clone(),
                    call_recording: form.call_recording,
                    division_id,
                    chat_scope: form.chat_scope.clone(),
                    chat_division_ids: form
                        .chat_division_ids
                        .as_ref()
                        .map(|ids| ids.iter().copied().collect()),
                    ip_allowlist,
                    active: form.active,
                    role_ids: form.role_ids.iter().copied().collect(),
                    product_ids: form.product_ids.iter().copied().collect(),
                    group_ids: form
                        .group_ids
                        .as_ref()
                        .map(|ids| ids.iter().copied().collect()),
                    fields: form.fields.clone(),
                    version: form.version,
                    confirmed: form.confirmed,
                    superuser: form.superuser,
                })
            }
            _ => Err(errors),
        }
    }
}

/// The checked value, or its message noted beside the field.
fn field<T>(errors: &mut FieldErrors, name: &'static str, checked: Result<T, String>) -> Option<T> {
    checked.map_err(|message| errors.add(name, message)).ok()
}

/// A value that must come from the offered list.
fn listed(ok: bool, message: &str) -> Result<(), String> {
    ok.then_some(()).ok_or_else(|| message.to_owned())
}

/// A phone number: digits, spaces and `+-()`, at most 30 characters; trimmed.
pub fn phone(raw: &str) -> Result<String, String> {
    let phone = raw.trim();
    let ok = phone.len() <= 30
        && phone
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c));
    listed(
        ok,
        "Use digits, spaces and + - ( ) only, at most 30 characters.",
    )?;
    Ok(phone.to_owned())
}

/// No division (empty), or a division's id.
fn division(raw: &str) -> Result<Option<i64>, String> {
    match raw.trim() {
        "" => Ok(None),
        text => text
            .parse::<i64>()
            .map(Some)
            .map_err(|_| "Choose a division from the list.".to_owned()),
    }
}

/// Addresses and CIDR blocks, one per line or separated by commas, normalized.
fn allowlist(raw: &str) -> Result<String, String> {
    parse_cidrs(&raw.replace('\n', ","))
        .map(|nets| {
            nets.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        })
        .map_err(|message| {
            format!("{message}. Use addresses or CIDR blocks like 10.0.0.0/8, separated by commas.")
        })
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
            ("groups", "1"),
            ("group", "7"),
        ]);
        assert_eq!(ok.active, Some(true));
        assert_eq!(ok.group_ids, Some(vec![7]));
        assert_eq!(
            form(&[("group", "7")]).group_ids,
            None,
            "no marker: left alone"
        );
        assert_eq!(ok.role_ids, vec![1, 2]);
        let change = UserChange::try_from(&ok).unwrap();
        assert_eq!(
            (
                change.email.as_str(),
                change.ip_allowlist.as_str(),
                change.division_id
            ),
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
        let errors = UserChange::try_from(&bad).unwrap_err();
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
