//! `POST /api/v1/invitations`: Send Invites for one person, through the grid's own use case
//! (every field checked, roles within the maker's access, seats taken, the email queued, all in
//! one transaction).

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::caller::Caller;
use super::problem::Problem;
use super::tokens::Scope;
use super::users::detail;
use crate::auth::permissions::Permission;
use crate::invites::forms::{RawRow, RowErrors};
use crate::invites::service::{self, Inviter, SendError};
use crate::validation::FieldErrors;
use crate::web::State;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v1/invitations", web::post().to(invite))
        .route("/api/v1/invitations/{id}/resend", web::post().to(resend))
        .route("/api/v1/invitations/{id}", web::delete().to(revoke));
}

/// Someone to invite: they get an email with a link to join.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Invitation {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    /// At least one, within the token maker's access.
    pub role_ids: Vec<i64>,
    /// At least one product; each takes a seat.
    pub product_ids: Vec<i64>,
}

/// A row's messages as field errors.
fn field_errors(row: RowErrors) -> FieldErrors {
    let mut errors = FieldErrors::default();
    for (field, message) in [
        ("first_name", row.first_name),
        ("last_name", row.last_name),
        ("email", row.email),
        ("role_ids", row.roles),
        ("product_ids", row.licenses),
    ] {
        if let Some(message) = message {
            errors.add(field, message);
        }
    }
    errors
}

#[utoipa::path(
    post,
    path = "/api/v1/invitations",
    request_body = Invitation,
    responses(
        (status = 201, body = super::users::UserDetail, description = "Invited: the person, pending"),
        (status = 403, body = super::problem::ProblemBody),
        (status = 409, body = super::problem::ProblemBody, description = "Sign-up is automatic: nobody is invited"),
        (status = 422, body = super::problem::ProblemBody),
    ),
    security(("bearer" = []))
)]
pub async fn invite(
    caller: Caller,
    state: State,
    body: web::Json<Invitation>,
) -> Result<HttpResponse, Problem> {
    caller.require(Scope::UsersWrite, Permission::UsersInvite)?;
    let body = body.into_inner();
    let row = RawRow {
        first_name: body.first_name,
        last_name: body.last_name,
        email: body.email,
        role_ids: body.role_ids,
        product_ids: body.product_ids,
        copy_from: String::new(),
    };
    let editor = caller.editor();
    let inviter = inviter_of(&caller);
    let (meta, now, base_url) = (
        caller.origin.clone(),
        state.clock.now(),
        state.base_url.clone(),
    );
    let invited = state
        .db(move |conn| {
            let email = crate::users::normalize_email(&row.email);
            Ok(
                match service::invite_rows(conn, &inviter, &[row], &base_url, &meta, now) {
                    Ok(_) => {
                        let id = crate::users::store::id_by_email(conn, editor.org_id, &email)?;
                        id.map_or_else(|| Err(Problem::not_found()), |id| detail(conn, &editor, id))
                    }
                    Err(SendError::Invalid(mut rows)) => {
                        Err(Problem::fields(&field_errors(rows.swap_remove(0))))
                    }
                    Err(SendError::Refused(message)) => {
                        Err(Problem::new(StatusCode::CONFLICT, message))
                    }
                    Err(SendError::Database(e)) => Err(e.into()),
                },
            )
        })
        .await??;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/users/{}", invited.summary.id),
        ))
        .json(invited))
}

/// The token as the one who invites (the email names it as the token).
fn inviter_of(caller: &Caller) -> Inviter {
    let editor = caller.editor();
    Inviter {
        id: editor.id,
        org_id: editor.org_id,
        email: editor.email,
        name: caller.actor_label(),
        permissions: editor.permissions,
        owner: editor.owner,
        scope: editor.scope,
    }
}

fn pending_problem(error: service::PendingError) -> Problem {
    match error {
        service::PendingError::NotFound => Problem::not_found(),
        service::PendingError::NotPending => Problem::new(StatusCode::CONFLICT, error.to_string()),
        service::PendingError::Refused(refusal) => {
            Problem::new(StatusCode::FORBIDDEN, refusal.to_string())
        }
        service::PendingError::Database(e) => e.into(),
    }
}

/// Resend invite: a new link by email (the old one stops working).
#[utoipa::path(
    post,
    path = "/api/v1/invitations/{id}/resend",
    params(("id" = i64, Path, description = "The invited user's id")),
    responses((status = 204), (status = 404, body = super::problem::ProblemBody), (status = 409, body = super::problem::ProblemBody)),
    security(("bearer" = []))
)]
pub async fn resend(
    caller: Caller,
    state: State,
    id: web::Path<i64>,
) -> Result<HttpResponse, Problem> {
    on_pending(caller, state, id.into_inner(), true).await
}

/// Resend or revoke, through the console's own use cases.
async fn on_pending(
    caller: Caller,
    state: State,
    user_id: i64,
    resend: bool,
) -> Result<HttpResponse, Problem> {
    caller.require(Scope::UsersWrite, Permission::UsersInvite)?;
    let inviter = inviter_of(&caller);
    let (meta, now, base_url) = (
        caller.origin.clone(),
        state.clock.now(),
        state.base_url.clone(),
    );
    state
        .db(move |conn| {
            let done = if resend {
                service::resend(conn, &inviter, user_id, &base_url, &meta, now)
            } else {
                service::revoke(conn, &inviter, user_id, &meta, now)
            };
            Ok(done.map_err(pending_problem))
        })
        .await??;
    Ok(HttpResponse::NoContent().finish())
}

/// Revoke invite: the link stops working, the person goes and their seats are freed.
#[utoipa::path(
    delete,
    path = "/api/v1/invitations/{id}",
    params(("id" = i64, Path, description = "The invited user's id")),
    responses((status = 204), (status = 404, body = super::problem::ProblemBody), (status = 409, body = super::problem::ProblemBody)),
    security(("bearer" = []))
)]
pub async fn revoke(
    caller: Caller,
    state: State,
    id: web::Path<i64>,
) -> Result<HttpResponse, Problem> {
    on_pending(caller, state, id.into_inner(), false).await
}
