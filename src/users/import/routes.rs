//! `GET/POST /users/import`: the import page and its report.

use crate::web::errors::triage;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::service::{self, ImportError};
use super::{parse, LineError, MAX_LINES};
use crate::auth::permissions::Permission;
use crate::web::request_meta::origin_of;
use crate::web::shell::{Nav, Shell};
use crate::web::{htmx, AppError, CurrentUser, State};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/users/import", web::get().to(page))
        .route("/users/import", web::post().to(import));
}

#[derive(Template)]
#[template(path = "users/import.html")]
struct ImportPage {
    shell: Shell,
    csv: String,
    errors: Vec<LineError>,
    notice: Option<String>,
    max_lines: usize,
}

fn view(req: &HttpRequest, user: &CurrentUser) -> ImportPage {
    ImportPage {
        shell: Shell::new(req, user, Nav::Users),
        csv: String::new(),
        errors: Vec::new(),
        notice: None,
        max_lines: MAX_LINES,
    }
}

pub async fn page(req: HttpRequest, user: CurrentUser) -> Result<HttpResponse, AppError> {
    user.require(Permission::UsersEdit)?;
    user.require_whole_organization()?;
    htmx::html(&view(&req, &user))
}

#[derive(Deserialize)]
pub struct ImportForm {
    #[serde(default)]
    csv: String,
}

pub async fn import(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    form: web::Form<ImportForm>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::UsersEdit)?;
    user.require_whole_organization()?;
    let form = form.into_inner();
    let (lines, mut errors) = parse(&form.csv);
    if lines.is_empty() && errors.is_empty() {
        errors.push(LineError {
            line: 0,
            text: String::new(),
            message: "There is nothing to import: paste lines like `contact,C-1001,ada@example.com`, or choose a CSV file.".into(),
        });
    }
    let outcome = if errors.is_empty() {
        let meta = origin_of(&req, &state.config.trusted_proxies);
        let (actor, org_id, now) = (user.actor(), user.org_id, state.clock.now());
        state
            .db(move |conn| {
                Ok(
                    triage(service::import(conn, &actor, org_id, &lines, &meta, now))?
                        .map_err(ImportError::into_lines),
                )
            })
            .await?
    } else {
        // One report for every bad line: unknown owners of the lines that did parse too.
        let org_id = user.org_id;
        let unknown = state
            .db(move |conn| Ok(service::owners_of(conn, org_id, &lines)?.1))
            .await?;
        errors.extend(unknown);
        Err(errors)
    };
    let mut page = view(&req, &user);
    match outcome {
        Ok(done) => {
            let total = done.created + done.reassigned + done.unchanged;
            page.notice = Some(format!(
                "Imported {total} record{}: {} new, {} with a new owner, {} already as listed.",
                if total == 1 { "" } else { "s" },
                done.created,
                done.reassigned,
                done.unchanged
            ));
            htmx::html(&page)
        }
        Err(mut problems) => {
            problems.sort_by_key(|p| p.line);
            page.errors = problems;
            page.csv = form.csv;
            htmx::html_with_status(&page, StatusCode::UNPROCESSABLE_ENTITY)
        }
    }
}
