//! Invite dialog, grid rows, Send Invites, the auto-signup switch and the public invite link.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::forms::{check_rows, parse_grid, RawRow, RowErrors};
use super::service::{self, InviteLink, Inviter, SendError};
use super::store::{self, Product};
use super::views::*;
use crate::auth::password;
use crate::auth::permissions::Permission;
use crate::auth::routes::sign_in_session;
use crate::web::htmx;
use crate::web::request_meta::RequestMeta;
use crate::web::{csrf, AppError, CurrentUser, State};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/users/invite", web::get().to(dialog))
        .route("/users/invite", web::post().to(send))
        .route("/users/invite/row", web::get().to(extra_row))
        .route("/users/invite/copy", web::get().to(copy_roles))
        .route("/users/auto-signup", web::get().to(confirm_auto_signup))
        .route("/users/auto-signup", web::post().to(set_auto_signup))
        .route("/users/{id}/resend", web::get().to(confirm_resend))
        .route("/users/{id}/resend", web::post().to(resend))
        .route("/users/{id}/revoke", web::get().to(confirm_revoke))
        .route("/users/{id}/revoke", web::post().to(revoke))
        .route("/invite/{token}", web::get().to(accept_form))
        .route("/invite/{token}", web::post().to(accept));
}

/// Fragment routes answer plain GETs with the page they belong to.
fn to_owning_page() -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::SeeOther()
        .insert_header(("Location", "/users"))
        .finish())
}

/// What the grid may offer this inviter: the products, and only roles within their own rights.
async fn grid_context(
    state: &State,
    user: &CurrentUser,
) -> Result<(Vec<Product>, Vec<(i64, String)>, bool), AppError> {
    let (org_id, held) = (user.org_id, user.permissions);
    state
        .db(move |conn| {
            let products = store::products(conn, org_id)?;
            let roles = store::grantable_roles(conn, org_id, held)?;
            let auto = store::allow_auto_signup(conn, org_id)?;
            Ok((products, roles, auto))
        })
        .await
}

fn dialog_for(
    products: Vec<Product>,
    roles: Vec<(i64, String)>,
    rows: Vec<GridRow>,
    raw: &[RawRow],
) -> InviteDialog {
    let next_index = rows.iter().map(|r| r.index + 1).max().unwrap_or(0);
    let offered = seats_remain(&products, raw) && rows.len() < super::MAX_ROWS;
    InviteDialog {
        add_row: AddRowButton {
            next_index,
            offered,
            oob: false,
        },
        products,
        roles,
        rows,
    }
}

pub async fn dialog(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::UsersInvite)?;
    if !htmx::is_htmx(&req) {
        return to_owning_page();
    }
    let (products, roles, auto) = grid_context(&state, &user).await?;
    if auto {
        return Err(AppError::Conflict(
            "Turn off Allow users to signup automatically to invite people.".into(),
        ));
    }
    let rows = (0..super::INITIAL_ROWS).map(GridRow::blank).collect();
    htmx::html(&dialog_for(products, roles, rows, &[]))
}

#[derive(Deserialize)]
pub struct RowQuery {
    #[serde(default)]
    index: usize,
}

pub async fn extra_row(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    query: web::Query<RowQuery>,
    pairs: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::UsersInvite)?;
    if !htmx::is_htmx(&req) {
        return to_owning_page();
    }
    let (products, roles, _) = grid_context(&state, &user).await?;
    let index = query.index.min(super::MAX_ROWS * 2 - 1);
    let raw = parse_grid(&pairs);
    let offered = seats_remain(&products, &raw) && raw.len() + 1 < super::MAX_ROWS;
    htmx::html(&GridRowFragment {
        row: GridRow::blank(index),
        add_row: AddRowButton {
            next_index: index + 1,
            offered,
            oob: true,
        },
        products,
        roles,
    })
}

/// "Copy roles and permissions from…" in a grid row: the row's Roles cell again with the
/// other user's roles ticked (those within the inviter's access) and a note of what else is
/// copied when the invitation is sent.
pub async fn copy_roles(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    query: web::Query<RowQuery>,
    pairs: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::UsersInvite)?;
    if !htmx::is_htmx(&req) {
        return to_owning_page();
    }
    let (_, roles, _) = grid_context(&state, &user).await?;
    let index = query.index.min(super::MAX_ROWS * 2 - 1);
    let raw = parse_grid(&pairs).into_iter().next().unwrap_or_default();
    let mut row = GridRow::from_raw(index, raw, Default::default());
    let email = crate::users::normalize_email(&row.copy_from);
    if !email.is_empty() {
        let (org_id, held) = (user.org_id, user.permissions);
        let lookup = email.clone();
        let source = state
            .db(move |conn| Ok(service::access_to_copy(conn, org_id, held, &lookup)?))
            .await?;
        match source {
            Some(copy) => {
                row.role_ids = roles
                    .iter()
                    .map(|(id, _)| *id)
                    .filter(|id| copy.role_ids.contains(id))
                    .collect();
                row.copy_note = Some(copy.note(&email));
            }
            None => {
                row.errors.roles = Some(format!(
                    "No user of your organization has the email {email}."
                ))
            }
        }
    }
    htmx::html(&RolesCell { row, roles })
}

pub async fn send(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::UsersInvite)?;
    let (products, roles, auto) = grid_context(&state, &user).await?;
    if auto {
        return Err(AppError::Conflict(
            "Turn off Allow users to signup automatically to invite people.".into(),
        ));
    }
    let raw = parse_grid(&form);
    let role_ids: Vec<i64> = roles.iter().map(|(id, _)| *id).collect();
    let product_ids: Vec<i64> = products.iter().map(|p| p.id).collect();
    let mut errors = check_rows(&raw, &role_ids, &product_ids);
    if raw.iter().all(RawRow::is_blank) {
        if errors.is_empty() {
            errors.push(RowErrors::default());
        }
        errors[0].first_name = Some("Fill in at least one row.".into());
    }
    if errors.iter().all(RowErrors::is_empty) {
        let inviter = inviter_of(&user);
        let meta = RequestMeta::of(&req, &state.config.trusted_proxies);
        let (base_url, now, rows) = (state.base_url.clone(), state.clock.now(), raw.clone());
        let outcome = state
            .db(move |conn| {
                match service::send_invites(conn, &inviter, &rows, &base_url, &meta, now) {
                    Ok(sent) => Ok(Ok(sent)),
                    Err(SendError::Invalid(errors)) => Ok(Err(errors)),
                    Err(SendError::Database(e)) => Err(e.into()),
                }
            })
            .await?;
        match outcome {
            Ok(sent) => {
                state.mail_wakeup.notify_one();
                log::info!("{} sent {sent} invitation(s)", user.email);
                let trigger = serde_json::json!({
                    "toast": { "kind": "success", "message": "Invite has been sent" },
                    "usersChanged": true,
                    "closeModal": true,
                });
                // No swap: closeModal closes the dialog and usersChanged reloads the table.
                return Ok(HttpResponse::Ok()
                    .insert_header(("HX-Trigger", trigger.to_string()))
                    .insert_header(("HX-Reswap", "none"))
                    .finish());
            }
            Err(row_errors) => errors = row_errors,
        }
    }
    // Blank rows stay in the grid as they were; every row keeps what was typed.
    let rows: Vec<GridRow> = raw
        .iter()
        .cloned()
        .zip(
            errors
                .into_iter()
                .chain(std::iter::repeat_with(RowErrors::default)),
        )
        .enumerate()
        .map(|(index, (row, errors))| GridRow::from_raw(index, row, errors))
        .collect();
    let dialog = dialog_for(products, roles, rows, &raw);
    htmx::html_with_status(&dialog, StatusCode::UNPROCESSABLE_ENTITY)
}

#[derive(Deserialize)]
pub struct AllowForm {
    allow: String,
}

pub async fn confirm_auto_signup(
    req: HttpRequest,
    user: CurrentUser,
    query: web::Query<AllowForm>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::SettingsManage)?;
    if !htmx::is_htmx(&req) {
        return to_owning_page();
    }
    htmx::html(&ConfirmSignup {
        allow: query.allow == "1",
    })
}

pub async fn set_auto_signup(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    form: web::Form<AllowForm>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::SettingsManage)?;
    let allow = match form.allow.as_str() {
        "1" => true,
        "0" => false,
        _ => return Err(AppError::BadRequest("Choose on or off.".into())),
    };
    let meta = RequestMeta::of(&req, &state.config.trusted_proxies);
    let (actor, org_id, now) = (user.actor(), user.org_id, state.clock.now());
    state
        .db(move |conn| {
            Ok(service::set_auto_signup(
                conn, &actor, org_id, allow, &meta, now,
            )?)
        })
        .await?;
    let message = if allow {
        "Users can now sign up automatically."
    } else {
        "Automatic sign-up is off. You can now invite users."
    };
    let controls = SignupControls {
        allow_auto_signup: allow,
        can_change: true,
        can_invite: user.can(Permission::UsersInvite),
    };
    let mut response = htmx::html(&controls)?;
    let trigger = serde_json::json!({ "toast": { "kind": "success", "message": message }, "closeModal": true });
    response.headers_mut().insert(
        actix_web::http::header::HeaderName::from_static("hx-trigger"),
        actix_web::http::header::HeaderValue::from_str(&trigger.to_string())
            .map_err(|e| AppError::Unexpected(e.into()))?,
    );
    Ok(response)
}

fn invalid_link() -> Result<HttpResponse, AppError> {
    htmx::html_with_status(&InviteInvalidPage, StatusCode::GONE)
}

pub async fn accept_form(
    req: HttpRequest,
    state: State,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let secret = token.into_inner();
    let (lookup, now) = (secret.clone(), state.clock.now());
    match state
        .db(move |conn| Ok(service::look_up(conn, &lookup, now)?))
        .await?
    {
        InviteLink::Unusable => invalid_link(),
        InviteLink::Valid {
            invitee,
            org,
            min_length,
        } => htmx::html(&AcceptPage {
            csrf: csrf::token(&req),
            token: secret,
            org,
            name: format!("{} {}", invitee.first_name, invitee.last_name),
            email: invitee.email,
            error: None,
            min_length,
        }),
    }
}

#[derive(Deserialize)]
pub struct AcceptForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

pub async fn accept(
    req: HttpRequest,
    state: State,
    session: Session,
    token: web::Path<String>,
    form: web::Form<AcceptForm>,
) -> Result<HttpResponse, AppError> {
    let secret = token.into_inner();
    let (lookup, now) = (secret.clone(), state.clock.now());
    let InviteLink::Valid {
        invitee,
        org,
        min_length,
    } = state
        .db(move |conn| Ok(service::look_up(conn, &lookup, now)?))
        .await?
    else {
        return invalid_link();
    };
    let personal = [
        invitee.first_name.as_str(),
        invitee.last_name.as_str(),
        invitee.email.as_str(),
        org.as_str(),
    ];
    let mut errors = crate::web::form_errors::FieldErrors::default();
    password::check_new(
        &form.password,
        &form.password_confirm,
        min_length,
        &personal,
        &mut errors,
    );
    let problem = errors
        .get("password")
        .or(errors.get("password_confirm"))
        .map(str::to_owned);
    if let Some(error) = problem {
        let page = AcceptPage {
            csrf: csrf::token(&req),
            token: secret,
            org,
            name: format!("{} {}", invitee.first_name, invitee.last_name),
            email: invitee.email,
            error: Some(error),
            min_length,
        };
        return htmx::html_with_status(&page, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let hash = state.hasher.hash(form.password.clone()).await?;
    let meta = RequestMeta::of(&req, &state.config.trusted_proxies);
    match state
        .db(move |conn| Ok(service::accept(conn, &secret, &hash, &meta, now)?))
        .await?
    {
        Some(user_id) => {
            // The emailed link proved the mailbox: with the new password, that is two factors.
            sign_in_session(
                &req,
                &session,
                user_id,
                crate::auth::session_store::Proof::TwoFactor,
            )?;
            Ok(HttpResponse::SeeOther()
                .insert_header(("Location", "/"))
                .finish())
        }
        None => invalid_link(),
    }
}

fn pending_error(error: service::PendingError) -> AppError {
    match error {
        service::PendingError::NotFound => AppError::NotFound,
        service::PendingError::NotPending => AppError::Conflict(error.to_string()),
        service::PendingError::Database(e) => e.into(),
    }
}

async fn confirm_pending(
    req: &HttpRequest,
    state: &State,
    user: &CurrentUser,
    user_id: i64,
    resend: bool,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::UsersInvite)?;
    if !htmx::is_htmx(req) {
        return to_owning_page();
    }
    let org_id = user.org_id;
    let (name, email) = state
        .db(move |conn| service::pending_name(conn, org_id, user_id).map_err(pending_error))
        .await?;
    let dialog = if resend {
        ConfirmPending {
            user_id,
            action: "resend",
            title: "Resend invite?".into(),
            message: format!("{name} ({email}) gets a new invitation email. The link in the earlier email stops working."),
            button: "Resend invite",
            danger: false,
        }
    } else {
        ConfirmPending {
            user_id,
            action: "revoke",
            title: "Revoke invite?".into(),
            message: format!("{name} ({email}) will no longer be able to join with their link, and the licenses reserved for them are freed. You can invite them again later."),
            button: "Revoke invite",
            danger: true,
        }
    };
    htmx::html(&dialog)
}

pub async fn confirm_resend(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    confirm_pending(&req, &state, &user, id.into_inner(), true).await
}

pub async fn confirm_revoke(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    confirm_pending(&req, &state, &user, id.into_inner(), false).await
}

/// After a change to a row: htmx gets a toast and a table refresh, a plain form the list again.
pub fn changed(req: &HttpRequest, message: &str) -> HttpResponse {
    if htmx::is_htmx(req) {
        let trigger = serde_json::json!({
            "toast": { "kind": "success", "message": message },
            "usersChanged": true,
            "closeModal": true,
        });
        HttpResponse::Ok()
            .insert_header(("HX-Trigger", trigger.to_string()))
            .insert_header(("HX-Reswap", "none"))
            .finish()
    } else {
        HttpResponse::SeeOther()
            .insert_header(("Location", "/users?active=0"))
            .finish()
    }
}

fn inviter_of(user: &CurrentUser) -> Inviter {
    Inviter {
        id: user.id,
        org_id: user.org_id,
        email: user.email.clone(),
        name: user.display_name(),
        permissions: user.permissions,
    }
}

pub async fn resend(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::UsersInvite)?;
    let (inviter, user_id) = (inviter_of(&user), id.into_inner());
    let meta = RequestMeta::of(&req, &state.config.trusted_proxies);
    let (base_url, now) = (state.base_url.clone(), state.clock.now());
    state
        .db(move |conn| {
            service::resend(conn, &inviter, user_id, &base_url, &meta, now).map_err(pending_error)
        })
        .await?;
    state.mail_wakeup.notify_one();
    Ok(changed(&req, "Invite has been sent"))
}

pub async fn revoke(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::UsersInvite)?;
    let (inviter, user_id) = (inviter_of(&user), id.into_inner());
    let meta = RequestMeta::of(&req, &state.config.trusted_proxies);
    let now = state.clock.now();
    state
        .db(move |conn| service::revoke(conn, &inviter, user_id, &meta, now).map_err(pending_error))
        .await?;
    Ok(changed(
        &req,
        "The invitation was revoked and its licenses freed.",
    ))
}
