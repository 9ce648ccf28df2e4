//! `/api/v1/users`: the user list (the list page's search, filters and keyset cursor), one
//! user with an `ETag`, a user's effective access for products to enforce, and Activate /
//! Deactivate through the very use cases the pages call.

use std::collections::BTreeMap;

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use chrono::NaiveDateTime;
use serde::Serialize;

use super::caller::Caller;
use super::problem::Problem;
use super::tokens::Scope;
use crate::auth::permissions::Permission;
use crate::db::DbConn;
use crate::users::authority::{self, Editor};
use crate::users::forms::{ListQuery, Page};
use crate::users::store::{self, UserListRow};
use crate::web::State;

pub mod remove;
pub mod status;
pub mod write;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v1/users", web::get().to(list))
        .route("/api/v1/users/{id}", web::get().to(get))
        .route("/api/v1/users/{id}/access", web::get().to(access))
        .configure(write::configure)
        .configure(status::configure)
        .configure(remove::configure);
}

fn split(text: Option<&str>) -> Vec<String> {
    let mut names: Vec<String> = text
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    names.sort();
    names
}

/// A user as the list gives them.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UserSummary {
    pub id: i64,
    pub email: String,
    pub username: Option<String>,
    pub first_name: String,
    pub last_name: String,
    /// `active`, `inactive` or `invited`.
    pub status: String,
    /// Blocked (failed sign-ins or inactivity): signs in again once unblocked.
    pub blocked: bool,
    pub roles: Vec<String>,
    /// Names of the products whose license the user holds.
    pub licenses: Vec<String>,
    pub last_active_at: Option<NaiveDateTime>,
}

impl From<UserListRow> for UserSummary {
    fn from(row: UserListRow) -> Self {
        UserSummary {
            id: row.id,
            blocked: row.locked_at.is_some(),
            roles: split(row.role_names.as_deref()),
            licenses: split(row.license_names.as_deref()),
            email: row.email,
            username: row.username,
            first_name: row.first_name,
            last_name: row.last_name,
            status: row.status,
            last_active_at: row.last_active_at,
        }
    }
}

/// A page of users.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UserPage {
    pub users: Vec<UserSummary>,
    /// The next page's URL (the same filters, after this page's last user); `null` at the end.
    pub next: Option<String>,
}

/// The users of the token's organization (as far as its maker's scope reaches), 50 a page.
#[utoipa::path(
    get,
    path = "/api/v1/users",
    params(
        ("q" = Option<String>, Query, description = "Search names, emails and searchable fields"),
        ("role" = Option<i64>, Query, description = "Only holders of this role id"),
        ("group" = Option<i64>, Query, description = "Only members of this group id"),
        ("active" = Option<String>, Query, description = "`0` includes inactive users"),
        ("sort" = Option<String>, Query, description = "`name`, `email`, `last_active`, `-` for descending"),
        ("after" = Option<String>, Query, description = "The cursor from `next`"),
    ),
    responses(
        (status = 200, body = UserPage),
        (status = 401, body = super::problem::ProblemBody),
        (status = 403, body = super::problem::ProblemBody),
        (status = 429, body = super::problem::ProblemBody),
    ),
    security(("bearer" = []))
)]
pub async fn list(
    caller: Caller,
    state: State,
    pairs: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, Problem> {
    caller.require(Scope::UsersRead, Permission::UsersView)?;
    let mut query =
        ListQuery::from_pairs(&pairs).seen_by(caller.user.scope.as_ref(), state.clock.now());
    // Forward only: `next` is the one way through.
    if matches!(query.page, Page::Before(_)) {
        query.page = Page::First;
    }
    let org_id = caller.user.org_id;
    let lookup = query.clone();
    let (rows, more) = state
        .db(move |conn| Ok(store::list_page(conn, org_id, &lookup)?))
        .await?;
    let next = match (more, rows.last()) {
        (true, Some(last)) => Some(format!(
            "/api/v1/users?{}",
            query.to_query_string(query.sort, &Page::After(last.cursor(query.sort)))
        )),
        _ => None,
    };
    let page = UserPage {
        users: rows.into_iter().map(UserSummary::from).collect(),
        next,
    };
    let mut response = HttpResponse::Ok();
    if let Some(next) = &page.next {
        response.insert_header((header::LINK, format!("<{next}>; rel=\"next\"")));
    }
    Ok(response.json(page))
}

/// One user, with their profile.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UserDetail {
    #[serde(flatten)]
    pub summary: UserSummary,
    pub phone: String,
    pub timezone: String,
    pub language: String,
    pub division_id: Option<i64>,
    /// The organization's user fields by key (a secret field's value is never given).
    pub fields: BTreeMap<String, serde_json::Value>,
    /// Changes with every save: send it back as `If-Match` (it is also the `ETag`).
    pub version: i32,
}

fn field_values(
    conn: &mut DbConn,
    org_id: i64,
    user_id: i64,
) -> diesel::QueryResult<BTreeMap<String, serde_json::Value>> {
    let fields = crate::fields::store::all(conn, org_id)?;
    let values = crate::fields::store::values_of(conn, user_id)?;
    Ok(fields
        .iter()
        .filter(|f| f.kind != crate::fields::Kind::Secret)
        .filter_map(|f| {
            let held = values.get(&f.id)?;
            let value = if f.kind == crate::fields::Kind::MultiChoice {
                serde_json::json!(held)
            } else {
                serde_json::json!(held.first())
            };
            Some((f.key.clone(), value))
        })
        .collect())
}

/// The user if the caller's organization and scope reach them (else 404, as another
/// organization's user is).
pub(crate) fn reachable(conn: &mut DbConn, editor: &Editor, user_id: i64) -> Result<(), Problem> {
    match authority::visible_standing(conn, editor, user_id) {
        Ok(_) => Ok(()),
        Err(authority::Denied::Database(e)) => Err(e.into()),
        Err(_) => Err(Problem::not_found()),
    }
}

pub(crate) fn detail(
    conn: &mut DbConn,
    editor: &Editor,
    user_id: i64,
) -> Result<UserDetail, Problem> {
    reachable(conn, editor, user_id)?;
    let org_id = editor.org_id;
    let row = store::list_row(conn, org_id, user_id)?.ok_or_else(Problem::not_found)?;
    let edit = crate::users::actions::edit::store::edit_row(conn, org_id, user_id)?
        .ok_or_else(Problem::not_found)?;
    Ok(UserDetail {
        summary: row.into(),
        phone: edit.phone,
        timezone: edit.timezone,
        language: edit.language,
        division_id: edit.division_id,
        fields: field_values(conn, org_id, user_id)?,
        version: edit.version,
    })
}

pub(crate) fn with_etag(detail: &UserDetail) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::ETAG, format!("W/\"{}\"", detail.version)))
        .json(detail)
}

#[utoipa::path(
    get,
    path = "/api/v1/users/{id}",
    params(("id" = i64, Path, description = "The user's id")),
    responses(
        (status = 200, body = UserDetail, headers(("ETag" = String, description = "The user's version"))),
        (status = 404, body = super::problem::ProblemBody),
    ),
    security(("bearer" = []))
)]
pub async fn get(
    caller: Caller,
    state: State,
    id: web::Path<i64>,
) -> Result<HttpResponse, Problem> {
    caller.require(Scope::UsersRead, Permission::UsersView)?;
    let (editor, user_id) = (caller.editor(), id.into_inner());
    let detail = state
        .db(move |conn| Ok(detail(conn, &editor, user_id)))
        .await??;
    Ok(with_etag(&detail))
}

/// What a user may do, for a product to enforce: their roles, effective permissions (console
/// and product), licenses, division and chat scope, and profile fields.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EffectiveAccess {
    pub user_id: i64,
    pub status: String,
    /// Only `active` users may use anything.
    pub active: bool,
    pub roles: Vec<String>,
    /// Console permissions by code (`users.view` …).
    pub permissions: Vec<String>,
    /// Product permissions as "Product: Permission".
    pub product_permissions: Vec<String>,
    pub licenses: Vec<String>,
    pub division_id: Option<i64>,
    /// `all` or `assigned` (then `chat_divisions`).
    pub chat_scope: String,
    pub chat_divisions: Vec<i64>,
    pub fields: BTreeMap<String, serde_json::Value>,
}

fn effective_access(
    conn: &mut DbConn,
    editor: &Editor,
    catalog: &crate::orgs::catalog::OrgCatalog,
    user_id: i64,
) -> Result<EffectiveAccess, Problem> {
    let detail = detail(conn, editor, user_id)?;
    let standing =
        authority::standing_of(conn, editor.org_id, user_id)?.ok_or_else(Problem::not_found)?;
    let edit = crate::users::actions::edit::store::edit_row(conn, editor.org_id, user_id)?
        .ok_or_else(Problem::not_found)?;
    let console = Permission::ALL
        .into_iter()
        .filter(|p| standing.permissions.has(*p))
        .map(|p| p.as_str().to_owned())
        .collect();
    let product_permissions = catalog
        .product_permissions
        .iter()
        .filter(|p| standing.permissions.has_product(p.slot))
        .map(|p| p.label())
        .collect();
    let chat_divisions = crate::divisions::store::assigned(conn, user_id)?;
    let summary = detail.summary;
    Ok(EffectiveAccess {
        user_id,
        active: summary.status == crate::users::status::ACTIVE && !summary.blocked,
        status: summary.status,
        roles: summary.roles,
        permissions: console,
        product_permissions,
        licenses: summary.licenses,
        division_id: detail.division_id,
        chat_scope: edit.chat_scope,
        chat_divisions: chat_divisions.into_iter().collect(),
        fields: detail.fields,
    })
}

#[utoipa::path(
    get,
    path = "/api/v1/users/{id}/access",
    params(("id" = i64, Path, description = "The user's id")),
    responses(
        (status = 200, body = EffectiveAccess),
        (status = 404, body = super::problem::ProblemBody),
    ),
    security(("bearer" = []))
)]
pub async fn access(
    caller: Caller,
    state: State,
    id: web::Path<i64>,
) -> Result<HttpResponse, Problem> {
    caller.require(Scope::UsersRead, Permission::UsersView)?;
    let (editor, user_id) = (caller.editor(), id.into_inner());
    let app = state.get_ref().clone();
    let access = state
        .db(move |conn| {
            let catalog = app.catalog.of(conn, editor.org_id)?;
            Ok(effective_access(conn, &editor, &catalog, user_id))
        })
        .await??;
    Ok(HttpResponse::Ok().json(access))
}
