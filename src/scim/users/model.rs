//! A user as SCIM sees them, and what a request asks them to become (`Draft`): Gatehouse
//! keeps one email (type work, primary), one phone (work), the name, the username (SCIM's
//! `userName`, else the email), `active` and the provider's `externalId`.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::store::{Extra, Stored};
use crate::scim::discovery::USER_SCHEMA;
use crate::scim::error::ScimError;
use crate::users::status;

/// What the user should become: every attribute Gatehouse keeps.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub user_name: String,
    pub given_name: String,
    pub family_name: String,
    pub email: String,
    pub phone: String,
    pub active: bool,
    pub extra: Extra,
    /// The organization's user fields (key in lower case → values), secrets left out.
    pub fields: BTreeMap<String, Vec<String>>,
    /// Secret fields the provider sent (a value, or `None` to clear); others stay as held.
    pub secrets: BTreeMap<String, Option<String>>,
}

impl Draft {
    /// What the user is, with their values in the organization's fields.
    pub fn of(stored: &Stored, fields: BTreeMap<String, Vec<String>>) -> Draft {
        Draft {
            user_name: stored
                .username
                .clone()
                .unwrap_or_else(|| stored.email.clone()),
            given_name: stored.first_name.clone(),
            family_name: stored.last_name.clone(),
            email: stored.email.clone(),
            phone: stored.phone.clone(),
            active: stored.status == status::ACTIVE,
            extra: stored.extra.clone(),
            fields,
            secrets: BTreeMap::new(),
        }
    }

    /// The username to store: `userName` unless it is an address (then the user signs in by
    /// email and has none).
    pub fn username(&self) -> Option<String> {
        let name = self.user_name.trim();
        (!name.is_empty() && !name.contains('@')).then(|| name.to_owned())
    }

    /// The email to store: the one in `emails`, else `userName` when it is an address.
    pub fn address(&self) -> String {
        if self.email.trim().is_empty() && self.user_name.contains('@') {
            self.user_name.trim().to_lowercase()
        } else {
            self.email.trim().to_lowercase()
        }
    }
}

/// A boolean as providers send it: `true`, or Entra's `"True"` / `"False"` strings.
pub fn boolean(value: &Value) -> Result<bool, ScimError> {
    match value {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
        other => Err(ScimError::bad(
            "invalidValue",
            format!("{other} is not a boolean"),
        )),
    }
}

fn text(value: &Value) -> Result<String, ScimError> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Null => Ok(String::new()),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(ScimError::bad(
            "invalidValue",
            format!("{other} is not a string"),
        )),
    }
}

/// One entry of a multi-valued attribute as kept: its value, type and primary mark.
struct Entry {
    value: String,
    kind: Option<String>,
    primary: Option<bool>,
}

/// The primary (or work, or first) entry of a multi-valued attribute.
fn chosen(values: &Value) -> Result<Option<Entry>, ScimError> {
    let items = match values {
        Value::Null => return Ok(None),
        Value::Array(items) => items.clone(),
        Value::Object(_) => vec![values.clone()],
        other => {
            return Ok(Some(Entry {
                value: text(other)?,
                kind: None,
                primary: None,
            }))
        }
    };
    let primary = |i: &Value| boolean(&i["primary"]).unwrap_or(false);
    let work = |i: &Value| {
        i["type"]
            .as_str()
            .is_some_and(|t| t.eq_ignore_ascii_case("work"))
    };
    let item = items
        .iter()
        .find(|i| primary(i))
        .or_else(|| items.iter().find(|i| work(i)))
        .or_else(|| items.first());
    let Some(item) = item else {
        return Ok(None);
    };
    Ok(Some(Entry {
        value: text(item.get("value").unwrap_or(&Value::Null))?,
        kind: item["type"].as_str().map(str::to_owned),
        primary: match &item["primary"] {
            Value::Null => None,
            other => Some(boolean(other)?),
        },
    }))
}

/// One attribute set by path (already normalized: lower case, no core URN). Attributes
/// Gatehouse does not keep are ignored, as RFC 7644 lets a provider do.
pub fn set(draft: &mut Draft, path: &str, value: &Value) -> Result<(), ScimError> {
    let enterprise = super::enterprise::urn();
    if path == enterprise {
        return super::enterprise::set_all(draft, value);
    }
    if let Some(sub) = path.strip_prefix(&format!("{enterprise}:")) {
        return super::enterprise::set(draft, sub, value);
    }
    // Read-only: ignored when a provider sends it back (RFC 7643 §2.2).
    if path.starts_with(&super::places::urn()) {
        return Ok(());
    }
    let fields = super::fields::urn();
    if path == fields {
        return super::fields::set_all(draft, value);
    }
    if let Some(sub) = path.strip_prefix(&format!("{fields}:")) {
        return super::fields::set(draft, sub, value);
    }
    match path {
        "username" => draft.user_name = text(value)?,
        "name" => {
            if let Some(object) = value.as_object() {
                for (key, inner) in object {
                    set(draft, &format!("name.{}", key.to_lowercase()), inner)?;
                }
            }
        }
        "name.givenname" => draft.given_name = text(value)?,
        "name.familyname" => draft.family_name = text(value)?,
        "active" => draft.active = boolean(value)?,
        "emails" => {
            if let Some(entry) = chosen(value)? {
                draft.email = entry.value;
                draft.extra.email_type = entry.kind;
                draft.extra.email_primary = entry.primary;
            }
        }
        "emails.value" => draft.email = text(value)?,
        "emails[type eq \"work\"].value" => {
            draft.email = text(value)?;
            draft.extra.email_type = Some("work".into());
        }
        "emails.type" => draft.extra.email_type = Some(text(value)?),
        "emails.primary" => draft.extra.email_primary = Some(boolean(value)?),
        "phonenumbers" => {
            let entry = chosen(value)?;
            draft.extra.phone_type = entry.as_ref().and_then(|e| e.kind.clone());
            draft.phone = entry.map(|e| e.value).unwrap_or_default();
        }
        "phonenumbers.value" => draft.phone = text(value)?,
        "phonenumbers[type eq \"work\"].value" => {
            draft.phone = text(value)?;
            draft.extra.phone_type = Some("work".into());
        }
        "phonenumbers.type" => draft.extra.phone_type = Some(text(value)?),
        "externalid" => {
            let id = text(value)?;
            draft.extra.external_id = (!id.is_empty()).then_some(id);
        }
        _ => {}
    }
    Ok(())
}

/// Removes an attribute (a required one cannot go).
pub fn remove(draft: &mut Draft, path: &str) -> Result<(), ScimError> {
    let enterprise = super::enterprise::urn();
    if path == enterprise || path.starts_with(&format!("{enterprise}:")) {
        let sub = path
            .strip_prefix(&enterprise)
            .unwrap_or("")
            .trim_start_matches(':');
        super::enterprise::remove(draft, sub);
        return Ok(());
    }
    let fields = super::fields::urn();
    if path == fields || path.starts_with(&format!("{fields}:")) {
        let sub = path
            .strip_prefix(&fields)
            .unwrap_or("")
            .trim_start_matches(':');
        super::fields::remove(draft, sub);
        return Ok(());
    }
    match path {
        "phonenumbers"
        | "phonenumbers.value"
        | "phonenumbers[type eq \"work\"]"
        | "phonenumbers[type eq \"work\"].value" => {
            draft.phone.clear();
            draft.extra.phone_type = None;
        }
        "phonenumbers.type" => draft.extra.phone_type = None,
        "emails.type" => draft.extra.email_type = None,
        "emails.primary" => draft.extra.email_primary = None,
        "externalid" => draft.extra.external_id = None,
        "username" | "name" | "name.givenname" | "name.familyname" | "emails" | "emails.value"
        | "active" => {
            return Err(ScimError::bad(
                "mutability",
                format!("{path} is required and cannot be removed"),
            ))
        }
        _ => {}
    }
    Ok(())
}

/// A whole representation (POST, PUT): what it names; what it leaves out of the optional
/// attributes is cleared (PUT replaces). The organization's user fields are replaced only
/// when the body holds their extension: a provider that knows nothing of them (Okta's PUT
/// of the whole user) leaves them as they are.
pub fn from_json(body: &Value, base: Draft) -> Result<Draft, ScimError> {
    let Some(object) = body.as_object() else {
        return Err(ScimError::bad(
            "invalidSyntax",
            "The body is not a JSON object.",
        ));
    };
    let names_fields = object
        .keys()
        .any(|k| k.eq_ignore_ascii_case(super::fields::FIELDS));
    let mut draft = Draft {
        phone: String::new(),
        extra: Extra::default(),
        fields: if names_fields {
            BTreeMap::new()
        } else {
            base.fields.clone()
        },
        ..base
    };
    for (key, value) in object {
        let key = crate::scim::filter::normalize(key);
        if key == "schemas" || key == "id" || key == "meta" {
            continue;
        }
        set(&mut draft, &key, value)?;
    }
    Ok(draft)
}

/// The user as SCIM shows them, with their part of the user-fields extension if any.
pub fn to_json(stored: &Stored, base: &str, parts: super::fields::Parts) -> Value {
    let draft = Draft::of(stored, BTreeMap::new());
    let mut user = json!({
        "schemas": [USER_SCHEMA],
        "id": stored.id.to_string(),
        "userName": draft.user_name,
        "name": {
            "givenName": stored.first_name,
            "familyName": stored.last_name,
        },
        "displayName": format!("{} {}", stored.first_name, stored.last_name),
        "active": draft.active,
        "emails": [entry(&stored.email, &stored.extra.email_type, stored.extra.email_primary)],
        "meta": {
            "resourceType": "User",
            "created": stored.created_at.and_utc().to_rfc3339(),
            "lastModified": stored.updated_at.and_utc().to_rfc3339(),
            "location": format!("{base}/Users/{}", stored.id),
            "version": format!("W/\"{}\"", stored.version),
        },
    });
    if let Some(external) = &stored.extra.external_id {
        user["externalId"] = external.clone().into();
    }
    if !stored.phone.is_empty() {
        user["phoneNumbers"] = json!([entry(&stored.phone, &stored.extra.phone_type, None)]);
    }
    let mut schemas = vec![USER_SCHEMA];
    if let Some(part) = super::enterprise::to_json(stored) {
        user[super::enterprise::ENTERPRISE] = part;
        schemas.push(super::enterprise::ENTERPRISE);
    }
    if let Some(part) = parts.fields {
        user[super::fields::FIELDS] = part;
        schemas.push(super::fields::FIELDS);
    }
    if let Some(part) = parts.workspaces {
        user[super::places::WORKSPACES] = part;
        schemas.push(super::places::WORKSPACES);
    }
    user["schemas"] = json!(schemas);
    user
}

/// A multi-valued attribute's one entry, with the type and primary mark as the provider gave
/// them (none when it gave none).
fn entry(value: &str, kind: &Option<String>, primary: Option<bool>) -> Value {
    let mut entry = json!({ "value": value });
    if let Some(kind) = kind {
        entry["type"] = kind.clone().into();
    }
    if let Some(primary) = primary {
        entry["primary"] = primary.into();
    }
    entry
}

pub use super::projection::project;
