//! Writing users through the API: create, update (`If-Match`), activate and deactivate, each
//! through the use case the pages call, with the same field messages as problem details.

use std::collections::BTreeMap;

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::{detail, reachable, with_etag, UserDetail};
use crate::api::caller::Caller;
use crate::api::problem::Problem;
use crate::api::tokens::Scope;
use crate::auth::permissions::Permission;
use crate::db::DbConn;
use crate::users::actions::edit::forms::{EditForm, UserChange};
use crate::users::actions::edit::service::{self as edit, Change, EditError};
use crate::users::authority::Editor;
use crate::web::State;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v1/users", web::post().to(create))
        .route("/api/v1/users/{id}", web::patch().to(update));
}

/// A user field's value: text, or several for a multiple choice (`null` or `""` clears it).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum FieldValue {
    One(Option<String>),
    Many(Vec<String>),
}

/// The posted pairs of user fields (`field.<key>`), as the forms post them.
fn field_pairs(fields: &BTreeMap<String, FieldValue>) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    for (key, value) in fields {
        match value {
            FieldValue::One(text) => {
                pairs.push((format!("field.{key}"), text.clone().unwrap_or_default()))
            }
            FieldValue::Many(texts) => {
                pairs.extend(texts.iter().map(|t| (format!("field.{key}"), t.clone())))
            }
        }
    }
    pairs
}

/// What a PATCH changes; whatever is absent stays as it is.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// A new address of an active user counts once that address confirms it (a link is sent).
    pub email: Option<String>,
    pub username: Option<String>,
    pub phone: Option<String>,
    pub timezone: Option<String>,
    pub language: Option<String>,
    /// `null` removes the division.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    pub division_id: Option<Option<i64>>,
    pub role_ids: Option<Vec<i64>>,
    pub product_ids: Option<Vec<i64>>,
    pub group_ids: Option<Vec<i64>>,
    /// The organization's user fields by key; those absent keep their values.
    pub fields: Option<BTreeMap<String, FieldValue>>,
    pub active: Option<bool>,
}

/// A key that is present (even as `null`) is `Some`.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<i64>>, D::Error> {
    Option::<i64>::deserialize(d).map(Some)
}

impl UserPatch {
    /// The saved form with this patch over it. `kept` holds the user's field values as
    /// posted pairs (a patch names only the fields it changes).
    fn onto(self, mut form: EditForm, kept: Vec<(String, String)>) -> EditForm {
        let set = |slot: &mut String, value: Option<String>| {
            if let Some(value) = value {
                *slot = value;
            }
        };
        set(&mut form.first_name, self.first_name);
        set(&mut form.last_name, self.last_name);
        set(&mut form.email, self.email);
        set(&mut form.phone, self.phone);
        set(&mut form.timezone, self.timezone);
        set(&mut form.language, self.language);
        if let Some(username) = self.username {
            form.username = Some(username);
        }
        if let Some(division) = self.division_id {
            form.division = division.map(|d| d.to_string()).unwrap_or_default();
        }
        if let Some(roles) = self.role_ids {
            form.role_ids = roles;
        }
        if let Some(products) = self.product_ids {
            form.product_ids = products;
        }
        if let Some(groups) = self.group_ids {
            form.group_ids = Some(groups);
        }
        if let Some(fields) = self.fields {
            let changed = field_pairs(&fields);
            let mut pairs: Vec<(String, String)> = kept
                .into_iter()
                .filter(|(name, _)| !changed.iter().any(|(n, _)| n == name))
                .collect();
            pairs.extend(changed);
            form.fields = Some(crate::fields::profile::Posted::from_pairs(&pairs));
        }
        if self.active.is_some() {
            form.active = self.active;
        }
        // The request is the confirmation: an API client means what it sends.
        form.confirmed = true;
        form
    }
}

/// The user's field values (secrets left out: absent, a secret keeps its value) as pairs.
fn kept_fields(
    conn: &mut DbConn,
    org_id: i64,
    user_id: i64,
) -> diesel::QueryResult<Vec<(String, String)>> {
    let fields = crate::fields::store::all(conn, org_id)?;
    let values = crate::fields::store::values_of(conn, user_id)?;
    Ok(fields
        .iter()
        .filter(|f| f.kind != crate::fields::Kind::Secret)
        .flat_map(|f| {
            let held = values.get(&f.id).cloned().unwrap_or_default();
            held.into_iter().map(|v| (format!("field.{}", f.key), v))
        })
        .collect())
}

/// `If-Match: W/"7"` (or `"7"`): the version the client last saw; `*` or none: any.
fn if_match(req: &HttpRequest) -> Result<Option<i32>, Problem> {
    let Some(value) = req.headers().get(header::IF_MATCH) else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or("").trim();
    if text == "*" {
        return Ok(None);
    }
    text.trim_start_matches("W/")
        .trim_matches('"')
        .parse()
        .map(Some)
        .map_err(|_| {
            Problem::new(
                StatusCode::BAD_REQUEST,
                "If-Match takes the ETag of GET /api/v1/users/{id}, such as W/\"3\".",
            )
        })
}

fn stale(by: &str) -> Problem {
    Problem::new(
        StatusCode::PRECONDITION_FAILED,
        format!("{by} changed this user since the version you sent: nothing was saved. GET it again and retry."),
    )
}

fn edit_problem(error: EditError) -> Problem {
    match error {
        EditError::Invalid(errors) => Problem::fields(&errors),
        EditError::Stale { by } => stale(&by),
        EditError::NotFound => Problem::not_found(),
        EditError::Refused(refusal) => Problem::new(StatusCode::FORBIDDEN, refusal.to_string()),
        EditError::NeedsConfirmation => {
            Problem::new(StatusCode::CONFLICT, "Deactivating needs a confirmation.")
        }
        EditError::Database(e) => e.into(),
    }
}

/// One save through Edit User's rules, in the caller's transaction of the pool.
fn save(
    conn: &mut DbConn,
    (editor, base_url): (&Editor, &str),
    (user_id, version): (i64, Option<i32>),
    patch: UserPatch,
    (meta, now): (&crate::audit::Origin, chrono::NaiveDateTime),
) -> Result<UserDetail, Problem> {
    reachable(conn, editor, user_id)?;
    let form = crate::users::actions::edit::dialog::current_form(conn, editor.org_id, user_id)?
        .ok_or_else(Problem::not_found)?;
    if version.is_some_and(|v| v != form.version) {
        let by = crate::users::actions::edit::store::last_editor(conn, user_id)?;
        return Err(stale(by.as_deref().unwrap_or("Someone")));
    }
    let kept = kept_fields(conn, editor.org_id, user_id)?;
    let form = patch.onto(form, kept);
    let checked = UserChange::try_from(&form).map_err(|errors| Problem::fields(&errors))?;
    let change = Change {
        user: &checked,
        base_url,
        email_at_once: false,
    };
    edit::save(conn, editor, user_id, &change, meta, now).map_err(edit_problem)?;
    detail(conn, editor, user_id)
}

#[utoipa::path(
    patch,
    path = "/api/v1/users/{id}",
    params(("id" = i64, Path, description = "The user's id"),
           ("If-Match" = Option<String>, Header, description = "The ETag last read: a stale one answers 412")),
    request_body = UserPatch,
    responses(
        (status = 200, body = UserDetail),
        (status = 403, body = crate::api::problem::ProblemBody),
        (status = 404, body = crate::api::problem::ProblemBody),
        (status = 412, body = crate::api::problem::ProblemBody),
        (status = 422, body = crate::api::problem::ProblemBody),
    ),
    security(("bearer" = []))
)]
pub async fn update(
    caller: Caller,
    state: State,
    req: HttpRequest,
    id: web::Path<i64>,
    patch: web::Json<UserPatch>,
) -> Result<HttpResponse, Problem> {
    caller.require(Scope::UsersWrite, Permission::UsersEdit)?;
    let version = if_match(&req)?;
    let (editor, user_id) = (caller.editor(), id.into_inner());
    let (meta, now, base_url) = (
        caller.origin.clone(),
        state.clock.now(),
        state.base_url.clone(),
    );
    let patch = patch.into_inner();
    let saved = state
        .db(move |conn| {
            Ok(save(
                conn,
                (&editor, &base_url),
                (user_id, version),
                patch,
                (&meta, now),
            ))
        })
        .await??;
    Ok(with_etag(&saved))
}

/// A new user, as Create User makes them: they get an email to confirm the account and choose
/// a password.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    #[serde(default)]
    pub username: String,
    /// At least one, within the token maker's access.
    pub role_ids: Vec<i64>,
    #[serde(default)]
    pub product_ids: Vec<i64>,
    pub division_id: Option<i64>,
    #[serde(default)]
    pub group_ids: Vec<i64>,
    #[serde(default)]
    pub fields: BTreeMap<String, FieldValue>,
    /// Holds roles and licenses for the products but never signs into the console.
    #[serde(default)]
    pub product_only: bool,
}

#[utoipa::path(
    post,
    path = "/api/v1/users",
    request_body = NewUser,
    responses(
        (status = 201, body = UserDetail, headers(("Location" = String, description = "The new user's URL"))),
        (status = 403, body = crate::api::problem::ProblemBody),
        (status = 422, body = crate::api::problem::ProblemBody),
    ),
    security(("bearer" = []))
)]
pub async fn create(
    caller: Caller,
    state: State,
    body: web::Json<NewUser>,
) -> Result<HttpResponse, Problem> {
    use crate::users::actions::create::{forms::CreateForm, service as creating};
    caller.require(Scope::UsersWrite, Permission::UsersInvite)?;
    caller.require(Scope::UsersWrite, Permission::UsersEdit)?;
    let body = body.into_inner();
    let form = CreateForm {
        first_name: body.first_name,
        last_name: body.last_name,
        email: body.email,
        username: body.username,
        role_ids: body.role_ids.into_iter().collect(),
        product_ids: body.product_ids.into_iter().collect(),
        division: body.division_id.map(|d| d.to_string()).unwrap_or_default(),
        group_ids: body.group_ids.into_iter().collect(),
        fields: crate::fields::profile::Posted::from_pairs(&field_pairs(&body.fields)),
        product_only: body.product_only,
        phone: String::new(),
        provisioned: None,
    };
    let editor = caller.editor();
    let name = caller.actor_label();
    let (meta, now, base_url) = (
        caller.origin.clone(),
        state.clock.now(),
        state.base_url.clone(),
    );
    let made = state
        .db(move |conn| {
            let creator = creating::Creator {
                editor: &editor,
                name: &name,
                base_url: &base_url,
            };
            Ok(match creating::create(conn, &creator, &form, &meta, now) {
                Ok(created) => detail(conn, &editor, created.user_id),
                Err(creating::CreateError::Invalid(errors)) => Err(Problem::fields(&errors)),
                Err(creating::CreateError::Database(e)) => Err(e.into()),
            })
        })
        .await??;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/users/{}", made.summary.id),
        ))
        .insert_header((header::ETAG, format!("W/\"{}\"", made.version)))
        .json(made))
}
