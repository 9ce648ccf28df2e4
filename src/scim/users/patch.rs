//! SCIM PATCH (RFC 7644 §3.5.2): add, replace and remove, with or without a path, as the
//! providers send them — Entra's capitalised `"Replace"` and `"False"` strings, path-less
//! objects with dotted or URN keys, Okta's `{"op":"replace","value":{"active":false}}`.

use serde_json::Value;

use super::model::{remove, set, Draft};
use crate::scim::error::ScimError;
use crate::scim::filter::normalize;
use crate::scim::shared::{attributes, operations, unknown_op, Operation};

/// A value path written the way `model::set` names it: `emails[type eq "work"].value`.
fn canonical(path: &str) -> String {
    let normalized = normalize(path);
    match normalized.split_once('[') {
        None => normalized,
        Some((attribute, rest)) => {
            let (inside, after) = rest.split_once(']').unwrap_or((rest, ""));
            let inside = inside.split_whitespace().collect::<Vec<_>>().join(" ");
            format!("{attribute}[{inside}]{after}")
        }
    }
}

/// Applies the operations in order to `draft`.
pub fn apply(draft: &mut Draft, body: &Value) -> Result<(), ScimError> {
    for Operation { op, path, value } in operations(body)? {
        match (op.as_str(), path.map(canonical)) {
            ("add" | "replace", Some(path)) => set(draft, &path, value)?,
            ("add" | "replace", None) => {
                // Extensions Gatehouse does not keep are ignored by `set`.
                for (key, inner) in attributes(value)? {
                    set(draft, &canonical(key), inner)?;
                }
            }
            ("remove", Some(path)) => remove(draft, &path)?,
            ("remove", None) => {
                return Err(ScimError::bad("noTarget", "remove needs a path."));
            }
            (other, _) => return Err(unknown_op(other)),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn draft() -> Draft {
        Draft {
            user_name: "ada".into(),
            given_name: "Ada".into(),
            family_name: "Lovelace".into(),
            email: "ada@acme.io".into(),
            phone: "123".into(),
            active: true,
            extra: Default::default(),
            fields: Default::default(),
            secrets: Default::default(),
        }
    }

    fn patch(ops: Value) -> Value {
        json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops })
    }

    #[test]
    fn entras_capitalised_ops_string_booleans_and_dotted_or_urn_keys_apply() {
        let mut d = draft();
        apply(&mut d, &patch(json!([
            { "op": "Replace", "path": "active", "value": "False" },
            { "op": "Replace", "value": { "name.givenName": "Augusta", "urn:ietf:params:scim:schemas:core:2.0:User:name.familyName": "King" } },
            { "op": "Add", "path": "emails[type eq \"work\"].value", "value": "augusta@acme.io" },
        ]))).unwrap();
        assert!(!d.active);
        assert_eq!(
            (d.given_name.as_str(), d.family_name.as_str()),
            ("Augusta", "King")
        );
        assert_eq!(d.email, "augusta@acme.io");
    }

    #[test]
    fn oktas_pathless_active_false_and_removes() {
        let mut d = draft();
        apply(
            &mut d,
            &patch(json!([{ "op": "replace", "value": { "active": false } }])),
        )
        .unwrap();
        assert!(!d.active);
        apply(
            &mut d,
            &patch(json!([{ "op": "remove", "path": "phoneNumbers" }])),
        )
        .unwrap();
        assert_eq!(d.phone, "");
        assert!(apply(
            &mut d,
            &patch(json!([{ "op": "remove", "path": "userName" }]))
        )
        .is_err());
        assert!(apply(
            &mut d,
            &patch(json!([{ "op": "jump", "path": "userName" }]))
        )
        .is_err());
    }
}
