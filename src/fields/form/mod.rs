//! A field's definition as Settings posts it, and its checks: what a field may be.

use std::collections::BTreeSet;

use super::definition::{compile, Access, Choice, Field, Kind, Required};
use super::VALUE_MAX;
use crate::validation::FieldErrors;

mod show_when;

/// The most options a choice offers (a country list has about 250).
pub const OPTIONS_MAX: usize = 300;

/// Names CSV columns and the API already use: a field cannot take them as its key.
const RESERVED_KEYS: &[&str] = &[
    "id",
    "email",
    "username",
    "first_name",
    "last_name",
    "name",
    "phone",
    "timezone",
    "language",
    "status",
    "role",
    "roles",
    "license",
    "licenses",
    "division",
    "groups",
    "tags",
    "password",
];

/// A field definition as Settings posts it.
#[derive(Debug, Clone, Default)]
pub struct FieldForm {
    pub label: String,
    pub key: String,
    pub kind: String,
    pub section: String,
    pub help: String,
    pub required: String,
    pub required_roles: Vec<i64>,
    pub unique: bool,
    pub min_length: String,
    pub max_length: String,
    pub pattern: String,
    pub pattern_message: String,
    pub options: String,
    pub show_when_key: String,
    pub show_when_value: String,
    pub access: String,
    pub searchable: bool,
    /// The person confirmed a change that removes values.
    pub confirmed: bool,
}

impl FieldForm {
    pub fn from_pairs(pairs: &[(String, String)]) -> FieldForm {
        let last = |name: &str| {
            pairs
                .iter()
                .rev()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        FieldForm {
            label: last("label"),
            key: last("key"),
            kind: last("kind"),
            section: last("section"),
            help: last("help"),
            required: last("required"),
            required_roles: pairs
                .iter()
                .filter(|(k, _)| k == "required_role")
                .filter_map(|(_, v)| v.parse().ok())
                .collect(),
            unique: last("unique") == "1",
            min_length: last("min_length"),
            max_length: last("max_length"),
            pattern: last("pattern"),
            pattern_message: last("pattern_message"),
            options: last("options"),
            show_when_key: last("show_when_key"),
            show_when_value: last("show_when_value"),
            access: last("access"),
            searchable: last("searchable") == "1",
            confirmed: last("confirmed") == "1",
        }
    }

    /// The form for an existing field.
    pub fn of(field: &Field) -> FieldForm {
        let (when_key, when_value) = field.show_when.clone().unwrap_or_default();
        FieldForm {
            label: field.label.clone(),
            key: field.key.clone(),
            kind: field.kind.code().into(),
            section: field.section.clone(),
            help: field.help.clone(),
            required: field.required.code().into(),
            required_roles: match &field.required {
                Required::Roles(ids) => ids.iter().copied().collect(),
                _ => Vec::new(),
            },
            unique: field.unique,
            min_length: field.min_length.map(|n| n.to_string()).unwrap_or_default(),
            max_length: field.max_length.map(|n| n.to_string()).unwrap_or_default(),
            pattern: field.pattern_source.clone(),
            pattern_message: field.pattern_message.clone(),
            options: Choice::lines(&field.options),
            show_when_key: when_key,
            show_when_value: when_value,
            access: field.access.code().into(),
            searchable: field.searchable,
            confirmed: false,
        }
    }
}

/// "Caller ID Number" → "caller_id_number".
pub fn key_from_label(label: &str) -> String {
    let mut key = String::new();
    for c in label.trim().to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            key.push(c);
        } else if !key.ends_with('_') && !key.is_empty() {
            key.push('_');
        }
    }
    let key = key.trim_end_matches('_');
    let key = if key.starts_with(|c: char| c.is_ascii_digit()) {
        format!("f_{key}")
    } else {
        key.to_owned()
    };
    key.chars()
        .take(40)
        .collect::<String>()
        .trim_end_matches('_')
        .to_owned()
}

fn text(errors: &mut FieldErrors, name: &'static str, value: &str, max: usize) -> String {
    let value = value.trim();
    if value.chars().count() > max {
        errors.add(name, format!("Use at most {max} characters."));
    } else if let Some(problem) = crate::users::single_line_problem(value) {
        errors.add(name, problem);
    }
    value.to_owned()
}

fn length(errors: &mut FieldErrors, name: &'static str, value: &str) -> Option<i32> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    match value.parse::<i32>() {
        Ok(n) if (0..=VALUE_MAX as i32).contains(&n) => Some(n),
        _ => {
            errors.add(name, format!("Enter a whole number from 0 to {VALUE_MAX}."));
            None
        }
    }
}

/// Checks a posted definition. `current` is the field being changed (its key and id stay);
/// `others` the organization's other fields; `roles` its role ids.
pub fn check_form(
    form: &FieldForm,
    current: Option<&Field>,
    others: &[Field],
    roles: &BTreeSet<i64>,
) -> Result<Field, FieldErrors> {
    let mut errors = FieldErrors::default();
    let label = text(&mut errors, "label", &form.label, 60);
    if label.is_empty() {
        errors.add("label", "Enter a label.");
    } else if others.iter().any(|f| f.label.eq_ignore_ascii_case(&label)) {
        errors.add("label", "Another field has this label.");
    }
    let key = match current {
        Some(field) => field.key.clone(),
        None => new_key(&mut errors, form, &label, others),
    };
    let kind = Kind::parse(&form.kind);
    let Some(kind) = kind else {
        errors.add("kind", "Choose a type from the list.");
        return Err(errors);
    };
    if let Some(field) = current {
        if field.kind == Kind::Secret && kind != Kind::Secret {
            errors.add(
                "kind",
                "A secret stays a secret (its values are never shown): delete the field and create another.",
            );
        }
    }
    let section = text(&mut errors, "section", &form.section, 60);
    let help = text(&mut errors, "help", &form.help, 200);
    let required = required(&mut errors, form, roles);
    if form.unique && !kind.can_be_unique() {
        errors.add(
            "unique",
            format!("A {} field cannot be unique.", kind.label().to_lowercase()),
        );
    }
    if form.searchable && !kind.can_be_searched() {
        errors.add(
            "searchable",
            "Only text, number, email and phone fields can be searched.",
        );
    }
    let (min_length, max_length, pattern_source, pattern_message) = if kind.has_length() {
        lengths_and_pattern(&mut errors, form)
    } else {
        (None, None, String::new(), String::new())
    };
    let options = if kind.has_options() {
        options(&mut errors, &form.options)
    } else {
        Vec::new()
    };
    let show_when = show_when::check(form, &key, others, &mut errors);
    let access = Access::parse(&form.access).unwrap_or_else(|| {
        errors.add("access", "Choose who edits it.");
        Access::Admins
    });
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut field = Field::for_test(&key, &label, kind);
    field.id = current.map_or(0, |f| f.id);
    field.position = current.map_or(0, |f| f.position);
    field.section = section;
    field.help = help;
    field.required = required;
    field.unique = form.unique;
    field.min_length = min_length;
    field.max_length = max_length;
    field
        .set_pattern(&pattern_source, &pattern_message)
        .map_err(|m| FieldErrors::one("pattern", m))?;
    field.options = options;
    field.show_when = show_when;
    field.access = access;
    field.searchable = form.searchable;
    Ok(field)
}

/// A new field's key: typed, or made from the label; its shape, not a built-in column's, and
/// not another field's.
fn new_key(errors: &mut FieldErrors, form: &FieldForm, label: &str, others: &[Field]) -> String {
    let key = match form.key.trim() {
        "" => key_from_label(label),
        typed => typed.to_owned(),
    };
    let shape = key.len() <= 40
        && key.starts_with(|c: char| c.is_ascii_lowercase())
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !shape {
        errors.add(
            "key",
            "Use lower-case letters, digits and _, starting with a letter, at most 40.",
        );
    } else if RESERVED_KEYS.contains(&key.as_str()) {
        errors.add("key", "This key names a built-in column: choose another.");
    } else if others.iter().any(|f| f.key == key) {
        errors.add("key", "Another field has this key.");
    }
    key
}

/// When the field is required: never, always, or for some of the organization's roles.
fn required(errors: &mut FieldErrors, form: &FieldForm, roles: &BTreeSet<i64>) -> Required {
    match form.required.as_str() {
        "" | "never" => Required::Never,
        "always" => Required::Always,
        "roles" => {
            let chosen: BTreeSet<i64> = form.required_roles.iter().copied().collect();
            if chosen.is_empty() {
                errors.add("required", "Tick at least one role it is required for.");
            } else if !chosen.is_subset(roles) {
                errors.add("required", "Choose roles from the list.");
            }
            Required::Roles(chosen)
        }
        _ => {
            errors.add("required", "Choose when it is required.");
            Required::Never
        }
    }
}

/// A text-like field's lengths and pattern (with its message).
fn lengths_and_pattern(
    errors: &mut FieldErrors,
    form: &FieldForm,
) -> (Option<i32>, Option<i32>, String, String) {
    let min = length(errors, "min_length", &form.min_length);
    let max = length(errors, "max_length", &form.max_length);
    if let (Some(min), Some(max)) = (min, max) {
        if min > max {
            errors.add("max_length", "Make the maximum at least the minimum.");
        }
    }
    let pattern = form.pattern.trim();
    if pattern.len() > 300 {
        errors.add("pattern", "Use at most 300 characters.");
    } else if let Err(problem) = compile(pattern) {
        errors.add("pattern", problem);
    }
    let message = text(errors, "pattern_message", &form.pattern_message, 200);
    (min, max, pattern.to_owned(), message)
}

/// A choice field's options, one per line: each with a code and a label, no code twice.
fn options(errors: &mut FieldErrors, lines: &str) -> Vec<Choice> {
    let options = Choice::parse_lines(lines);
    let mut codes = BTreeSet::new();
    if options.is_empty() {
        errors.add("options", "Enter at least one option, one per line.");
    } else if options.len() > OPTIONS_MAX {
        errors.add("options", format!("Use at most {OPTIONS_MAX} options."));
    } else if let Some(bad) = options.iter().find(|o| {
        o.code.is_empty()
            || o.label.is_empty()
            || o.code.chars().count() > 100
            || o.label.chars().count() > 100
    }) {
        errors.add(
            "options",
            format!(
                "“{}”: give each option a code and a label of at most 100 characters.",
                bad.label
            ),
        );
    } else if let Some(twice) = options
        .iter()
        .find(|o| !codes.insert(o.code.to_lowercase()))
    {
        errors.add("options", format!("“{}” is listed twice.", twice.code));
    }
    options
}

#[cfg(test)]
mod tests;
