//! A group as SCIM sees it (`displayName`, `members` by user id, `externalId`), what a request
//! asks it to become, and the filters over groups.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use super::store::StoredGroup;
use crate::db::sql::{Bind, Sql};
use crate::scim::error::ScimError;
use crate::scim::filter::{self, Filter, Op};

pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

#[derive(Debug, Clone, PartialEq)]
pub struct GroupDraft {
    pub name: String,
    pub members: BTreeSet<i64>,
    pub external_id: Option<String>,
}

impl GroupDraft {
    pub fn of(group: &StoredGroup) -> Self {
        GroupDraft {
            name: group.name.clone(),
            members: group.members.clone(),
            external_id: group.external_id.clone(),
        }
    }
}

/// The user ids of a `members` value: `[{"value": "12"}, …]`, one object, or a bare id.
pub fn member_ids(value: &Value) -> Result<BTreeSet<i64>, ScimError> {
    let items = match value {
        Value::Null => return Ok(BTreeSet::new()),
        Value::Array(items) => items.clone(),
        other => vec![other.clone()],
    };
    items
        .iter()
        .map(|item| {
            let raw = item.get("value").unwrap_or(item);
            let text = match raw {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                other => other.to_string(),
            };
            text.parse::<i64>().map_err(|_| {
                ScimError::bad(
                    "invalidValue",
                    format!("“{text}” is not a user of the organization"),
                )
            })
        })
        .collect()
}

fn text(value: &Value) -> Result<String, ScimError> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Null => Ok(String::new()),
        other => Err(ScimError::bad(
            "invalidValue",
            format!("{other} is not a string"),
        )),
    }
}

/// One attribute set (replace) or added to (members) by normalized path.
pub fn set(draft: &mut GroupDraft, path: &str, value: &Value, add: bool) -> Result<(), ScimError> {
    match path {
        "displayname" => draft.name = text(value)?,
        "members" => {
            let ids = member_ids(value)?;
            if add {
                draft.members.extend(ids);
            } else {
                draft.members = ids;
            }
        }
        "externalid" => {
            let id = text(value)?;
            draft.external_id = (!id.is_empty()).then_some(id);
        }
        _ => {}
    }
    Ok(())
}

/// A whole representation (POST, PUT).
pub fn from_json(body: &Value, mut draft: GroupDraft) -> Result<GroupDraft, ScimError> {
    let Some(object) = body.as_object() else {
        return Err(ScimError::bad(
            "invalidSyntax",
            "The body is not a JSON object.",
        ));
    };
    draft.members.clear();
    draft.external_id = None;
    for (key, value) in object {
        let key =
            filter::normalize(key).replace("urn:ietf:params:scim:schemas:core:2.0:group:", "");
        set(&mut draft, &key, value, false)?;
    }
    Ok(draft)
}

pub fn to_json(group: &StoredGroup, base: &str) -> Value {
    let mut value = json!({
        "schemas": [GROUP_SCHEMA],
        "id": group.id.to_string(),
        "displayName": group.name,
        "meta": {
            "resourceType": "Group",
            "created": group.created_at.and_utc().to_rfc3339(),
            "lastModified": group.created_at.and_utc().to_rfc3339(),
            "location": format!("{base}/Groups/{}", group.id),
        },
    });
    if !group.members.is_empty() {
        value["members"] = group
            .members
            .iter()
            .map(|id| json!({ "value": id.to_string(), "$ref": format!("{base}/Users/{id}") }))
            .collect();
    }
    if let Some(external) = &group.external_id {
        value["externalId"] = external.clone().into();
    }
    value
}

fn literal(value: &filter::Value) -> Result<String, String> {
    match value {
        filter::Value::Text(t) => Ok(t.clone()),
        filter::Value::Number(n) => Ok(n.to_string()),
        other => Err(format!("{other:?} is not a value to compare")),
    }
}

/// A filter over groups as SQL on `g` (org_groups), from its own allowlist.
pub fn to_sql(f: &Filter, org_id: i64, sql: &mut Sql) -> Result<(), String> {
    match f {
        Filter::And(a, b) | Filter::Or(a, b) => {
            sql.push("(");
            to_sql(a, org_id, sql)?;
            sql.push(if matches!(f, Filter::And(..)) {
                " AND "
            } else {
                " OR "
            });
            to_sql(b, org_id, sql)?;
            sql.push(")");
        }
        Filter::Not(inner) => {
            sql.push("NOT (");
            to_sql(inner, org_id, sql)?;
            sql.push(")");
        }
        Filter::Present(path) => match path.as_str() {
            "id" | "displayname" | "meta" => {
                sql.push("1 = 1");
            }
            "members" | "members.value" => {
                sql.push("EXISTS (SELECT 1 FROM group_members gm WHERE gm.group_id = g.id)");
            }
            "externalid" => {
                sql.push("EXISTS (SELECT 1 FROM scim_group_attributes x WHERE x.group_id = g.id)");
            }
            other => return Err(format!("“{other}” cannot be filtered on")),
        },
        Filter::Compare(path, op, value) => match (path.as_str(), op) {
            ("displayname", op) => {
                filter::compare_text(sql, "lower(g.name)", *op, &literal(value)?, true)?
            }
            ("id", Op::Eq) => match literal(value)?.parse::<i64>() {
                Ok(id) => {
                    sql.push("g.id = ");
                    sql.bind(Bind::Int(id));
                }
                Err(_) => {
                    sql.push("1 = 0");
                }
            },
            ("externalid", op) => {
                sql.push(
                    "g.id IN (SELECT x.group_id FROM scim_group_attributes x WHERE x.org_id = ",
                );
                sql.bind(Bind::Int(org_id));
                sql.push(" AND ");
                filter::compare_text(sql, "x.external_id", *op, &literal(value)?, false)?;
                sql.push(")");
            }
            ("members" | "members.value", Op::Eq) => match literal(value)?.parse::<i64>() {
                Ok(id) => {
                    sql.push(
                        "g.id IN (SELECT gm.group_id FROM group_members gm WHERE gm.user_id = ",
                    );
                    sql.bind(Bind::Int(id)).push(")");
                }
                Err(_) => {
                    sql.push("1 = 0");
                }
            },
            (other, _) => return Err(format!("“{other}” cannot be filtered on that way")),
        },
        Filter::Values(path, _) => {
            return Err(format!("the value filter on {path} is not supported"))
        }
    }
    Ok(())
}
