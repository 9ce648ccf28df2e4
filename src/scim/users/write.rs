//! Changing users over SCIM: create, replace, patch and delete, each through Create User,
//! Edit User or Delete in one transaction with its audit row.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};

use super::model::{self, Draft};
use super::{fields, json_body, reachable, respond, shown, store, Shown};
use crate::api::caller::Caller;
use crate::audit::Origin;
use crate::auth::permissions::Permission;
use crate::db::{write_tx, DbConn};
use crate::scim::error::ScimError;
use crate::scim::{base, ScimCaller};
use crate::users::authority::Editor;
use crate::validation::FieldErrors;
use crate::web::State;

/// A refusal of Create User's or Edit User's checks: a taken address or username is a
/// `409 uniqueness`, anything else a `400 invalidValue` naming each field.
fn refused(errors: &FieldErrors) -> ScimError {
    let taken = errors.iter().any(|(field, message)| {
        (field == "email" || field == "username")
            && (message.contains("already") || message.contains("has this username"))
    });
    let detail: Vec<String> = errors.iter().map(|(f, m)| format!("{f}: {m}")).collect();
    if taken {
        ScimError::typed(StatusCode::CONFLICT, "uniqueness", detail.join(" "))
    } else {
        ScimError::bad("invalidValue", detail.join(" "))
    }
}

/// The organization's division the enterprise `department` names (any case), if one does.
fn division_named(
    conn: &mut DbConn,
    org_id: i64,
    draft: &Draft,
) -> diesel::QueryResult<Option<i64>> {
    let Some(department) = &draft.extra.department else {
        return Ok(None);
    };
    Ok(crate::users::actions::edit::store::divisions(conn, org_id)?
        .into_iter()
        .find(|(_, name)| name.eq_ignore_ascii_case(department.trim()))
        .map(|(id, _)| id))
}

fn check_phone(draft: &Draft) -> Result<String, ScimError> {
    crate::users::actions::edit::forms::phone(&draft.phone)
        .map_err(|m| ScimError::bad("invalidValue", format!("phoneNumbers: {m}")))
}

/// Context of a change: who, for which base URL, from where, when.
struct Writing<'a> {
    caller_label: &'a str,
    base_url: &'a str,
    meta: &'a Origin,
    now: chrono::NaiveDateTime,
}

fn create_user(
    conn: &mut DbConn,
    editor: &Editor,
    mut draft: Draft,
    writing: &Writing<'_>,
) -> Result<i64, ScimError> {
    use crate::users::actions::create::{forms::CreateForm, service as creating};
    let defs = crate::fields::store::all(conn, editor.org_id)?;
    fields::normalize(&defs, &mut draft)?;
    let draft = &draft;
    let phone = check_phone(draft)?;
    let agent =
        crate::users::store::role_id_by_name(conn, editor.org_id, crate::auth::permissions::AGENT)?;
    let division = division_named(conn, editor.org_id, draft)?;
    let form = CreateForm {
        division: division.map(|d| d.to_string()).unwrap_or_default(),
        first_name: draft.given_name.clone(),
        last_name: draft.family_name.clone(),
        email: draft.address(),
        username: draft.username().unwrap_or_default(),
        role_ids: [agent].into_iter().collect(),
        phone,
        provisioned: Some(draft.active),
        fields: fields::posted(&defs, draft),
        ..CreateForm::default()
    };
    let creator = creating::Creator {
        editor,
        name: writing.caller_label,
        base_url: writing.base_url,
    };
    write_tx(conn, |conn| {
        let created = match creating::create(conn, &creator, &form, writing.meta, writing.now) {
            Ok(created) => created,
            Err(creating::CreateError::Invalid(errors)) => return Err(refused(&errors)),
            Err(creating::CreateError::Database(e)) => return Err(e.into()),
        };
        store::set_extra(conn, (editor.org_id, created.user_id), &draft.extra)?;
        Ok(created.user_id)
    })
}

fn update_user(
    conn: &mut DbConn,
    editor: &Editor,
    (id, draft, defs): (i64, &Draft, &[crate::fields::Field]),
    writing: &Writing<'_>,
) -> Result<(), ScimError> {
    use crate::users::actions::edit::forms::UserChange;
    use crate::users::actions::edit::service::{self as edit, Change, EditError};
    let mut form = crate::users::actions::edit::dialog::current_form(conn, editor.org_id, id)?
        .ok_or_else(ScimError::not_found)?;
    form.first_name = draft.given_name.clone();
    form.last_name = draft.family_name.clone();
    form.email = draft.address();
    form.username = Some(draft.username().unwrap_or_default());
    form.phone = check_phone(draft)?;
    form.active = Some(draft.active);
    form.confirmed = true;
    if let Some(division) = division_named(conn, editor.org_id, draft)? {
        form.division = division.to_string();
    }
    if !defs.is_empty() {
        form.fields = Some(fields::posted(defs, draft));
    }
    let checked = UserChange::try_from(&form).map_err(|errors| refused(&errors))?;
    let change = Change {
        user: &checked,
        base_url: writing.base_url,
        email_at_once: true,
    };
    write_tx(conn, |conn| {
        match edit::save(conn, editor, id, &change, writing.meta, writing.now) {
            Ok(_) => {}
            Err(EditError::Invalid(errors)) => return Err(refused(&errors)),
            Err(EditError::NotFound) => return Err(ScimError::not_found()),
            Err(EditError::Refused(refusal)) => {
                return Err(ScimError::new(StatusCode::FORBIDDEN, refusal.to_string()))
            }
            Err(EditError::Stale { by }) => {
                return Err(ScimError::new(
                    StatusCode::PRECONDITION_FAILED,
                    format!("{by} changed this user meanwhile."),
                ))
            }
            Err(EditError::NeedsConfirmation) => {
                return Err(ScimError::new(
                    StatusCode::CONFLICT,
                    "Deactivating needs a confirmation.",
                ))
            }
            Err(EditError::Database(e)) => return Err(e.into()),
        }
        store::set_extra(conn, (editor.org_id, id), &draft.extra)?;
        Ok(())
    })
}

pub async fn create(
    caller: ScimCaller,
    state: State,
    body: web::Bytes,
) -> Result<HttpResponse, ScimError> {
    let caller = caller.write(Permission::UsersInvite)?;
    caller.require(crate::api::tokens::Scope::Scim, Permission::UsersEdit)?;
    let blank = Draft {
        user_name: String::new(),
        given_name: String::new(),
        family_name: String::new(),
        email: String::new(),
        phone: String::new(),
        active: true,
        extra: store::Extra::default(),
        fields: Default::default(),
        secrets: Default::default(),
    };
    let draft = model::from_json(&json_body(&body)?, blank)?;
    if draft.user_name.trim().is_empty() {
        return Err(ScimError::bad("invalidValue", "userName is required."));
    }
    let (editor, label, base_url, base) = (
        caller.editor(),
        caller.actor_label(),
        state.base_url.clone(),
        base(&state),
    );
    let (meta, now) = (caller.origin.clone(), state.clock.now());
    let stored = state
        .db(move |conn| {
            let writing = Writing {
                caller_label: &label,
                base_url: &base_url,
                meta: &meta,
                now,
            };
            Ok(create_user(conn, &editor, draft, &writing)
                .and_then(|id| shown(conn, editor.org_id, id)))
        })
        .await??;
    let (stored, part) = stored;
    let user = model::to_json(&stored, &base, part);
    let mut response = respond(StatusCode::CREATED, &user, Some(stored.version));
    response.headers_mut().insert(
        header::LOCATION,
        header::HeaderValue::from_str(&format!("{base}/Users/{}", stored.id))
            .map_err(|e| ScimError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?,
    );
    Ok(response)
}

/// `If-Match`: the version the client last saw (a stale one answers 412).
fn if_match(req: &HttpRequest) -> Option<i32> {
    let text = req.headers().get(header::IF_MATCH)?.to_str().ok()?.trim();
    text.trim_start_matches("W/").trim_matches('"').parse().ok()
}

/// A change of one user: `change` turns what is stored into what it should be.
async fn change_user(
    caller: &Caller,
    state: &State,
    (req, id): (&HttpRequest, String),
    change: impl FnOnce(Draft) -> Result<Draft, ScimError> + Send + 'static,
) -> Result<HttpResponse, ScimError> {
    let (editor, label, base_url, base) = (
        caller.editor(),
        caller.actor_label(),
        state.base_url.clone(),
        base(state),
    );
    let (meta, now, expected) = (caller.origin.clone(), state.clock.now(), if_match(req));
    let stored = state
        .db(move |conn| {
            let run = |conn: &mut DbConn| -> Result<Shown, ScimError> {
                let stored = reachable(conn, &editor, &id)?;
                if expected.is_some_and(|v| v != stored.version) {
                    return Err(ScimError::new(
                        StatusCode::PRECONDITION_FAILED,
                        "The user changed since that version.",
                    ));
                }
                let profiles = fields::Profiles::load(conn, editor.org_id, &[stored.id])?;
                let current = Draft::of(&stored, profiles.of(stored.id));
                let mut draft = change(current.clone())?;
                fields::normalize(&profiles.defs, &mut draft)?;
                if draft != current {
                    let writing = Writing {
                        caller_label: &label,
                        base_url: &base_url,
                        meta: &meta,
                        now,
                    };
                    let target = (stored.id, &draft, profiles.defs.as_slice());
                    update_user(conn, &editor, target, &writing)?;
                }
                shown(conn, editor.org_id, stored.id)
            };
            Ok(run(conn))
        })
        .await??;
    let (stored, part) = stored;
    Ok(respond(
        StatusCode::OK,
        &model::to_json(&stored, &base, part),
        Some(stored.version),
    ))
}

pub async fn replace(
    caller: ScimCaller,
    state: State,
    req: HttpRequest,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ScimError> {
    let caller = caller.write(Permission::UsersEdit)?;
    let body = json_body(&body)?;
    change_user(caller, &state, (&req, id.into_inner()), move |current| {
        model::from_json(&body, current)
    })
    .await
}

pub async fn patch(
    caller: ScimCaller,
    state: State,
    req: HttpRequest,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ScimError> {
    let caller = caller.write(Permission::UsersEdit)?;
    let body = json_body(&body)?;
    change_user(caller, &state, (&req, id.into_inner()), move |mut draft| {
        super::patch::apply(&mut draft, &body)?;
        Ok(draft)
    })
    .await
}

pub async fn delete(
    caller: ScimCaller,
    state: State,
    id: web::Path<String>,
) -> Result<HttpResponse, ScimError> {
    use crate::users::actions::lifecycle::service::{self as lifecycle, LifecycleError, Reassign};
    let caller = caller.write(Permission::UsersDelete)?;
    let editor = caller.editor();
    let (meta, now) = (caller.origin.clone(), state.clock.now());
    state
        .db(move |conn| {
            let run = |conn: &mut DbConn| -> Result<(), ScimError> {
                let stored = reachable(conn, &editor, &id)?;
                match lifecycle::delete(conn, &editor, stored.id, Reassign::Nobody, &meta, now) {
                    Ok(_) => Ok(()),
                    Err(LifecycleError::NotFound) => Err(ScimError::not_found()),
                    Err(LifecycleError::Refused(r)) => {
                        Err(ScimError::new(StatusCode::FORBIDDEN, r.to_string()))
                    }
                    Err(LifecycleError::Invalid(m)) => Err(ScimError::bad("invalidValue", m)),
                    Err(LifecycleError::Database(e)) => Err(e.into()),
                }
            };
            Ok(run(conn))
        })
        .await??;
    Ok(HttpResponse::NoContent().finish())
}
