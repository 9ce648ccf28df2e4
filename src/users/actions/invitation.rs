//! Resend invite, Revoke invite and Confirm user on a pending row: a confirmation, then the
//! invitations service (which checks the inviter may act on the invitee).

use actix_web::{web, HttpRequest, HttpResponse};

use crate::auth::permissions::Permission;
use crate::invites::routes::inviter_of;
use crate::invites::service;
use crate::web::confirm::ConfirmDialog;
use crate::web::request_meta::origin_of;
use crate::web::{htmx, AppError, CurrentUser, State};

fn pending_error(error: service::PendingError) -> AppError {
    match error {
        service::PendingError::NotFound => AppError::NotFound,
        service::PendingError::NotPending => AppError::Conflict(error.to_string()),
        service::PendingError::Database(e) => e.into(),
        service::PendingError::Refused(refusal) => refusal.into(),
    }
}

async fn confirm_pending(
    req: &HttpRequest,
    state: &State,
    user: &CurrentUser,
    user_id: i64,
    act: Pending,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::UsersInvite)?;
    if matches!(act, Pending::Confirm) {
        user.require(Permission::UsersEdit)?;
    }
    htmx::Fragment::of(req)?;
    let inviter = inviter_of(user);
    let (name, email) = state
        .db(move |conn| service::pending_name(conn, &inviter, user_id).map_err(pending_error))
        .await?;
    let dialog = match act {
        Pending::Resend => ConfirmDialog {
            action_url: format!("/users/{user_id}/resend"),
            title: "Resend invite?".into(),
            message: format!("{name} ({email}) gets a new invitation email. The link in the earlier email stops working."),
            button: "Resend invite",
            danger: false,
            alternative: None,
        },
        Pending::Confirm => ConfirmDialog {
            action_url: format!("/users/{user_id}/confirm"),
            title: "Confirm user?".into(),
            message: format!("{name}'s account is confirmed now, without waiting for them to open their link: the link stops working, and {email} gets a new email with a link to choose a password. Confirm only an address you know is theirs."),
            button: "Confirm user",
            danger: false,
            alternative: None,
        },
        Pending::Revoke => ConfirmDialog {
            action_url: format!("/users/{user_id}/revoke"),
            title: "Revoke invite?".into(),
            message: format!("{name} ({email}) will no longer be able to join with their link, and the licenses reserved for them are freed. You can invite them again later."),
            button: "Revoke invite",
            danger: true,
            alternative: None,
        },
    };
    htmx::html(&dialog)
}

/// What a pending row's confirmation asks about.
enum Pending {
    Resend,
    Revoke,
    Confirm,
}

pub async fn confirm_resend(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    confirm_pending(&req, &state, &user, id.into_inner(), Pending::Resend).await
}

pub async fn confirm_revoke(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    confirm_pending(&req, &state, &user, id.into_inner(), Pending::Revoke).await
}

pub async fn resend(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::UsersInvite)?;
    let (inviter, user_id) = (inviter_of(&user), id.into_inner());
    let meta = origin_of(&req, &state.config.trusted_proxies);
    let (base_url, now) = (state.base_url.clone(), state.clock.now());
    state
        .db(move |conn| {
            service::resend(conn, &inviter, user_id, &base_url, &meta, now).map_err(pending_error)
        })
        .await?;
    Ok(htmx::changed(&req, "Invite has been sent"))
}

pub async fn revoke(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::UsersInvite)?;
    let (inviter, user_id) = (inviter_of(&user), id.into_inner());
    let meta = origin_of(&req, &state.config.trusted_proxies);
    let now = state.clock.now();
    state
        .db(move |conn| service::revoke(conn, &inviter, user_id, &meta, now).map_err(pending_error))
        .await?;
    Ok(htmx::changed(
        &req,
        "The invitation was revoked and its licenses freed.",
    ))
}

pub async fn confirm_confirm(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    confirm_pending(&req, &state, &user, id.into_inner(), Pending::Confirm).await
}

/// Confirm user: active now; a link to choose a password goes to them.
pub async fn confirm(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    // Confirming changes the person's status (invited → active): managing users as well.
    user.require(Permission::UsersInvite)?;
    user.require(Permission::UsersEdit)?;
    let (inviter, user_id) = (inviter_of(&user), id.into_inner());
    let meta = origin_of(&req, &state.config.trusted_proxies);
    let (base_url, now) = (state.base_url.clone(), state.clock.now());
    let email = state
        .db(move |conn| {
            service::confirm(conn, &inviter, user_id, &base_url, &meta, now).map_err(pending_error)
        })
        .await?;
    Ok(htmx::changed(
        &req,
        &format!("User confirmed. {email} gets a link to choose a password."),
    ))
}
