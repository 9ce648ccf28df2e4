//! SCIM PATCH of a group: rename, add members, remove some (`members[value eq "12"]` or a
//! value list) or all, replace them (Okta's `replace members []` empties the group).

use serde_json::Value;

use super::model::{member_ids, set, GroupDraft};
use crate::scim::error::ScimError;
use crate::scim::filter::{self, Filter, Op};
use crate::scim::shared::{attributes, operations, unknown_op, Operation};

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
    for Operation { op, path, value } in operations(body)? {
        match (op.as_str(), path) {
            ("add" | "replace", Some(path)) => set(draft, &normalize(path), value, op == "add")?,
            ("add" | "replace", None) => {
                for (key, inner) in attributes(value)? {
                    set(draft, &normalize(key), inner, op == "add")?;
                }
            }
            ("remove", Some(path)) => remove(draft, &normalize(path), value)?,
            ("remove", None) => return Err(ScimError::bad("noTarget", "remove needs a path.")),
            (other, _) => return Err(unknown_op(other)),
        }
    }
    Ok(())
}

/// `remove`: one member by a value path, those a value lists, or all of them (Entra sends a
/// value to take only those).
fn remove(draft: &mut GroupDraft, path: &str, value: &Value) -> Result<(), ScimError> {
    if let Some(id) = member_of_path(path)? {
        draft.members.remove(&id);
        return Ok(());
    }
    match path {
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
        json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops })
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
