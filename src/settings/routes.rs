//! `GET/POST /settings`, `POST /settings/seats`.

use crate::web::errors::triage;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use super::forms::{parse_seats, OrgSettingsForm, SecurityForm};
use super::service::{self, SeatsError, SettingsError};
use super::store;
use super::views::{InactivityPreview, SettingsPage};
use crate::auth::permissions::Permission;
use crate::validation::FieldErrors;
use crate::web::request_meta::origin_of;
use crate::web::shell::{Nav, Shell};
use crate::web::{htmx, AppError, CurrentUser, State};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/settings", web::get().to(show))
        .route("/settings", web::post().to(save))
        .route("/settings/seats", web::post().to(save_seats))
        .route("/settings/security", web::post().to(save_security))
        .route(
            "/settings/inactivity-preview",
            web::get().to(inactivity_preview),
        );
}

/// Rows the inactivity dry run lists.
const PREVIEW_ROWS: i64 = 10;

async fn preview(state: &State, org_id: i64, days: i32) -> Result<InactivityPreview, AppError> {
    let now = state.clock.now();
    let (count, rows) = state
        .db(move |conn| {
            Ok(crate::auth::inactivity::preview(
                conn,
                org_id,
                days,
                now,
                PREVIEW_ROWS,
            )?)
        })
        .await?;
    Ok(InactivityPreview {
        days,
        count,
        rows: rows
            .into_iter()
            .map(|r| {
                let since = r.since().format("%Y-%m-%d").to_string();
                (format!("{} {}", r.first_name, r.last_name), r.email, since)
            })
            .collect(),
    })
}

fn require_any(user: &CurrentUser) -> Result<(), AppError> {
    if user.can(Permission::SettingsManage) || user.can(Permission::LicensesManage) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// The page as stored, to be adjusted by the caller (a notice, typed values, errors).
async fn page(
    req: &HttpRequest,
    state: &State,
    user: &CurrentUser,
) -> Result<SettingsPage, AppError> {
    let org_id = user.org_id;
    let (settings, products, policy, roles, product_permissions) = state
        .db(move |conn| {
            Ok((
                store::org_settings(conn, org_id)?,
                crate::licenses::store::products(conn, org_id)?,
                store::policy(conn, org_id)?,
                crate::users::store::org_roles(conn, org_id)?,
                crate::licenses::product_permissions::all(conn, org_id)?,
            ))
        })
        .await?;
    let permissions = Permission::ALL
        .into_iter()
        .map(|p| (p.as_str().to_owned(), p.label().to_owned()))
        .chain(
            product_permissions
                .iter()
                .map(|p| (p.stored_name(), p.label())),
        )
        .collect();
    let preview = preview(state, org_id, policy.lock_after_inactive_days).await?;
    Ok(SettingsPage {
        shell: Shell::new(req, user, Nav::Settings),
        notice: None,
        can_manage_settings: user.can(Permission::SettingsManage),
        can_manage_licenses: user.can(Permission::LicensesManage),
        signup_domains: settings.domains_text(),
        invite_days: settings.invite_days.to_string(),
        errors: FieldErrors::default(),
        products,
        seat_inputs: Vec::new(),
        seat_errors: Vec::new(),
        security: SecurityForm::of(&policy),
        security_errors: FieldErrors::default(),
        roles: roles.into_iter().map(|(_, name)| name).collect(),
        permissions,
        preview,
    })
}

pub async fn show(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    require_any(&user)?;
    htmx::html(&page(&req, &state, &user).await?)
}

pub async fn save(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    form: web::Form<OrgSettingsForm>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::SettingsManage)?;
    match form.validate() {
        Err(errors) => {
            let mut view = page(&req, &state, &user).await?;
            view.signup_domains = form.signup_domains.clone();
            view.invite_days = form.invite_days.clone();
            view.errors = errors;
            htmx::html_with_status(&view, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Ok(settings) => {
            let meta = origin_of(&req, &state.config.trusted_proxies);
            let (actor, org_id, now) = (user.actor(), user.org_id, state.clock.now());
            let outcome = state
                .db(move |conn| {
                    Ok(triage(service::save_org_settings(
                        conn, &actor, org_id, &settings, &meta, now,
                    ))?
                    .map_err(SettingsError::into_message))
                })
                .await?;
            let mut view = page(&req, &state, &user).await?;
            match outcome {
                Ok(()) => {
                    view.notice = Some("Settings saved.".into());
                    htmx::html(&view)
                }
                Err(message) => {
                    view.signup_domains = form.signup_domains.clone();
                    view.invite_days = form.invite_days.clone();
                    view.errors.add("signup_domains", message);
                    htmx::html_with_status(&view, StatusCode::UNPROCESSABLE_ENTITY)
                }
            }
        }
    }
}

pub async fn save_seats(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::LicensesManage)?;
    // Seats are the organization's: a scoped administrator assigns them, never sets them.
    user.require_whole_organization()?;
    let wanted = parse_seats(&form);
    let meta = origin_of(&req, &state.config.trusted_proxies);
    let (actor, org_id, now) = (user.actor(), user.org_id, state.clock.now());
    let lookup = wanted.clone();
    let outcome = state
        .db(move |conn| {
            Ok(triage(service::save_seats(
                conn, &actor, org_id, &lookup, &meta, now,
            ))?
            .map_err(SeatsError::into_problems))
        })
        .await?;
    let mut view = page(&req, &state, &user).await?;
    match outcome {
        Ok(()) => {
            view.notice = Some("Seats saved.".into());
            htmx::html(&view)
        }
        Err(problems) => {
            view.seat_inputs = wanted;
            view.seat_errors = problems;
            htmx::html_with_status(&view, StatusCode::UNPROCESSABLE_ENTITY)
        }
    }
}

pub async fn save_security(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    pairs: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::SettingsManage)?;
    let form = SecurityForm::from_pairs(&pairs);
    let mut view = page(&req, &state, &user).await?;
    let known: Vec<String> = view.permissions.iter().map(|(n, _)| n.clone()).collect();
    match form.validate(&view.roles, &known) {
        Err(errors) => {
            view.security = form;
            view.security_errors = errors;
            htmx::html_with_status(&view, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Ok(policy) => {
            let meta = origin_of(&req, &state.config.trusted_proxies);
            let (actor, org_id, now) = (user.actor(), user.org_id, state.clock.now());
            state
                .db(move |conn| {
                    Ok(service::save_policy(
                        conn, &actor, org_id, &policy, &meta, now,
                    )?)
                })
                .await?;
            let mut view = page(&req, &state, &user).await?;
            view.notice = Some("Security settings saved.".into());
            htmx::html(&view)
        }
    }
}

#[derive(serde::Deserialize)]
pub struct PreviewQuery {
    #[serde(default)]
    lock_after_inactive_days: String,
}

/// `GET /settings/inactivity-preview?lock_after_inactive_days=N`: the dry run for a limit
/// being typed (htmx), before it is saved.
pub async fn inactivity_preview(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    query: web::Query<PreviewQuery>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::SettingsManage)?;
    htmx::Fragment::of(&req)?;
    let days = query
        .lock_after_inactive_days
        .trim()
        .parse::<i32>()
        .unwrap_or(0)
        .clamp(0, 3650);
    htmx::html(&preview(&state, user.org_id, days).await?)
}
