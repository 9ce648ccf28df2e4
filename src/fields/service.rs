//! Defining fields: create, change (asking to confirm when values would be lost), delete;
//! each checked and audited in the same transaction.

use std::collections::BTreeSet;

use chrono::NaiveDateTime;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use serde_json::json;

use super::definition::{Field, Kind};
use super::form::{check_form, FieldForm};
use super::{check_value, store};
use crate::audit::{self, action, Actor, Event, Origin};
use crate::db::{write_tx, DbConn};
use crate::validation::FieldErrors;

/// The most fields an organization defines.
pub const FIELDS_MAX: usize = 100;
#[derive(Debug, thiserror::Error)]
pub enum FieldError {
    #[error("That field does not exist.")]
    NotFound,
    #[error("some fields need attention")]
    Invalid(FieldErrors),
    /// The change would remove values users hold: nothing was saved yet.
    #[error("{holders} users hold a value; {removed} would be removed.")]
    NeedsConfirmation { holders: i64, removed: usize },
    /// Another field shows only when this one has a value.
    #[error("{0} shows only when this field has a value: change or delete it first.")]
    Controls(String),
    #[error(transparent)]
    Database(#[from] DieselError),
}

fn invalid(field: &'static str, message: impl Into<String>) -> FieldError {
    FieldError::Invalid(FieldErrors::one(field, message))
}

fn roles_of(conn: &mut DbConn, org_id: i64) -> Result<BTreeSet<i64>, FieldError> {
    Ok(crate::users::store::org_roles(conn, org_id)?
        .into_iter()
        .map(|(id, _)| id)
        .collect())
}

/// The definition an audit event records.
fn described(field: &Field) -> serde_json::Value {
    let (when_key, when_value) = field.show_when.clone().unwrap_or_default();
    json!({
        "key": field.key,
        "label": field.label,
        "type": field.kind.label(),
        "section": field.section,
        "required": field.required.code(),
        "unique": field.unique,
        "options": field.options.len(),
        "show_when": if when_key.is_empty() { String::new() } else { format!("{when_key} = {when_value}") },
        "access": field.access.code(),
        "searchable": field.searchable,
        "help": field.help,
        "required_roles": field.required.role_ids(),
        "min_length": field.min_length,
        "max_length": field.max_length,
        "pattern": field.pattern_source,
        "pattern_message": field.pattern_message,
        "option_list": crate::fields::Choice::lines(&field.options),
    })
}

fn event<'a>(
    org_id: i64,
    actor: &'a Actor,
    action: &'a str,
    details: serde_json::Value,
    meta: &'a Origin,
) -> Event<'a> {
    Event {
        org_id: Some(org_id),
        actor,
        action,
        target: None,
        details,
        meta,
    }
}

/// Creates a field at the end of its list; answers its id.
pub fn create(
    conn: &mut DbConn,
    (actor, org_id): (&Actor, i64),
    form: &FieldForm,
    meta: &Origin,
    now: NaiveDateTime,
) -> Result<i64, FieldError> {
    write_tx(conn, |conn| {
        let others = store::all(conn, org_id)?;
        if others.len() >= FIELDS_MAX {
            return Err(invalid(
                "label",
                format!("An organization has at most {FIELDS_MAX} fields."),
            ));
        }
        let roles = roles_of(conn, org_id)?;
        let mut field = check_form(form, None, &others, &roles).map_err(FieldError::Invalid)?;
        field.position = store::next_position(conn, org_id)?;
        let id = store::insert(conn, org_id, &field, now)?;
        let details = described(&field);
        audit::record(
            conn,
            event(org_id, actor, action::FIELD_CREATED, details, meta),
            now,
        )?;
        Ok(id)
    })
    .map_err(|error| match error {
        FieldError::Database(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
            invalid("key", "Another field has this key.")
        }
        other => other,
    })
}

/// Changes a field. Values the new definition refuses (another type, fewer options, a
/// pattern) are removed, once the person confirmed how many.
pub fn update(
    conn: &mut DbConn,
    (actor, org_id): (&Actor, i64),
    field_id: i64,
    form: &FieldForm,
    meta: &Origin,
    now: NaiveDateTime,
) -> Result<(), FieldError> {
    write_tx(conn, |conn| {
        let all = store::all(conn, org_id)?;
        let current = all
            .iter()
            .find(|f| f.id == field_id)
            .cloned()
            .ok_or(FieldError::NotFound)?;
        let others: Vec<Field> = all.into_iter().filter(|f| f.id != field_id).collect();
        let roles = roles_of(conn, org_id)?;
        let field =
            check_form(form, Some(&current), &others, &roles).map_err(FieldError::Invalid)?;
        // A secret's held values are never compared with a new pattern or length: the answer
        // would tell them. The new rules apply to values set from now on.
        let (holders, refused, rewritten) = if current.is_secret() {
            (0, Vec::new(), Vec::new())
        } else {
            refused_values(conn, &current, &field)?
        };
        if field.is_secret() && !current.is_secret() {
            if let Some(dependent) = others.iter().find(|f| {
                f.show_when
                    .as_ref()
                    .is_some_and(|(key, _)| key == &field.key)
            }) {
                return Err(invalid(
                    "kind",
                    format!(
                        "{} shows only when this field has a value, and a secret never decides what shows: change {} first.",
                        dependent.label, dependent.label
                    ),
                ));
            }
        }
        if (field.kind != current.kind && holders > 0 || !refused.is_empty()) && !form.confirmed {
            return Err(FieldError::NeedsConfirmation {
                holders,
                removed: refused.len(),
            });
        }
        if field.unique && !current.unique && store::has_duplicates(conn, field_id)? {
            return Err(invalid(
                "unique",
                "Two or more users hold the same value: make them differ first.",
            ));
        }
        // The organization's catalogue first (the definition), then its holders in id order,
        // as every change that reaches several people takes them.
        store::update(conn, &field)?;
        let values_moved = !refused.is_empty() || !rewritten.is_empty();
        if values_moved || field.searchable != current.searchable {
            let holders = super::holders::of(conn, field_id)?;
            crate::users::store::lock_all_for_change(conn, &holders)?;
        }
        store::remove_values(conn, field_id, &refused)?;
        for (user_id, values) in &rewritten {
            store::set_values(conn, *user_id, &field, values)?;
        }
        if field.unique != current.unique {
            store::set_unique(conn, field_id, field.unique)?;
        }
        if field.searchable != current.searchable || (field.searchable && values_moved) {
            // Search User matches the values of searchable fields: write the holders' again.
            crate::users::store::refresh_search_text_of_holders(conn, field_id)?;
        }
        let mut changes = audit::Changes::default();
        let (before, after) = (described(&current), described(&field));
        for (name, value) in after.as_object().into_iter().flatten() {
            changes.field(name, &before[name], value);
        }
        if changes.is_empty() && refused.is_empty() {
            return Ok(());
        }
        let mut details = changes.into_details();
        details["key"] = json!(field.key);
        details["values_removed"] = json!(refused.len());
        audit::record(
            conn,
            event(org_id, actor, action::FIELD_CHANGED, details, meta),
            now,
        )?;
        Ok(())
    })
}

/// Users whose kept values the new definition stores otherwise, with those values.
type Rewritten = Vec<(i64, Vec<String>)>;

/// How many hold a value, who holds one the new definition refuses, and whose it rewrites.
fn refused_values(
    conn: &mut DbConn,
    current: &Field,
    field: &Field,
) -> Result<(i64, Vec<i64>, Rewritten), FieldError> {
    let values = store::values_in(conn, current.id)?;
    let mut by_user: std::collections::BTreeMap<i64, Vec<String>> = Default::default();
    for (user, value) in values {
        by_user.entry(user).or_default().push(value);
    }
    let holders = by_user.len() as i64;
    let (mut refused, mut rewritten) = (Vec::new(), Vec::new());
    for (user, values) in by_user {
        // A multiple choice becoming a single value keeps its first; the rest check as they are.
        let single = field.kind != Kind::MultiChoice;
        let values = if single && values.len() > 1 {
            values[..1].to_vec()
        } else {
            values
        };
        match check_value(field, &values) {
            Ok(kept) if kept.len() == values.len() => {
                // Stored as the new definition stores it (a label becomes its option's code).
                let mut before = values.clone();
                before.sort();
                let mut after = kept.clone();
                after.sort();
                if before != after {
                    rewritten.push((user, kept));
                }
            }
            _ => refused.push(user),
        }
    }
    Ok((holders, refused, rewritten))
}

/// Deletes a field and the values users hold in it; answers how many held one.
pub fn delete(
    conn: &mut DbConn,
    (actor, org_id): (&Actor, i64),
    field_id: i64,
    meta: &Origin,
    now: NaiveDateTime,
) -> Result<i64, FieldError> {
    write_tx(conn, |conn| {
        let all = store::all(conn, org_id)?;
        let field = all
            .iter()
            .find(|f| f.id == field_id)
            .ok_or(FieldError::NotFound)?;
        if let Some(dependent) = all.iter().find(|f| {
            f.show_when
                .as_ref()
                .is_some_and(|(key, _)| key == &field.key)
        }) {
            return Err(FieldError::Controls(dependent.label.clone()));
        }
        let holders = super::holders::count(conn, field_id)?;
        let searched: Vec<i64> = if field.searchable {
            super::holders::of(conn, field_id)?
        } else {
            Vec::new()
        };
        store::delete(conn, field_id)?;
        for user_id in searched {
            crate::users::store::refresh_search_text(conn, user_id)?;
        }
        let mut details = described(field);
        details["holders"] = json!(holders);
        audit::record(
            conn,
            event(org_id, actor, action::FIELD_DELETED, details, meta),
            now,
        )?;
        Ok(holders)
    })
}
