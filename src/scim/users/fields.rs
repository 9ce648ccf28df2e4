//! The organization's user fields as a SCIM extension schema: one attribute per field, named
//! by its key, typed by its kind (a checkbox a boolean, a number a decimal, a choice a string
//! with its option codes as canonical values, a multiple choice multi-valued; a secret is
//! write-only and never returned). Values go through the same checks as Edit User's, so a
//! refused one answers `400 invalidValue` naming the field.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::model::Draft;
use crate::db::DbConn;
use crate::fields::profile::Posted;
use crate::fields::{check_value, Field, Kind, Required};
use crate::scim::error::ScimError;

pub const FIELDS: &str = "urn:ietf:params:scim:schemas:extension:gatehouse:2.0:User";

/// The extension's URN as normalized paths hold it (lower case).
pub fn urn() -> String {
    FIELDS.to_lowercase()
}

/// The organization's fields and the values a page of users holds in them.
#[derive(Default)]
pub struct Profiles {
    pub defs: Vec<Field>,
    values: std::collections::HashMap<i64, crate::fields::store::Values>,
    /// Each user's part of the workspaces extension (see `places`).
    places: std::collections::HashMap<i64, Value>,
}

/// A user's parts of Gatehouse's extensions: user fields and workspaces.
#[derive(Debug, Default)]
pub struct Parts {
    pub fields: Option<Value>,
    pub workspaces: Option<Value>,
}

impl Profiles {
    /// The fields, and the values of these users (no query for values when there are none).
    pub fn load(conn: &mut DbConn, org_id: i64, user_ids: &[i64]) -> diesel::QueryResult<Self> {
        let defs = crate::fields::store::all(conn, org_id)?;
        let values = if defs.is_empty() {
            Default::default()
        } else {
            crate::fields::store::values_of_many(conn, user_ids)?
        };
        let places = super::places::load(conn, org_id, user_ids)?;
        Ok(Profiles {
            defs,
            values,
            places,
        })
    }

    /// A user's parts of the extensions, as SCIM shows them.
    pub fn parts(&self, user_id: i64) -> Parts {
        Parts {
            fields: self.to_json(user_id),
            workspaces: self.places.get(&user_id).cloned(),
        }
    }

    /// A user's values by field key (lower case), secrets left out.
    pub fn of(&self, user_id: i64) -> BTreeMap<String, Vec<String>> {
        let Some(held) = self.values.get(&user_id) else {
            return BTreeMap::new();
        };
        self.defs
            .iter()
            .filter(|f| !f.is_secret())
            .filter_map(|f| {
                let mut values = held.get(&f.id)?.clone();
                // In the options' order, as a check of the same values gives them.
                values.sort_by_key(|v| f.options.iter().position(|c| &c.code == v));
                Some((f.key.to_lowercase(), values))
            })
            .filter(|(_, values)| !values.is_empty())
            .collect()
    }

    /// The extension's part of a user, when they hold a value in any field.
    pub fn to_json(&self, user_id: i64) -> Option<Value> {
        let held = self.of(user_id);
        let mut part = serde_json::Map::new();
        for field in self.defs.iter().filter(|f| !f.is_secret()) {
            let Some(values) = held.get(&field.key.to_lowercase()) else {
                continue;
            };
            let one = values.first().cloned().unwrap_or_default();
            let value = match field.kind {
                Kind::MultiChoice => json!(values),
                Kind::Checkbox => json!(true),
                Kind::Number => one
                    .parse::<f64>()
                    .ok()
                    .and_then(serde_json::Number::from_f64)
                    .map_or_else(|| json!(one), Value::Number),
                _ => json!(one),
            };
            part.insert(field.key.clone(), value);
        }
        (!part.is_empty()).then_some(Value::Object(part))
    }
}

/// A JSON value as a field's raw values (a checkbox's boolean as `true`/`false`).
fn raw(value: &Value) -> Result<Vec<String>, ScimError> {
    match value {
        Value::Null => Ok(Vec::new()),
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Number(n) => Ok(vec![n.to_string()]),
        Value::Bool(b) => Ok(vec![b.to_string()]),
        Value::Array(items) => Ok(items
            .iter()
            .map(raw)
            .collect::<Result<Vec<_>, _>>()?
            .concat()),
        Value::Object(_) => Err(ScimError::bad(
            "invalidValue",
            format!("{value} is not a value of a user field"),
        )),
    }
}

/// One field's value (`sub`: its key, lower case).
pub fn set(draft: &mut Draft, sub: &str, value: &Value) -> Result<(), ScimError> {
    let values = raw(value)?;
    draft.fields.insert(sub.to_owned(), values);
    Ok(())
}

/// The extension's object, field by field.
pub fn set_all(draft: &mut Draft, value: &Value) -> Result<(), ScimError> {
    if let Some(object) = value.as_object() {
        for (key, inner) in object {
            set(draft, &key.to_lowercase(), inner)?;
        }
    }
    Ok(())
}

/// Clears one field (`sub`), or every field but the secrets (`""`).
pub fn remove(draft: &mut Draft, sub: &str) {
    if sub.is_empty() {
        for values in draft.fields.values_mut() {
            values.clear();
        }
    } else {
        draft.fields.insert(sub.to_owned(), Vec::new());
    }
}

/// Puts the draft's field values in the form the fields store them (so an unchanged value
/// compares equal), or says which one is refused. Secrets move to `draft.secrets`; keys that
/// name no field are dropped, as RFC 7644 lets a provider ignore unknown attributes.
pub fn normalize(defs: &[Field], draft: &mut Draft) -> Result<(), ScimError> {
    let mut fields = BTreeMap::new();
    for (key, values) in std::mem::take(&mut draft.fields) {
        let Some(field) = defs.iter().find(|f| f.key.to_lowercase() == key) else {
            continue;
        };
        let values: Vec<String> = if field.kind == Kind::Checkbox {
            values.iter().map(|v| v.to_lowercase()).collect()
        } else {
            values
        };
        if field.is_secret() {
            draft.secrets.insert(key, values.into_iter().next());
            continue;
        }
        let checked = check_value(field, &values).map_err(|message| {
            ScimError::bad("invalidValue", format!("{}: {message}", field.key))
        })?;
        if !checked.is_empty() {
            fields.insert(key, checked);
        }
    }
    draft.fields = fields;
    Ok(())
}

/// The draft's field values as Edit User's and Create User's form posts them: every field
/// (an absent one is cleared), a secret only when the provider sent it.
pub fn posted(defs: &[Field], draft: &Draft) -> Posted {
    let mut pairs = Vec::new();
    for field in defs {
        let key = field.key.to_lowercase();
        if field.is_secret() {
            match draft.secrets.get(&key) {
                Some(Some(value)) => pairs.push((format!("field.{}", field.key), value.clone())),
                Some(None) => pairs.push((format!("clear.{}", field.key), "1".to_owned())),
                None => {}
            }
            continue;
        }
        for value in draft.fields.get(&key).into_iter().flatten() {
            pairs.push((format!("field.{}", field.key), value.clone()));
        }
    }
    Posted::from_pairs(&pairs)
}

/// The extension schema's attributes, one per field.
pub fn schema_attributes(defs: &[Field]) -> Vec<Value> {
    defs.iter()
        .map(|field| {
            let kind = match field.kind {
                Kind::Checkbox => "boolean",
                Kind::Number => "decimal",
                _ => "string",
            };
            let description = if field.help.is_empty() {
                field.label.clone()
            } else {
                format!("{}: {}", field.label, field.help)
            };
            let mut attribute = json!({
                "name": field.key,
                "type": kind,
                "multiValued": field.kind == Kind::MultiChoice,
                "description": description,
                // Required while shown: a field shown only when another holds a value is not
                // required of every user.
                "required": matches!(field.required, Required::Always) && field.show_when.is_none(),
                "caseExact": false,
                "mutability": if field.is_secret() { "writeOnly" } else { "readWrite" },
                "returned": if field.is_secret() { "never" } else { "default" },
                "uniqueness": if field.unique { "server" } else { "none" },
            });
            if field.kind.has_options() {
                attribute["canonicalValues"] =
                    field.options.iter().map(|c| c.code.clone()).collect();
            }
            attribute
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::Choice;

    fn defs() -> Vec<Field> {
        let mut sip = Field::for_test("sip_option", "SIP option", Kind::Choice);
        sip.id = 1;
        sip.options = Choice::parse_lines("custom|Use custom URI\nwebrtc|Use WebRTC");
        let mut leads = Field::for_test("assign_leads", "Assign leads", Kind::Checkbox);
        leads.id = 2;
        let mut pin = Field::for_test("pbx_password", "PBX password", Kind::Secret);
        pin.id = 3;
        vec![sip, leads, pin]
    }

    fn blank() -> Draft {
        Draft {
            user_name: "ada".into(),
            given_name: "Ada".into(),
            family_name: "Lovelace".into(),
            email: "ada@acme.io".into(),
            phone: String::new(),
            active: true,
            extra: Default::default(),
            fields: BTreeMap::new(),
            secrets: BTreeMap::new(),
        }
    }

    #[test]
    fn values_are_stored_as_edit_user_stores_them() {
        let mut draft = blank();
        set_all(
            &mut draft,
            &json!({"SIP_option": "Use WebRTC", "assign_leads": "True", "pbx_password": "s3cret", "nope": 1}),
        )
        .unwrap();
        normalize(&defs(), &mut draft).unwrap();
        assert_eq!(draft.fields["sip_option"], vec!["webrtc".to_owned()]);
        assert_eq!(draft.fields["assign_leads"], vec!["yes".to_owned()]);
        assert!(!draft.fields.contains_key("pbx_password"));
        assert!(!draft.fields.contains_key("nope"));
        assert_eq!(draft.secrets["pbx_password"].as_deref(), Some("s3cret"));
        let posted = posted(&defs(), &draft);
        assert_eq!(posted.get("sip_option"), ["webrtc".to_owned()]);
        assert_eq!(posted.get("pbx_password"), ["s3cret".to_owned()]);
    }

    #[test]
    fn a_refused_value_names_the_field() {
        let mut draft = blank();
        set(&mut draft, "sip_option", &json!("carrier pigeon")).unwrap();
        let error = normalize(&defs(), &mut draft).unwrap_err();
        assert!(error.to_string().contains("sip_option"), "{error}");
    }

    #[test]
    fn an_unticked_box_and_a_removed_field_hold_nothing() {
        let mut draft = blank();
        set(&mut draft, "assign_leads", &json!(false)).unwrap();
        set(&mut draft, "sip_option", &json!("custom")).unwrap();
        remove(&mut draft, "sip_option");
        normalize(&defs(), &mut draft).unwrap();
        assert!(draft.fields.is_empty());
    }

    #[test]
    fn the_schema_says_what_each_field_takes() {
        let attributes = schema_attributes(&defs());
        assert_eq!(
            attributes[0]["canonicalValues"],
            json!(["custom", "webrtc"])
        );
        assert_eq!(attributes[1]["type"], "boolean");
        assert_eq!(attributes[2]["returned"], "never");
        assert_eq!(attributes[2]["mutability"], "writeOnly");
    }
}
