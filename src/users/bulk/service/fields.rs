//! Bulk "Set field": one user field set to one value (or cleared) for many users, with the
//! field's rules for each (show-when, required for their roles, unique), audited per user.

use std::collections::{BTreeSet, HashMap};

use super::selection::Target;
use super::BulkError;
use crate::db::DbConn;
use crate::fields::profile::shows;
use crate::fields::store::{self, Values};
use crate::fields::{check_value, Field};

/// The field, the organization's fields (for show-when) and the values to set.
pub(super) struct FieldSet {
    pub(super) field: Field,
    fields: Vec<Field>,
    /// Checked and normalized; empty: clear the field.
    pub(super) values: Vec<String>,
    /// Every target's values, loaded once.
    held: HashMap<i64, Values>,
}

impl FieldSet {
    /// The field and value asked for, checked once for all; the label of the action.
    pub(super) fn of(
        conn: &mut DbConn,
        org_id: i64,
        field_id: i64,
        value: &str,
        ids: &[i64],
    ) -> Result<(String, FieldSet), BulkError> {
        let fields = store::all(conn, org_id)?;
        let field = fields
            .iter()
            .find(|f| f.id == field_id)
            .cloned()
            .ok_or_else(|| BulkError::Refused("Choose a user field from the list.".into()))?;
        if field.is_secret() {
            return Err(BulkError::Refused(
                "A secret is set for one user at a time, in Edit User.".into(),
            ));
        }
        if field.key == crate::sso::OAUTH_EMAIL {
            // It signs the person in through the provider: a credential, changed in Edit User
            // with the authority that changes an email.
            return Err(BulkError::Refused(format!(
                "{} is set for one user at a time, in Edit User.",
                field.label
            )));
        }
        let raw: Vec<String> = match field.kind {
            crate::fields::Kind::MultiChoice => {
                value.split(';').map(|v| v.trim().to_owned()).collect()
            }
            _ => vec![value.to_owned()],
        };
        let values = check_value(&field, &raw)
            .map_err(|problem| BulkError::Refused(format!("{}: {problem}", field.label)))?;
        let label = match values.as_slice() {
            [] => format!("Clear {}", field.label),
            shown => format!(
                "Set {} to “{}”",
                field.label,
                shown
                    .iter()
                    .map(|v| field.display(v))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        let held = store::values_of_many(conn, ids)?;
        Ok((
            label,
            FieldSet {
                field,
                fields,
                values,
                held,
            },
        ))
    }

    fn held(&self, user_id: i64) -> Values {
        self.held.get(&user_id).cloned().unwrap_or_default()
    }

    /// Whether the target changes, or why they are left out.
    pub(super) fn sort(&self, target: &Target) -> (bool, Option<String>) {
        let held = self.held(target.id);
        let field = &self.field;
        if !shows(field, &self.fields, &held) {
            let (key, value) = field.show_when.clone().unwrap_or_default();
            let (controller, value) = match self.fields.iter().find(|f| f.key == key) {
                Some(c) => (c.label.clone(), c.display(&value)),
                None => (key, value),
            };
            return (
                false,
                Some(format!(
                    "{}: {} shows only when {controller} is {value}",
                    target.name, field.label
                )),
            );
        }
        if self.values.is_empty() && field.required.applies(&target.roles) {
            return (
                false,
                Some(format!(
                    "{}: {} is required for them",
                    target.name, field.label
                )),
            );
        }
        let before: BTreeSet<&String> = held.get(&field.id).into_iter().flatten().collect();
        let after: BTreeSet<&String> = self.values.iter().collect();
        (before != after, None)
    }

    /// A unique field takes a value once: never for several users, never one another holds.
    pub(super) fn unique_refusal(
        &self,
        conn: &mut DbConn,
        changing: &[i64],
    ) -> Result<Option<String>, BulkError> {
        let (Some(value), true) = (self.values.first(), self.field.unique) else {
            return Ok(None);
        };
        let taken = match changing {
            [] => false,
            [one] => store::value_taken(conn, self.field.id, value, *one)?,
            _ => true,
        };
        Ok(taken.then(|| {
            format!(
                "{} is unique: no two users may hold “{value}”. Nothing was changed.",
                self.field.label
            )
        }))
    }

    /// Sets the value for one user; answers the audit's before and after.
    pub(super) fn apply(
        &self,
        conn: &mut DbConn,
        user_id: i64,
    ) -> Result<(serde_json::Value, serde_json::Value), BulkError> {
        let field = &self.field;
        let before = self.held(user_id).remove(&field.id).unwrap_or_default();
        store::set_values(conn, user_id, field, &self.values)?;
        if field.searchable {
            crate::users::store::refresh_search_text(conn, user_id)?;
        }
        let shown = |values: &[String]| -> serde_json::Value {
            match values {
                [] => serde_json::Value::Null,
                [one] if field.kind != crate::fields::Kind::MultiChoice => {
                    field.display(one).into()
                }
                many => many.iter().map(|v| field.display(v)).collect(),
            }
        };
        Ok((shown(&before), shown(&self.values)))
    }
}
