//! A user's values in the organization's fields: what a form posted, checked against the
//! fields' rules (required, show-when, unique, secrets kept unless replaced), then stored and
//! audited by the caller's transaction.

use std::collections::{BTreeMap, BTreeSet};

use diesel::QueryResult;

use super::store::{self, Values};
use super::{check_value, Field, Kind};
use crate::audit::Changes;
use crate::db::DbConn;
use crate::validation::FieldErrors;

/// The form name of a field's input.
pub fn input_name(field: &Field) -> String {
    format!("field.{}", field.key)
}

/// The field values a form posted: `field.<key>` (repeated for a multiple choice) and
/// `clear.<key>` for a secret to remove.
#[derive(Debug, Clone, Default)]
pub struct Posted {
    values: BTreeMap<String, Vec<String>>,
    cleared: BTreeSet<String>,
}

impl Posted {
    pub fn from_pairs(pairs: &[(String, String)]) -> Posted {
        let mut posted = Posted::default();
        for (name, value) in pairs {
            if let Some(key) = name.strip_prefix("field.") {
                posted
                    .values
                    .entry(key.to_owned())
                    .or_default()
                    .push(value.clone());
            } else if let Some(key) = name.strip_prefix("clear.") {
                if value == "1" {
                    posted.cleared.insert(key.to_owned());
                }
            }
        }
        posted
    }

    /// One value per key (an import's cells, an API's object).
    pub fn set(&mut self, key: &str, values: Vec<String>) {
        self.values.insert(key.to_owned(), values);
    }

    pub fn get(&self, key: &str) -> &[String] {
        self.values.get(key).map_or(&[], Vec::as_slice)
    }

    pub fn clears(&self, key: &str) -> bool {
        self.cleared.contains(key)
    }

    pub fn has(&self, key: &str) -> bool {
        self.values.contains_key(key) || self.cleared.contains(key)
    }

    /// The values a form shows again after a refusal: as posted, a secret's as held.
    pub fn as_shown(&self, fields: &[Field], held: &Values) -> Values {
        let mut shown = held.clone();
        for field in fields.iter().filter(|f| !f.is_secret()) {
            if let Some(posted) = self.values.get(&field.key) {
                let values: Vec<String> = match field.kind {
                    Kind::Checkbox => posted
                        .last()
                        .filter(|v| *v == "1")
                        .map(|_| "yes".to_owned())
                        .into_iter()
                        .collect(),
                    Kind::Choice | Kind::MultiChoice => posted
                        .iter()
                        .filter_map(|v| field.choice(v).map(|c| c.code.clone()))
                        .collect(),
                    _ => posted
                        .iter()
                        .map(|v| v.trim().to_owned())
                        .filter(|v| !v.is_empty())
                        .collect(),
                };
                shown.insert(field.id, values);
            }
        }
        shown
    }
}

/// Which fields a save may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Editor {
    /// An administrator: every field.
    Admin,
    /// The user on My account: the fields marked so.
    Myself,
    /// An import or API call: the fields it names (others stay as they are).
    Named,
}

/// One field's values before and after.
#[derive(Debug, Clone)]
pub struct FieldChange {
    pub field: Field,
    pub before: Vec<String>,
    pub after: Vec<String>,
}

/// What a save does to a user's field values.
#[derive(Debug, Default)]
pub struct ProfileChange {
    pub changes: Vec<FieldChange>,
}

/// Whether a field shows given the values it would hold (show-when chains followed, a field
/// whose controlling field is hidden is hidden too).
pub fn shows(field: &Field, fields: &[Field], values: &BTreeMap<i64, Vec<String>>) -> bool {
    let mut current = field;
    for _ in 0..=fields.len() {
        let Some((key, wanted)) = &current.show_when else {
            return true;
        };
        let Some(controller) = fields.iter().find(|f| &f.key == key) else {
            return true;
        };
        if controller.is_secret() {
            // A secret never decides what shows (that would tell its value).
            return true;
        }
        let held = values.get(&controller.id).map_or(&[][..], Vec::as_slice);
        let shows = match controller.kind {
            Kind::Checkbox => {
                let ticked = !held.is_empty();
                (wanted == "yes") == ticked
            }
            _ => held.iter().any(|v| v.eq_ignore_ascii_case(wanted)),
        };
        if !shows {
            return false;
        }
        current = controller;
    }
    // A loop of show-when rules (Settings refuses them): shown.
    true
}

/// Checks the posted values against the fields, given the user's held values and the roles
/// they will hold. Messages land beside each field (`field.<key>`).
pub fn check(
    fields: &[Field],
    held: &Values,
    posted: &Posted,
    (editor, roles): (Editor, &BTreeSet<i64>),
    errors: &mut FieldErrors,
) -> ProfileChange {
    let editable = |field: &Field| match editor {
        Editor::Admin => true,
        Editor::Myself => field.access == super::Access::SelfEdit,
        Editor::Named => posted.has(&field.key),
    };
    let mut wanted: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    let mut problems: BTreeMap<i64, String> = BTreeMap::new();
    for field in fields {
        let before = held.get(&field.id).cloned().unwrap_or_default();
        let after = if !editable(field) {
            before
        } else if field.is_secret() {
            let typed = posted.get(&field.key).iter().any(|v| !v.trim().is_empty());
            if posted.clears(&field.key) && !typed {
                Vec::new()
            } else if !typed {
                before
            } else {
                checked(field, posted, &mut problems, before)
            }
        } else {
            checked(field, posted, &mut problems, before)
        };
        wanted.insert(field.id, after);
    }
    let mut change = ProfileChange::default();
    for field in fields {
        let before = held.get(&field.id).cloned().unwrap_or_default();
        let mut after = wanted.get(&field.id).cloned().unwrap_or_default();
        if !editable(field) {
            // Not this editor's to change, shown or not: it stays as it is.
            after = before.clone();
        } else if !shows(field, fields, &wanted) {
            // A hidden field holds nothing: what was posted for it is ignored.
            after = Vec::new();
        } else if let Some(problem) = problems.remove(&field.id) {
            errors.add_named(input_name(field), problem);
        } else if after.is_empty() && editable(field) && field.required.applies(roles) {
            errors.add_named(input_name(field), required_message(field));
        }
        let mut sorted_before = before.clone();
        sorted_before.sort();
        let mut sorted_after = after.clone();
        sorted_after.sort();
        if sorted_before != sorted_after {
            change.changes.push(FieldChange {
                field: field.clone(),
                before,
                after,
            });
        }
    }
    change
}

/// The posted value checked; on a problem, the value held stays (and the problem is noted).
fn checked(
    field: &Field,
    posted: &Posted,
    problems: &mut BTreeMap<i64, String>,
    before: Vec<String>,
) -> Vec<String> {
    match check_value(field, posted.get(&field.key)) {
        Ok(values) => values,
        Err(problem) => {
            problems.insert(field.id, problem);
            before
        }
    }
}

fn required_message(field: &Field) -> String {
    match field.kind {
        Kind::Checkbox => format!("Tick {}.", field.label),
        Kind::Choice | Kind::MultiChoice => format!("Choose {}.", field.label),
        _ => format!("Enter {}.", field.label),
    }
}

impl ProfileChange {
    /// Values another user holds in a unique field: a message beside each.
    pub fn check_unique(
        &self,
        conn: &mut DbConn,
        user_id: i64,
        errors: &mut FieldErrors,
    ) -> QueryResult<()> {
        for change in self.changes.iter().filter(|c| c.field.unique) {
            for value in &change.after {
                if store::value_taken(conn, change.field.id, value, user_id)? {
                    errors.add_named(input_name(&change.field), taken(&change.field));
                }
            }
        }
        Ok(())
    }

    pub fn apply(&self, conn: &mut DbConn, user_id: i64) -> QueryResult<()> {
        for change in &self.changes {
            store::set_values(conn, user_id, &change.field, &change.after)?;
        }
        Ok(())
    }

    /// Before and after by label; a secret reads "set"/"not set" and "changed", never itself.
    pub fn audit(&self, changes: &mut Changes) {
        for change in &self.changes {
            let (before, after) = (
                audited(change, &change.before),
                audited(change, &change.after),
            );
            if change.field.is_secret() {
                let after = if change.after.is_empty() {
                    "not set"
                } else {
                    "changed"
                };
                changes.field(&change.field.label, before, after);
            } else {
                changes.field(&change.field.label, before, after);
            }
        }
    }

    /// The unique fields this change writes: on a unique violation one of them was taken.
    pub fn unique_fields(&self) -> impl Iterator<Item = &Field> {
        self.changes
            .iter()
            .filter(|c| c.field.unique && !c.after.is_empty())
            .map(|c| &c.field)
    }
}

/// "Another user already has this Username."
pub fn taken(field: &Field) -> String {
    format!("Another user already has this {}.", field.label)
}

fn audited(change: &FieldChange, values: &[String]) -> serde_json::Value {
    let field = &change.field;
    if field.is_secret() {
        return (if values.is_empty() { "not set" } else { "set" }).into();
    }
    match (field.kind, values) {
        (Kind::MultiChoice, values) => values.iter().map(|v| field.display(v)).collect(),
        (_, []) => serde_json::Value::Null,
        (_, [value, ..]) => field.display(value).into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::{Choice, Required};

    fn fields() -> Vec<Field> {
        let mut option = Field::for_test("sip_option", "SIP Option", Kind::Choice);
        option.id = 1;
        option.options = Choice::parse_lines("custom | Use custom URI\nwebrtc | Use WebRTC");
        let mut uri = Field::for_test("sip_uri", "Custom SIP URI", Kind::Text);
        uri.id = 2;
        uri.required = Required::Always;
        uri.show_when = Some(("sip_option".into(), "custom".into()));
        let mut token = Field::for_test("caldav", "CalDAV token", Kind::Secret);
        token.id = 3;
        vec![option, uri, token]
    }

    fn post(pairs: &[(&str, &str)]) -> Posted {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Posted::from_pairs(&pairs)
    }

    fn run(held: &Values, posted: &Posted) -> (ProfileChange, FieldErrors) {
        let mut errors = FieldErrors::default();
        let change = check(
            &fields(),
            held,
            posted,
            (Editor::Admin, &BTreeSet::new()),
            &mut errors,
        );
        (change, errors)
    }

    #[test]
    fn a_hidden_field_is_ignored_and_emptied_and_a_shown_one_is_required() {
        let held = Values::from([(2, vec!["sip:old@pbx".to_owned()])]);
        let (change, errors) = run(
            &held,
            &post(&[
                ("field.sip_option", "webrtc"),
                ("field.sip_uri", "bad\u{7}"),
            ]),
        );
        assert!(errors.is_empty(), "{errors:?}");
        let uri = change.changes.iter().find(|c| c.field.id == 2).unwrap();
        assert!(uri.after.is_empty());
        let (_, errors) = run(
            &held,
            &post(&[("field.sip_option", "custom"), ("field.sip_uri", "")]),
        );
        assert_eq!(errors.get("field.sip_uri"), Some("Enter Custom SIP URI."));
    }

    #[test]
    fn a_secret_stays_unless_typed_or_cleared_and_is_audited_without_its_value() {
        let held = Values::from([(3, vec!["s3cret".to_owned()])]);
        let (change, _) = run(&held, &post(&[("field.caldav", "")]));
        assert!(change.changes.is_empty());
        let (change, _) = run(&held, &post(&[("field.caldav", "n3w")]));
        let mut audit = Changes::default();
        change.audit(&mut audit);
        let details = audit.into_details().to_string();
        assert!(
            details.contains("changed") && !details.contains("n3w") && !details.contains("s3cret")
        );
        let (change, _) = run(&held, &post(&[("clear.caldav", "1")]));
        assert!(change.changes[0].after.is_empty());
    }
}
