//! Unblock user, Reset Password and Reset MFA: each asks to confirm, then calls its feature's
//! service (`auth::service::unblock`, `auth::reset::send_for_user`, `mfa::service::reset`),
//! which applies the rules of who may act on whom.

use actix_web::{web, HttpRequest, HttpResponse};

use super::confirm_about_user;
use crate::auth::permissions::Permission;
use crate::auth::service;
use crate::users::actions::lifecycle::routes::editor_of;
use crate::users::authority::Act;
use crate::web::confirm::{Alternative, ConfirmDialog};
use crate::web::request_meta::origin_of;
use crate::web::{htmx, AppError, CurrentUser, State};

pub async fn confirm_unblock_user(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let user_id = id.into_inner();
    confirm_about_user(&req, &state, &user, user_id, Act::Unblock, |target| {
        ConfirmDialog {
            action_url: format!("/users/{user_id}/unblock"),
            title: "Unblock user?".into(),
            message: format!(
                "{} {} ({}) can sign in again, and their failed sign-in count starts from zero.",
                target.first_name, target.last_name, target.email
            ),
            button: "Unblock user",
            danger: false,
            alternative: None,
        }
    })
    .await
}

pub async fn unblock_user(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::UsersStatus)?;
    let user_id = id.into_inner();
    let (editor, now) = (editor_of(&user), state.clock.now());
    let meta = origin_of(&req, &state.config.trusted_proxies);
    let done = state
        .db(move |conn| {
            Ok(service::unblock(
                conn,
                Some(editor.org_id),
                user_id,
                service::Unblocker::Admin(&editor),
                &meta,
                now,
            )?)
        })
        .await?;
    if !done {
        return Err(AppError::NotFound);
    }
    Ok(htmx::changed(
        &req,
        "The user is unblocked and can sign in again.",
    ))
}

pub async fn confirm_reset_password(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let user_id = id.into_inner();
    confirm_about_user(&req, &state, &user, user_id, Act::ResetCredentials, |target| ConfirmDialog {
        action_url: format!("/users/{user_id}/reset-password"),
        title: "Reset password?".into(),
        message: format!(
            "{} {} gets an email at {} with a link to choose a new password (valid for one hour). Their current password keeps working until they use it.",
            target.first_name, target.last_name, target.email
        ),
        button: "Email a reset link",
        danger: false,
        alternative: Some(Alternative {
            action_url: format!("/users/{user_id}/temporary-password"),
            heading: "Or set a temporary password",
            message: format!(
                "You see it once and give it to {} yourself. Their current password stops working and they are signed out everywhere; at their next sign-in they must choose their own.",
                target.first_name
            ),
            button: "Set a temporary password",
        }),
    })
    .await
}

pub async fn reset_password(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::UsersCredentials)?;
    let user_id = id.into_inner();
    let (editor, now, base_url) = (editor_of(&user), state.clock.now(), state.base_url.clone());
    let meta = origin_of(&req, &state.config.trusted_proxies);
    let sent = state
        .db(move |conn| {
            Ok(crate::auth::reset::send_for_user(
                conn, &editor, user_id, &base_url, &meta, now,
            )?)
        })
        .await?;
    if !sent {
        return Err(AppError::NotFound);
    }
    Ok(htmx::changed(
        &req,
        "A password reset link was emailed to the user.",
    ))
}

/// The temporary password, shown once in place of the Reset Password dialog.
#[derive(askama::Template)]
#[template(path = "users/_temporary_password.html")]
struct TemporaryPasswordShown {
    name: String,
    password: String,
}

pub async fn set_temporary_password(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::UsersCredentials)?;
    htmx::Fragment::of(&req)?;
    let user_id = id.into_inner();
    let (editor, now) = (editor_of(&user), state.clock.now());
    let meta = origin_of(&req, &state.config.trusted_proxies);
    let org_id = user.org_id;
    // Refused before anything is hashed, and checked again in the write.
    let check = editor.clone();
    let (target, min_length) = state
        .db(move |conn| {
            crate::users::authority::ensure(conn, &check, user_id, Act::ResetCredentials)?;
            let target = crate::auth::store::session_user(conn, user_id)?
                .filter(|u| u.org_id == org_id && u.status == crate::users::status::ACTIVE);
            let min_length = crate::settings::store::policy(conn, org_id)?.min_length();
            Ok((target, min_length))
        })
        .await?;
    let target = target.ok_or(AppError::NotFound)?;
    let password = crate::auth::temporary::generate(min_length);
    let hash = state.hasher.hash(password.clone()).await?;
    let set = state
        .db(move |conn| {
            Ok(crate::auth::temporary::set(
                conn, &editor, user_id, &hash, &meta, now,
            )?)
        })
        .await?;
    if !set {
        return Err(AppError::NotFound);
    }
    let shown = TemporaryPasswordShown {
        name: format!("{} {}", target.first_name, target.last_name),
        password,
    };
    let mut response = htmx::html(&shown)?;
    response.headers_mut().insert(
        actix_web::http::header::CACHE_CONTROL,
        actix_web::http::header::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

pub async fn confirm_reset_mfa(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let user_id = id.into_inner();
    confirm_about_user(&req, &state, &user, user_id, crate::users::authority::Act::ResetCredentials, |target| ConfirmDialog {
        action_url: format!("/users/{user_id}/reset-mfa"),
        title: "Reset MFA?".into(),
        message: format!(
            "{} {} ({}) loses their authenticator app and recovery codes and is signed out everywhere. At their next sign-in they set up two-step verification again (an emailed code meanwhile, where their role requires it).",
            target.first_name, target.last_name, target.email
        ),
        button: "Reset MFA",
        danger: true,
        alternative: None,
    })
    .await
}

pub async fn reset_mfa(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::UsersCredentials)?;
    let user_id = id.into_inner();
    let (editor, now) = (
        crate::users::actions::lifecycle::routes::editor_of(&user),
        state.clock.now(),
    );
    let meta = origin_of(&req, &state.config.trusted_proxies);
    state
        .db(move |conn| {
            Ok(crate::mfa::service::reset(
                conn, &editor, user_id, &meta, now,
            )?)
        })
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(htmx::changed(
        &req,
        "Two-step verification was reset. The user was signed out.",
    ))
}
