//! `/scim/v2/Groups`: the organization's groups (tags, skill groups and teams) for identity
//! providers. A group they create is a tag; renaming, creating and deleting go through the
//! groups' own use cases, members through `groups::members` (each person one the maker may
//! change), every change audited as the token. Someone administering only some divisions
//! manages no groups here: a group spans the organization.

pub mod model;
pub mod patch;
pub mod store;

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use super::error::ScimError;
use super::users::{json_body, respond, ListParams};
use super::{base, filter, ScimCaller};
use crate::api::caller::Caller;
use crate::audit::Origin;
use crate::auth::permissions::Permission;
use crate::db::sql::Sql;
use crate::db::{write_tx, DbConn};
use crate::groups::members::{self, MembersError};
use crate::groups::service::{self as groups, GroupError, NewGroup};
use crate::groups::Kind;
use crate::users::authority::Editor;
use model::GroupDraft;

/// Reading groups: the `scim` scope, `users.view`, and the whole organization.
fn reader(caller: &ScimCaller) -> Result<&Caller, ScimError> {
    let caller = caller.get()?;
    whole(caller)
}

fn writer(caller: &ScimCaller) -> Result<&Caller, ScimError> {
    let caller = caller.write(Permission::DirectoryManage)?;
    whole(caller)
}

fn whole(caller: &Caller) -> Result<&Caller, ScimError> {
    match caller.user.scope {
        None => Ok(caller),
        Some(_) => Err(ScimError::new(
            StatusCode::FORBIDDEN,
            "The token's maker manages only some divisions and teams: groups span the organization.",
        )),
    }
}

fn run_list(
    conn: &mut DbConn,
    org_id: i64,
    params: &ListParams,
    base: &str,
) -> Result<Value, ScimError> {
    let mut condition = Sql::new();
    match &params.filter {
        Some(text) => {
            let parsed = filter::parse(text).map_err(|e| ScimError::bad("invalidFilter", e))?;
            model::to_sql(&parsed, org_id, &mut condition)
                .map_err(|e| ScimError::bad("invalidFilter", e))?;
        }
        None => {
            condition.push("1 = 1");
        }
    }
    let (ids, total) = store::select(
        conn,
        org_id,
        &condition,
        (params.start_index - 1, params.count),
    )?;
    let groups: Vec<Value> = store::load(conn, org_id, &ids)?
        .iter()
        .map(|g| {
            super::users::model::project(
                model::to_json(g, base),
                params.attributes.as_deref(),
                params.excluded.as_deref(),
            )
        })
        .collect();
    Ok(json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": total,
        "startIndex": params.start_index,
        "itemsPerPage": groups.len(),
        "Resources": groups,
    }))
}

pub async fn list(
    caller: ScimCaller,
    state: State,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, ScimError> {
    let caller = reader(&caller)?;
    let (org_id, base, params) = (
        caller.user.org_id,
        base(&state),
        ListParams::of_query(&query)?,
    );
    let list = state
        .db(move |conn| Ok(run_list(conn, org_id, &params, &base)))
        .await??;
    Ok(respond(StatusCode::OK, &list, None))
}

pub async fn search(
    caller: ScimCaller,
    state: State,
    body: web::Bytes,
) -> Result<HttpResponse, ScimError> {
    let caller = reader(&caller)?;
    let params = ListParams::of_body(&json_body(&body)?)?;
    let (org_id, base) = (caller.user.org_id, base(&state));
    let list = state
        .db(move |conn| Ok(run_list(conn, org_id, &params, &base)))
        .await??;
    Ok(respond(StatusCode::OK, &list, None))
}

fn found(conn: &mut DbConn, org_id: i64, id: &str) -> Result<store::StoredGroup, ScimError> {
    let id: i64 = id.parse().map_err(|_| ScimError::not_found())?;
    store::one(conn, org_id, id)?.ok_or_else(ScimError::not_found)
}

use crate::web::State;

pub async fn get(
    caller: ScimCaller,
    state: State,
    id: web::Path<String>,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, ScimError> {
    let caller = reader(&caller)?;
    let (org_id, base) = (caller.user.org_id, base(&state));
    let group = state.db(move |conn| Ok(found(conn, org_id, &id))).await??;
    let params = ListParams::of_query(&query)?;
    let value = super::users::model::project(
        model::to_json(&group, &base),
        params.attributes.as_deref(),
        params.excluded.as_deref(),
    );
    Ok(respond(StatusCode::OK, &value, None))
}

fn group_error(error: GroupError) -> ScimError {
    match error {
        GroupError::NotFound => ScimError::not_found(),
        GroupError::Database(e) => e.into(),
        GroupError::Invalid(errors) => {
            let detail: Vec<String> = errors.iter().map(|(f, m)| format!("{f}: {m}")).collect();
            if errors
                .get("name")
                .is_some_and(|m| m.contains("has this name") || m.contains("already"))
            {
                ScimError::typed(StatusCode::CONFLICT, "uniqueness", detail.join(" "))
            } else {
                ScimError::bad("invalidValue", detail.join(" "))
            }
        }
    }
}

fn members_error(error: MembersError) -> ScimError {
    match error {
        MembersError::NotFound => ScimError::not_found(),
        MembersError::Unknown(id) => ScimError::bad(
            "invalidValue",
            format!("{id} is not a user of the organization"),
        ),
        MembersError::Refused(message) => ScimError::new(StatusCode::FORBIDDEN, message),
        MembersError::Database(e) => e.into(),
    }
}

/// Writes what the draft asks of group `id` (`None`: a new tag), in one transaction.
fn write(
    conn: &mut DbConn,
    editor: &Editor,
    (id, draft): (Option<i64>, &GroupDraft),
    (meta, now): (&Origin, chrono::NaiveDateTime),
) -> Result<i64, ScimError> {
    let actor = crate::audit::Actor::user(editor.id, &editor.email);
    write_tx(conn, |conn| {
        let id = match id {
            None => {
                let new = NewGroup {
                    kind: Some(Kind::Tag),
                    name: &draft.name,
                };
                groups::create(conn, &actor, editor.org_id, &new, meta, now).map_err(group_error)?
            }
            Some(id) => {
                groups::rename(conn, &actor, editor.org_id, id, &draft.name, meta, now)
                    .map_err(group_error)?;
                id
            }
        };
        members::set(conn, editor, (id, &draft.members), meta, now).map_err(members_error)?;
        store::set_external_id(conn, (editor.org_id, id), draft.external_id.as_deref())?;
        Ok(id)
    })
}

pub async fn create(
    caller: ScimCaller,
    state: State,
    body: web::Bytes,
) -> Result<HttpResponse, ScimError> {
    let caller = writer(&caller)?;
    let blank = GroupDraft {
        name: String::new(),
        members: Default::default(),
        external_id: None,
    };
    let draft = model::from_json(&json_body(&body)?, blank)?;
    let (editor, base) = (caller.editor(), base(&state));
    let (meta, now) = (caller.origin.clone(), state.clock.now());
    let group = state
        .db(move |conn| {
            Ok(write(conn, &editor, (None, &draft), (&meta, now))
                .and_then(|id| found(conn, editor.org_id, &id.to_string())))
        })
        .await??;
    let mut response = respond(StatusCode::CREATED, &model::to_json(&group, &base), None);
    if let Ok(location) = header::HeaderValue::from_str(&format!("{base}/Groups/{}", group.id)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

async fn change(
    caller: &Caller,
    state: &State,
    id: String,
    how: impl FnOnce(&store::StoredGroup) -> Result<GroupDraft, ScimError> + Send + 'static,
) -> Result<HttpResponse, ScimError> {
    let (editor, base) = (caller.editor(), base(state));
    let (meta, now) = (caller.origin.clone(), state.clock.now());
    let group = state
        .db(move |conn| {
            let run = |conn: &mut DbConn| -> Result<store::StoredGroup, ScimError> {
                let group = found(conn, editor.org_id, &id)?;
                let draft = how(&group)?;
                if draft != GroupDraft::of(&group) {
                    write(conn, &editor, (Some(group.id), &draft), (&meta, now))?;
                }
                found(conn, editor.org_id, &group.id.to_string())
            };
            Ok(run(conn))
        })
        .await??;
    Ok(respond(
        StatusCode::OK,
        &model::to_json(&group, &base),
        None,
    ))
}

pub async fn replace(
    caller: ScimCaller,
    state: State,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ScimError> {
    let caller = writer(&caller)?;
    let body = json_body(&body)?;
    change(caller, &state, id.into_inner(), move |g| {
        model::from_json(&body, GroupDraft::of(g))
    })
    .await
}

pub async fn patch(
    caller: ScimCaller,
    state: State,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ScimError> {
    let caller = writer(&caller)?;
    let body = json_body(&body)?;
    change(caller, &state, id.into_inner(), move |g| {
        let mut draft = GroupDraft::of(g);
        patch::apply(&mut draft, &body)?;
        Ok(draft)
    })
    .await
}

pub async fn delete(
    caller: ScimCaller,
    state: State,
    _req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ScimError> {
    let caller = writer(&caller)?;
    let editor = caller.editor();
    let actor = crate::audit::Actor::user(editor.id, &editor.email);
    let (meta, now) = (caller.origin.clone(), state.clock.now());
    state
        .db(move |conn| {
            let run = |conn: &mut DbConn| -> Result<(), ScimError> {
                let group = found(conn, editor.org_id, &id)?;
                groups::delete(conn, &actor, editor.org_id, group.id, &meta, now)
                    .map_err(group_error)?;
                Ok(())
            };
            Ok(run(conn))
        })
        .await??;
    Ok(HttpResponse::NoContent().finish())
}
