//! `GET/POST /users/import-users`: the page, its check and its import.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::service::{self, Mode, Outcome};
use super::{LineError, CORE_COLUMNS, MAX_LINES};
use crate::auth::permissions::Permission;
use crate::users::actions::create::service::Creator;
use crate::users::actions::lifecycle::routes::editor_of;
use crate::web::request_meta::origin_of;
use crate::web::shell::{Nav, Shell};
use crate::web::{htmx, AppError, CurrentUser, State};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/users/import-users", web::get().to(page))
        .route("/users/import-users", web::post().to(import));
}

#[derive(Template)]
#[template(path = "users/import_users.html")]
struct ImportUsersPage {
    shell: Shell,
    csv: String,
    errors: Vec<LineError>,
    /// A problem with the whole text (no header, an unknown column).
    problem: Option<String>,
    notice: Option<String>,
    /// A check found every line ready: this many.
    ready: Option<usize>,
    columns: String,
    field_keys: Vec<String>,
    max_lines: usize,
}

/// Creating is inviting with the whole profile: both permissions.
fn require(user: &CurrentUser) -> Result<(), AppError> {
    user.require(Permission::UsersInvite)?;
    user.require(Permission::UsersEdit)
}

async fn view(
    req: &HttpRequest,
    state: &State,
    user: &CurrentUser,
) -> Result<ImportUsersPage, AppError> {
    let org_id = user.org_id;
    let fields = state
        .db(move |conn| Ok(crate::fields::store::all(conn, org_id)?))
        .await?;
    Ok(ImportUsersPage {
        shell: Shell::new(req, user, Nav::Users),
        csv: String::new(),
        errors: Vec::new(),
        problem: None,
        notice: None,
        ready: None,
        columns: CORE_COLUMNS.join(","),
        field_keys: fields.into_iter().map(|f| f.key).collect(),
        max_lines: MAX_LINES,
    })
}

pub async fn page(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    require(&user)?;
    htmx::html(&view(&req, &state, &user).await?)
}

pub async fn import(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    pairs: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    require(&user)?;
    let get = |name: &str| {
        pairs
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let (csv, mode) = (
        get("csv"),
        if get("mode") == "import" {
            Mode::Import
        } else {
            Mode::Check
        },
    );
    let editor = editor_of(&user);
    let name = user.display_name();
    let base_url = state.base_url.clone();
    let meta = origin_of(&req, &state.config.trusted_proxies);
    let now = state.clock.now();
    let text = csv.clone();
    let outcome = state
        .db(move |conn| {
            let creator = Creator {
                editor: &editor,
                name: &name,
                base_url: &base_url,
            };
            Ok(service::import_text(
                conn, &creator, &text, mode, &meta, now,
            )?)
        })
        .await?;
    let mut view = view(&req, &state, &user).await?;
    let response = match outcome {
        Outcome::Imported(created) => {
            view.notice = Some(format!(
                "Imported {created} user{}: each gets an email to confirm the account and choose a password.",
                if created == 1 { "" } else { "s" }
            ));
            htmx::html(&view)
        }
        Outcome::Ready(ready) => {
            view.csv = csv;
            view.ready = Some(ready);
            htmx::html(&view)
        }
        Outcome::Refused {
            mut errors,
            problem,
        } => {
            errors.sort_by_key(|e| e.line);
            view.csv = csv;
            view.errors = errors;
            view.problem = problem;
            htmx::html_with_status(&view, StatusCode::UNPROCESSABLE_ENTITY)
        }
    };
    // The pasted lines come back in the page (secrets included): never kept by a cache.
    let mut response = response?;
    response.headers_mut().insert(
        actix_web::http::header::CACHE_CONTROL,
        actix_web::http::header::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}
