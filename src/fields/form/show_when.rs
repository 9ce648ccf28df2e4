//! A show-when rule: the field it names, and the value that shows this one.

use super::FieldForm;
use crate::fields::definition::{Field, Kind};
use crate::validation::FieldErrors;

/// The rule as posted, checked: `None` when the field always shows (or the rule is refused,
/// its message added).
pub(super) fn check(
    form: &FieldForm,
    key: &str,
    others: &[Field],
    errors: &mut FieldErrors,
) -> Option<(String, String)> {
    match form.show_when_key.trim() {
        "" => None,
        when_key => match others.iter().find(|f| f.key == when_key) {
            None => {
                errors.add("show_when_key", "Choose a field from the list.");
                None
            }
            Some(controller) if depends_on(controller, key, others) => {
                errors.add(
                    "show_when_key",
                    format!("{} already depends on this field.", controller.label),
                );
                None
            }
            Some(controller) => {
                let value = form.show_when_value.trim();
                let value = match controller.kind {
                    Kind::Choice | Kind::MultiChoice => match controller.choice(value) {
                        Some(choice) => choice.code.clone(),
                        None => {
                            errors.add(
                                "show_when_value",
                                format!("Choose one of {}’s options.", controller.label),
                            );
                            String::new()
                        }
                    },
                    Kind::Checkbox => match value {
                        "yes" | "no" => value.to_owned(),
                        _ => {
                            errors.add("show_when_value", "Choose ticked or not ticked.");
                            String::new()
                        }
                    },
                    Kind::Secret => {
                        errors.add("show_when_key", "A field cannot depend on a secret.");
                        String::new()
                    }
                    _ if value.is_empty() => {
                        errors.add("show_when_value", "Enter the value that shows this field.");
                        String::new()
                    }
                    _ => value.to_owned(),
                };
                Some((controller.key.clone(), value))
            }
        },
    }
}

/// Whether `field` shows only when `key` (directly or through others) has a value.
fn depends_on(field: &Field, key: &str, all: &[Field]) -> bool {
    let mut current = field;
    for _ in 0..=all.len() {
        if current.key == key {
            return true;
        }
        let Some((next, _)) = &current.show_when else {
            return false;
        };
        if next == key {
            return true;
        }
        match all.iter().find(|f| &f.key == next) {
            Some(next) => current = next,
            None => return false,
        }
    }
    true
}
