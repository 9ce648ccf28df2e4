//! What users and groups share over SCIM: a page of ids a condition selects, and a PATCH's
//! envelope (its schema and operations).

use diesel::prelude::*;
use diesel::sql_types::BigInt;
use serde_json::Value;

use super::error::ScimError;
use crate::db::sql::{self, Bind, Sql};
use crate::db::DbConn;

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

#[derive(QueryableByName)]
struct CountRow {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// The ids a condition on `alias` (`users u`, `org_groups g`) selects in the organization, by
/// id, `offset` skipped (SCIM's `startIndex`), and how many there are in all.
pub fn select_page(
    conn: &mut DbConn,
    (table, alias): (&str, &str),
    (org_id, condition): (i64, &Sql),
    (offset, count): (i64, i64),
) -> QueryResult<(Vec<i64>, i64)> {
    let from = |head: &str| {
        let mut sql = Sql::new();
        sql.push(head)
            .push(&format!(" FROM {table} {alias} WHERE {alias}.org_id = "));
        sql.bind(Bind::Int(org_id)).push(" AND (");
        sql.append(condition).push(")");
        sql.cache = false;
        sql
    };
    let total = sql::load::<CountRow>(conn, from("SELECT COUNT(*) AS n"))?
        .first()
        .map_or(0, |r| r.n);
    let mut page = from(&format!("SELECT {alias}.id"));
    page.push(&format!(
        " ORDER BY {alias}.id LIMIT {count} OFFSET {offset}"
    ));
    let ids = sql::load::<IdRow>(conn, page)?
        .into_iter()
        .map(|r| r.id)
        .collect();
    Ok((ids, total))
}

const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// One PATCH operation: `add`, `replace` or `remove` (lower case, whatever the provider sent),
/// its path if any, its value.
pub struct Operation<'a> {
    pub op: String,
    pub path: Option<&'a str>,
    pub value: &'a Value,
}

/// A PATCH body's operations, once its schema is the PatchOp one.
pub fn operations(body: &Value) -> Result<Vec<Operation<'_>>, ScimError> {
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
    Ok(operations
        .iter()
        .map(|operation| Operation {
            op: operation["op"].as_str().unwrap_or("").to_lowercase(),
            path: operation["path"].as_str(),
            value: &operation["value"],
        })
        .collect())
}

/// A path-less `add`/`replace` takes an object of attributes.
pub fn attributes(value: &Value) -> Result<&serde_json::Map<String, Value>, ScimError> {
    value.as_object().ok_or_else(|| {
        ScimError::bad(
            "invalidValue",
            "A PATCH without a path takes an object of attributes.",
        )
    })
}

/// An operation that is none of the three.
pub fn unknown_op(op: &str) -> ScimError {
    ScimError::bad(
        "invalidSyntax",
        format!("“{op}” is not add, replace or remove."),
    )
}
