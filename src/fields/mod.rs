//! User fields: the profile each organization defines for its people (Settings → User
//! fields). A field has a type, a section, validation, a show-when rule and who edits it;
//! Edit User shows one section per field section, My account the fields people edit
//! themselves. Values are checked here, on the server, whatever the entry point.

pub mod definition;
pub mod form;
pub mod holders;
pub mod own;
pub mod presets;
pub mod profile;
pub mod routes;
pub mod service;
pub mod store;
pub mod views;

use std::collections::BTreeSet;

pub use definition::{Access, Choice, Field, Kind, Required};

/// The longest value any field holds, whatever its own limit.
pub const VALUE_MAX: usize = 500;

/// A field's value as the form posted it, checked and normalized: the values to store (none:
/// the field is empty; a multiple choice: one per option, in the options' order).
pub fn check_value(field: &Field, raw: &[String]) -> Result<Vec<String>, String> {
    let values: Vec<&str> = raw
        .iter()
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .collect();
    if field.kind == Kind::MultiChoice {
        let mut codes = BTreeSet::new();
        for value in &values {
            let choice = field.choice(value).ok_or_else(|| choose_listed(field))?;
            codes.insert(choice.code.clone());
        }
        return Ok(field
            .options
            .iter()
            .filter(|choice| codes.contains(&choice.code))
            .map(|choice| choice.code.clone())
            .collect());
    }
    let Some(value) = values.last().copied() else {
        return Ok(Vec::new());
    };
    if value.chars().count() > VALUE_MAX {
        return Err(format!("Use at most {VALUE_MAX} characters."));
    }
    if value.chars().any(char::is_control) {
        return Err("Use a single line without control characters.".into());
    }
    let normalized = match field.kind {
        Kind::Checkbox => match value {
            "1" | "true" | "yes" | "on" => "yes".to_owned(),
            "0" | "false" | "no" | "off" => return Ok(Vec::new()),
            _ => return Err("Tick the box or leave it clear.".into()),
        },
        Kind::Choice => field
            .choice(value)
            .ok_or_else(|| choose_listed(field))?
            .code
            .clone(),
        Kind::Number => number(value)?,
        Kind::Date => chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d")
            .map_err(|_| "Enter a date as YYYY-MM-DD, such as 2026-03-31.".to_owned())?
            .format("%Y-%m-%d")
            .to_string(),
        Kind::Email => crate::validation::EmailAddress::parse(value)
            .map_err(str::to_owned)?
            .to_string(),
        Kind::Phone => phone(value)?,
        Kind::Url => web_address(value)?,
        Kind::Text | Kind::Secret => value.to_owned(),
        Kind::MultiChoice => unreachable!("handled above"),
    };
    if field.kind.has_length() {
        let length = normalized.chars().count();
        if let Some(min) = field.min_length.filter(|min| length < *min as usize) {
            return Err(format!("Use at least {min} characters."));
        }
        if let Some(max) = field.max_length.filter(|max| length > *max as usize) {
            return Err(format!("Use at most {max} characters."));
        }
    }
    if let Some(pattern) = &field.pattern {
        if !pattern.is_match(&normalized) {
            return Err(field.pattern_message());
        }
    }
    Ok(vec![normalized])
}

fn choose_listed(field: &Field) -> String {
    format!("Choose {} from the list.", field.label)
}

/// A decimal number: an optional minus sign, digits, an optional fraction.
fn number(value: &str) -> Result<String, String> {
    let digits = value.strip_prefix('-').unwrap_or(value);
    let all_digits = |part: &str| part.chars().all(|c| c.is_ascii_digit());
    let (whole, fraction_ok) = match digits.split_once('.') {
        Some((whole, fraction)) => (whole, !fraction.is_empty() && all_digits(fraction)),
        None => (digits, true),
    };
    if whole.is_empty() || !all_digits(whole) || !fraction_ok || value.len() > 30 {
        return Err("Enter a number, such as 42 or 3.5.".into());
    }
    Ok(value.to_owned())
}

/// A telephone number as people write it: digits, spaces and `+ - ( )`, at least three digits.
fn phone(value: &str) -> Result<String, String> {
    let digits = value.chars().filter(char::is_ascii_digit).count();
    let allowed = value
        .chars()
        .all(|c| c.is_ascii_digit() || " +-().".contains(c));
    if !allowed || digits < 3 || value.len() > 30 {
        return Err(
            "Enter a phone number: digits, spaces and + - ( ) only, at most 30 characters.".into(),
        );
    }
    Ok(value.to_owned())
}

/// An absolute http or https address.
fn web_address(value: &str) -> Result<String, String> {
    match url::Url::parse(value) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {
            Ok(value.to_owned())
        }
        _ => Err("Enter a web address starting with https:// or http://.".into()),
    }
}

/// The key a value is compared by in filters and uniqueness: lower case.
pub fn value_key(value: &str) -> String {
    value.to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(kind: Kind) -> Field {
        Field::for_test("f", "F", kind)
    }

    fn ok(field: &Field, raw: &[&str]) -> Vec<String> {
        let raw: Vec<String> = raw.iter().map(|s| (*s).to_owned()).collect();
        check_value(field, &raw).expect("valid")
    }

    fn bad(field: &Field, raw: &str) -> String {
        check_value(field, &[raw.to_owned()]).expect_err("invalid")
    }

    #[test]
    fn each_type_checks_and_normalizes_its_values() {
        assert!(ok(&field(Kind::Text), &["  "]).is_empty());
        assert_eq!(ok(&field(Kind::Text), &[" a b "]), ["a b"]);
        assert!(bad(&field(Kind::Text), "a\u{7}").contains("single line"));
        assert_eq!(ok(&field(Kind::Number), &["-3.25"]), ["-3.25"]);
        for wrong in ["3.", ".5", "1e3", "12a", "--1"] {
            assert!(
                bad(&field(Kind::Number), wrong).contains("number"),
                "{wrong}"
            );
        }
        assert_eq!(ok(&field(Kind::Checkbox), &["0", "1"]), ["yes"]);
        assert!(ok(&field(Kind::Checkbox), &["1", "0"]).is_empty());
        assert_eq!(ok(&field(Kind::Date), &["2026-02-28"]), ["2026-02-28"]);
        assert!(bad(&field(Kind::Date), "2026-02-30").contains("YYYY-MM-DD"));
        assert_eq!(
            ok(&field(Kind::Email), &["Ann@Example.COM"]),
            ["ann@example.com"]
        );
        assert_eq!(ok(&field(Kind::Phone), &["+1 (555) 010"]), ["+1 (555) 010"]);
        assert!(bad(&field(Kind::Phone), "call me").contains("phone"));
        assert_eq!(
            ok(&field(Kind::Url), &["https://a.example/x"]),
            ["https://a.example/x"]
        );
        assert!(bad(&field(Kind::Url), "javascript:alert(1)").contains("https://"));
    }

    #[test]
    fn choices_take_a_code_or_a_label_and_keep_the_options_order() {
        let mut choice = field(Kind::Choice);
        choice.options = Choice::parse_lines("custom | Use custom URI\nwebrtc | Use WebRTC");
        assert_eq!(ok(&choice, &["Use WebRTC"]), ["webrtc"]);
        assert_eq!(ok(&choice, &["CUSTOM"]), ["custom"]);
        assert!(bad(&choice, "pbx").contains("from the list"));
        let mut multi = field(Kind::MultiChoice);
        multi.options = Choice::parse_lines("a\nb\nc");
        assert_eq!(ok(&multi, &["c", "a", "c", ""]), ["a", "c"]);
    }

    #[test]
    fn length_and_pattern_apply_with_their_own_message() {
        let mut text = field(Kind::Text);
        text.min_length = Some(3);
        text.max_length = Some(5);
        assert!(bad(&text, "ab").contains("at least 3"));
        assert!(bad(&text, "abcdef").contains("at most 5"));
        text.set_pattern("sip:.+", "Enter a SIP URI.").unwrap();
        assert_eq!(bad(&text, "abcd"), "Enter a SIP URI.");
        assert_eq!(ok(&text, &["sip:1"]), ["sip:1"]);
        // The pattern must match the whole value.
        assert_eq!(bad(&text, "xsip:"), "Enter a SIP URI.");
    }
}
