//! A user's workspaces as a read-only SCIM extension (once the organization has a second
//! active workspace, as the console shows them): each membership with the workspace's id,
//! name and the access level. Memberships change through the console and the JSON API
//! (`/api/v1/workspaces/{id}/members`); a provider that sends this part back has it ignored,
//! as RFC 7643 asks of read-only attributes.

use std::collections::HashMap;

use diesel::prelude::*;
use serde_json::{json, Value};

use crate::db::schema::{workspace_members, workspaces};
use crate::db::DbConn;

pub const WORKSPACES: &str = "urn:ietf:params:scim:schemas:extension:gatehouse:2.0:Workspaces";

/// The extension's URN as normalized paths hold it (lower case).
pub fn urn() -> String {
    WORKSPACES.to_lowercase()
}

/// Whether the organization shows workspaces at all (a second active one).
pub fn shown_in(conn: &mut DbConn, org_id: i64) -> QueryResult<bool> {
    Ok(!crate::workspaces::store::several(conn, org_id)?.is_empty())
}

/// These users' parts of the extension (nothing when the organization has one workspace).
pub fn load(conn: &mut DbConn, org_id: i64, ids: &[i64]) -> QueryResult<HashMap<i64, Value>> {
    if ids.is_empty() || !shown_in(conn, org_id)? {
        return Ok(HashMap::new());
    }
    let rows: Vec<(i64, i64, String, String)> = workspace_members::table
        .inner_join(workspaces::table)
        .filter(workspace_members::user_id.eq_any(ids))
        .filter(workspaces::org_id.eq(org_id))
        .filter(workspaces::archived_at.is_null())
        .order((workspace_members::user_id, workspaces::name_key))
        .select((
            workspace_members::user_id,
            workspaces::id,
            workspaces::name,
            workspace_members::level,
        ))
        .load(conn)?;
    let mut held: HashMap<i64, Vec<Value>> = HashMap::new();
    for (user_id, id, name, level) in rows {
        held.entry(user_id).or_default().push(json!({
            "value": id.to_string(),
            "display": name,
            "level": level,
        }));
    }
    Ok(held
        .into_iter()
        .map(|(user_id, places)| (user_id, json!({ "workspaces": places })))
        .collect())
}

/// The extension's schema.
pub fn schema_attributes() -> Vec<Value> {
    let sub = |name: &str, description: &str| {
        json!({
            "name": name, "type": "string", "multiValued": false, "description": description,
            "required": false, "caseExact": true, "mutability": "readOnly",
            "returned": "default", "uniqueness": "none",
        })
    };
    let mut level = sub("level", "The access level in the workspace.");
    level["canonicalValues"] = json!(["owner", "manager", "agent"]);
    vec![json!({
        "name": "workspaces",
        "type": "complex",
        "multiValued": true,
        "description": "The workspaces the user is a member of, with the access level in each.",
        "required": false,
        "mutability": "readOnly",
        "returned": "default",
        "uniqueness": "none",
        "subAttributes": [
            sub("value", "The workspace's id."),
            sub("display", "The workspace's name."),
            level,
        ],
    })]
}
