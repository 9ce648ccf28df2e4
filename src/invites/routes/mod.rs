//! Invite dialog, grid rows, Send Invites, the auto-signup switch and the public invite link.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::forms::{parse_grid, RawRow, RowErrors};
use super::service::{self, Inviter, SendError};
use super::views::*;
use crate::auth::permissions::Permission;
use crate::licenses::store::Product;
use crate::web::errors::{triage, ServiceError};
use crate::web::htmx;
use crate::web::request_meta::origin_of;
use crate::web::{AppError, CurrentUser, State};

mod accept;
mod auto_signup;

use accept::{accept, accept_form};
use auto_signup::{confirm_auto_signup, set_auto_signup};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/users/invite", web::get().to(dialog))
        .route("/users/invite", web::post().to(send))
        .route("/users/invite/row", web::get().to(extra_row))
        .route("/users/invite/copy", web::get().to(copy_roles))
        .route("/users/auto-signup", web::get().to(confirm_auto_signup))
        .route("/users/auto-signup", web::post().to(set_auto_signup))
        .route("/invite/{token}", web::get().to(accept_form))
        .route("/invite/{token}", web::post().to(accept));
}

/// What the grid may offer this inviter: the products, and only roles within their own rights.
async fn grid_context(
    state: &State,
    user: &CurrentUser,
) -> Result<(Vec<Product>, Vec<(i64, String)>, bool), AppError> {
    let (org_id, held) = (user.org_id, user.permissions);
    state
        .db(move |conn| {
            let products = crate::licenses::store::products(conn, org_id)?;
            let roles = crate::orgs::catalog::grantable_roles(conn, org_id, held)?;
            let auto = crate::orgs::store::allow_auto_signup(conn, org_id)?;
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
    let room = rows.len() < super::MAX_ROWS;
    let offered = seats_remain(&products, raw) && room;
    InviteDialog {
        add_row: AddRowButton {
            next_index,
            offered,
            room,
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
    htmx::Fragment::of(&req)?;
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
    htmx::Fragment::of(&req)?;
    let (products, roles, _) = grid_context(&state, &user).await?;
    let index = query.index.min(super::MAX_ROWS * 2 - 1);
    let raw = parse_grid(&pairs);
    let room = raw.len() + 1 < super::MAX_ROWS;
    let offered = seats_remain(&products, &raw) && room;
    htmx::html(&GridRowFragment {
        row: GridRow::blank(index),
        add_row: AddRowButton {
            next_index: index + 1,
            offered,
            room,
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
    htmx::Fragment::of(&req)?;
    let (_, roles, _) = grid_context(&state, &user).await?;
    let index = query.index.min(super::MAX_ROWS * 2 - 1);
    let raw = parse_grid(&pairs).into_iter().next().unwrap_or_default();
    let mut row = GridRow::from_raw(index, raw, Default::default());
    let email = crate::users::normalize_email(&row.copy_from);
    if !email.is_empty() {
        let (org_id, held) = (user.org_id, user.permissions);
        let lookup = email.clone();
        // A scoped administrator sends no invitations, and names nobody outside their scope.
        let scoped = user.scope.is_some();
        let source = state
            .db(move |conn| {
                if scoped {
                    return Ok(None);
                }
                Ok(service::access_to_copy(conn, org_id, held, &lookup)?)
            })
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
    let (products, roles, _) = grid_context(&state, &user).await?;
    let raw = parse_grid(&form);
    let inviter = inviter_of(&user);
    let meta = origin_of(&req, &state.config.trusted_proxies);
    let (base_url, now, rows) = (state.base_url.clone(), state.clock.now(), raw.clone());
    let outcome = state
        .db(move |conn| {
            triage(service::invite_rows(
                conn, &inviter, &rows, &base_url, &meta, now,
            ))
        })
        .await?;
    let errors = match outcome {
        Ok(sent) => {
            log::info!("{} sent {sent} invitation(s)", user.email);
            // No swap: the dialog closes and the table reloads.
            return htmx::Hx::new()
                .toast(htmx::ToastKind::Success, "Invite has been sent")
                .users_changed()
                .close_dialog()
                .reswap("none")
                .empty();
        }
        Err(SendError::Invalid(row_errors)) => row_errors,
        Err(other) => return Err(AppError::Conflict(other.to_string())),
    };
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

pub fn inviter_of(user: &CurrentUser) -> Inviter {
    Inviter {
        id: user.id,
        org_id: user.org_id,
        email: user.email.clone(),
        name: user.display_name(),
        permissions: user.permissions,
        owner: user.is_owner(),
        scope: user.scope.clone(),
    }
}

impl ServiceError for SendError {
    fn sort(self) -> Result<Self, AppError> {
        match self {
            SendError::Database(e) => Err(e.into()),
            SendError::Refused(message) => Err(AppError::Conflict(message)),
            shown => Ok(shown),
        }
    }
}
