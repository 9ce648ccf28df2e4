//! The enterprise user extension (RFC 7643 §4.3), as far as Gatehouse keeps it: `department`
//! (which also places the user in the organization's division of that name, when there is
//! one) and `employeeNumber`, given back as the provider sent them.

use serde_json::{json, Value};

use super::model::Draft;
use super::store::Stored;
use crate::scim::error::ScimError;

pub const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// The extension's URN as normalized paths hold it (lower case).
pub fn urn() -> String {
    ENTERPRISE.to_lowercase()
}

fn text(value: &Value) -> Result<Option<String>, ScimError> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) if s.is_empty() => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        Value::Number(n) => Ok(Some(n.to_string())),
        other => Err(ScimError::bad(
            "invalidValue",
            format!("{other} is not a string"),
        )),
    }
}

/// One of the extension's attributes (`sub`, lower case); others are ignored.
pub fn set(draft: &mut Draft, sub: &str, value: &Value) -> Result<(), ScimError> {
    match sub {
        "department" => draft.extra.department = text(value)?,
        "employeenumber" => draft.extra.employee_number = text(value)?,
        _ => {}
    }
    Ok(())
}

/// The extension's object, attribute by attribute.
pub fn set_all(draft: &mut Draft, value: &Value) -> Result<(), ScimError> {
    if let Some(object) = value.as_object() {
        for (key, inner) in object {
            set(draft, &key.to_lowercase(), inner)?;
        }
    }
    Ok(())
}

pub fn remove(draft: &mut Draft, sub: &str) {
    match sub {
        "department" => draft.extra.department = None,
        "employeenumber" => draft.extra.employee_number = None,
        "" => {
            draft.extra.department = None;
            draft.extra.employee_number = None;
        }
        _ => {}
    }
}

/// The extension's part of a user, when the provider gave any of it.
pub fn to_json(stored: &Stored) -> Option<Value> {
    let extra = &stored.extra;
    if extra.department.is_none() && extra.employee_number.is_none() {
        return None;
    }
    let mut part = json!({});
    if let Some(department) = &extra.department {
        part["department"] = department.clone().into();
    }
    if let Some(number) = &extra.employee_number {
        part["employeeNumber"] = number.clone().into();
    }
    Some(part)
}
