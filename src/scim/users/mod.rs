//! `/scim/v2/Users`: list (filter, `startIndex`/`count`, `attributes`/`excludedAttributes`),
//! `.search`, get, create, replace (PUT), patch and delete — each change through Create User,
//! Edit User or Delete, in one transaction with its audit row.

pub mod enterprise;
pub mod fields;
pub mod model;
pub mod patch;
pub mod places;
mod projection;
pub mod store;
mod write;

pub use write::{create, delete, patch, replace};

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use serde_json::{json, Value};

use super::error::{ScimError, CONTENT_TYPE};
use super::{base, filter, ScimCaller};
use crate::api::caller::Caller;
use crate::db::sql::Sql;
use crate::db::DbConn;
use crate::users::authority::Editor;
use crate::web::State;

/// The most users one list answers.
pub const MAX_RESULTS: i64 = 200;

pub(crate) fn respond(status: StatusCode, user: &Value, version: Option<i32>) -> HttpResponse {
    let mut response = HttpResponse::build(status);
    response.insert_header((header::CONTENT_TYPE, CONTENT_TYPE));
    if let Some(version) = version {
        response.insert_header((header::ETAG, format!("W/\"{version}\"")));
    }
    response.body(user.to_string())
}

/// What a list asks for.
#[derive(Debug, Default)]
pub(crate) struct ListParams {
    pub filter: Option<String>,
    pub start_index: i64,
    pub count: i64,
    pub attributes: Option<String>,
    pub excluded: Option<String>,
}

impl ListParams {
    /// From a list's query string (names in any case).
    pub fn of_query(query: &[(String, String)]) -> Result<Self, ScimError> {
        Self::of(|name| {
            query
                .iter()
                .rev()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
        })
    }

    /// From a `.search` body.
    pub fn of_body(body: &Value) -> Result<Self, ScimError> {
        Self::of(|name| match &body[name] {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            Value::Array(items) => Some(
                items
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(","),
            ),
            other => Some(other.to_string()),
        })
    }

    fn of(get: impl Fn(&str) -> Option<String>) -> Result<Self, ScimError> {
        let number = |name: &str, default: i64| -> Result<i64, ScimError> {
            match get(name) {
                None => Ok(default),
                Some(text) => text
                    .trim()
                    .parse()
                    .map_err(|_| ScimError::bad("invalidValue", format!("{name} is a number"))),
            }
        };
        Ok(ListParams {
            filter: get("filter").filter(|f| !f.trim().is_empty()),
            start_index: number("startIndex", 1)?.max(1),
            count: number("count", 100)?.clamp(0, MAX_RESULTS),
            attributes: get("attributes"),
            excluded: get("excludedAttributes"),
        })
    }
}

/// A user and their part of the user-fields extension.
pub(crate) type Shown = (store::Stored, fields::Parts);

/// A user of the organization as SCIM answers with them.
pub(super) fn shown(conn: &mut DbConn, org_id: i64, id: i64) -> Result<Shown, ScimError> {
    let stored = store::one(conn, org_id, id)?.ok_or_else(ScimError::not_found)?;
    let part = fields::Profiles::load(conn, org_id, &[id])?.parts(id);
    Ok((stored, part))
}

/// A reachable user of the caller's organization (404 for anyone else's, or outside the
/// maker's scope).
pub(super) fn reachable(
    conn: &mut DbConn,
    editor: &Editor,
    id: &str,
) -> Result<store::Stored, ScimError> {
    let id: i64 = id.parse().map_err(|_| ScimError::not_found())?;
    crate::api::users::reachable(conn, editor, id)?;
    store::one(conn, editor.org_id, id)?.ok_or_else(ScimError::not_found)
}

fn run_list(
    conn: &mut DbConn,
    editor: &Editor,
    params: &ListParams,
    base: &str,
) -> Result<Value, ScimError> {
    let mut condition = Sql::new();
    match &params.filter {
        Some(text) => {
            let parsed = filter::parse(text).map_err(|e| ScimError::bad("invalidFilter", e))?;
            filter::to_sql(&parsed, editor.org_id, &mut condition)
                .map_err(|e| ScimError::bad("invalidFilter", e))?;
        }
        None => {
            condition.push("1 = 1");
        }
    }
    if let Some(scope) = &editor.scope {
        scope.push_condition(&mut condition, "u.id", "u.division_id");
    }
    let (ids, total) = store::select(
        conn,
        editor.org_id,
        &condition,
        (params.start_index - 1, params.count),
    )?;
    let profiles = fields::Profiles::load(conn, editor.org_id, &ids)?;
    let users: Vec<Value> = store::load(conn, editor.org_id, &ids)?
        .iter()
        .map(|s| {
            model::project(
                model::to_json(s, base, profiles.parts(s.id)),
                params.attributes.as_deref(),
                params.excluded.as_deref(),
            )
        })
        .collect();
    Ok(json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": total,
        "startIndex": params.start_index,
        "itemsPerPage": users.len(),
        "Resources": users,
    }))
}

async fn answer_list(
    caller: &Caller,
    state: &State,
    params: ListParams,
) -> Result<HttpResponse, ScimError> {
    let (editor, base) = (caller.editor(), base(state));
    let list = state
        .db(move |conn| Ok(run_list(conn, &editor, &params, &base)))
        .await??;
    Ok(respond(StatusCode::OK, &list, None))
}

pub async fn list(
    caller: ScimCaller,
    state: State,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, ScimError> {
    let caller = caller.get()?;
    answer_list(caller, &state, ListParams::of_query(&query)?).await
}

pub(crate) fn json_body(body: &[u8]) -> Result<Value, ScimError> {
    serde_json::from_slice(body)
        .map_err(|e| ScimError::bad("invalidSyntax", format!("The body is not JSON: {e}")))
}

pub async fn search(
    caller: ScimCaller,
    state: State,
    body: web::Bytes,
) -> Result<HttpResponse, ScimError> {
    let caller = caller.get()?;
    let body = json_body(&body)?;
    answer_list(caller, &state, ListParams::of_body(&body)?).await
}

pub async fn get(
    caller: ScimCaller,
    state: State,
    id: web::Path<String>,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, ScimError> {
    let caller = caller.get()?;
    let (editor, base) = (caller.editor(), base(&state));
    let (stored, part) = state
        .db(move |conn| {
            Ok(reachable(conn, &editor, &id).and_then(|s| shown(conn, editor.org_id, s.id)))
        })
        .await??;
    let find = |name: &str| {
        query
            .iter()
            .rev()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    let user = model::project(
        model::to_json(&stored, &base, part),
        find("attributes"),
        find("excludedAttributes"),
    );
    Ok(respond(StatusCode::OK, &user, Some(stored.version)))
}
