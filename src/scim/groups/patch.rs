//! SCIM PATCH of a group: rename, add members, remove some (`members[value eq "12"]` or a
//! value list) or all, replace them (Okta's `replace members []` empties the group).

use serde_json::Value;

use super::model::{member_ids, set, GroupDraft};
use crate::scim::error::ScimError;
use crate::scim::filter::{self, Filter, Op};

const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

fn normalize(path: &str) -> String {
    filter::normalize(path).replace("urn:ietf:params:scim:schemas:core:2.0:group:", "")
}

/// The member a value path names: `members[value eq "12"]`.
fn member_of_path(path: &str) -> Result<Option<i64>, ScimError> {
    let Some(inner) = path
        .strip_prefix("members[")
        .and_then(|p| p.strip_suffix(']'))
    else {
        return Ok(None);
    };
    match filter::parse(inner).map_err(|e| ScimError::bad("invalidPath", e))? {
        Filter::Compare(attr, Op::Eq, filter::Value::Text(id)) if attr == "value" => {
            id.parse().map(Some).map_err(|_| {
                ScimError::bad(
                    "invalidValue",
                    format!("“{id}” is not a user of the organization"),
                )
            })
        }
        _ => Err(ScimError::bad(
            "invalidPath",
            "members takes a filter on value eq",
        )),
    }
}

pub fn apply(draft: &mut GroupDraft, body: &Value) -> Result<(), ScimError> {
    let schemas_ok = body["schemas"]
        .as_array()
        .is_some_and(|s| s.iter().any(|v| v == PATCH_SCHEMA));
    if !schemas_ok {
        return Err(ScimError::bad(
            "invalidSyntax",
            format!("A PATCH names the schema {PATCH_SCHEMA}."),
        ));
    }
    let Some(operations) = body["Operations"].as_array() else {
        return Err(ScimError::bad(
            "invalidSyntax",
            "A PATCH carries Operations.",
        ));
    };
    for operation in operations {
        let op = operation["op"].as_str().unwrap_or("").to_lowercase();
        let raw_path = operation["path"].as_str();
        let value = &operation["value"];
        match (op.as_str(), raw_path) {
            ("add" | "replace", Some(path)) => set(draft, &normalize(path), value, op == "add")?,
            ("add" | "replace", None) => {
                let Some(object) = value.as_object() else {
                    return Err(ScimError::bad(
                        "invalidValue",
                        "A PATCH without a path takes an object of attributes.",
                    ));
                };
                for (key, inner) in object {
                    set(draft, &normalize(key), inner, op == "add")?;
                }
            }
            ("remove", Some(path)) => {
                let path = normalize(path);
                if let Some(id) = member_of_path(&path)? {
                    draft.members.remove(&id);
                } else {
                    match path.as_str() {
                        // With a value, only those members go (Entra); without, all of them.
                        "members" if !value.is_null() => {
                            for id in member_ids(value)? {
                                draft.members.remove(&id);
                            }
                        }
                        "members" => draft.members.clear(),
                        "externalid" => draft.external_id = None,
                        "displayname" => {
                            return Err(ScimError::bad(
                                "mutability",
                                "displayName is required and cannot be removed",
                            ))
                        }
                        _ => {}
                    }
                }
            }
            ("remove", None) => return Err(ScimError::bad("noTarget", "remove needs a path.")),
            (other, _) => {
                return Err(ScimError::bad(
                    "invalidSyntax",
                    format!("“{other}” is not add, replace or remove."),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn draft() -> GroupDraft {
        GroupDraft {
            name: "Sales".into(),
            members: [1, 2, 3].into_iter().collect(),
            external_id: None,
        }
    }

    fn patch(ops: Value) -> Value {
        json!({ "schemas": [PATCH_SCHEMA], "Operations": ops })
    }

    #[test]
    fn entras_remove_of_one_member_by_value_takes_only_that_member() {
        let mut d = draft();
        apply(
            &mut d,
            &patch(json!([{ "op": "Remove", "path": "members", "value": [{ "value": "2" }] }])),
        )
        .unwrap();
        assert_eq!(d.members.iter().copied().collect::<Vec<_>>(), vec![1, 3]);
        apply(
            &mut d,
            &patch(json!([{ "op": "remove", "path": "members[value eq \"3\"]" }])),
        )
        .unwrap();
        assert_eq!(d.members.iter().copied().collect::<Vec<_>>(), vec![1]);
    }

    #[test]
    fn oktas_replace_members_with_nothing_empties_the_group() {
        let mut d = draft();
        apply(
            &mut d,
            &patch(json!([{ "op": "replace", "path": "members", "value": [] }])),
        )
        .unwrap();
        assert!(d.members.is_empty());
        apply(&mut d, &patch(json!([{ "op": "add", "path": "members", "value": [{ "value": "7" }] }, { "op": "Replace", "value": { "displayName": "Support" } }]))).unwrap();
        assert_eq!(d.members.len(), 1);
        assert_eq!(d.name, "Support");
    }
}
