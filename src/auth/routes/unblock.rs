//! Unblocking: the emailed link, and **Unblock user** by an administrator; plus the shared
//! confirmation of per-user admin actions.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use crate::auth::permissions::Permission;
use crate::auth::{service, store};
use crate::web::request_meta::RequestMeta;
use crate::web::{csrf, htmx, AppError, CurrentUser, State};

/// The emailed link shows a button: a GET never changes anything (mail scanners open links).
pub async fn unblock_form(
    req: HttpRequest,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    htmx::html(&crate::auth::views::UnblockPage {
        csrf: csrf::token(&req),
        token: token.into_inner(),
        done: None,
    })
}

pub async fn unblock_by_link(
    req: HttpRequest,
    state: State,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (secret, now) = (token.into_inner(), state.clock.now());
    let meta = RequestMeta::of(&req, &state.config.trusted_proxies);
    let done = state
        .db(move |conn| Ok(service::unblock_by_link(conn, &secret, &meta, now)?))
        .await?;
    let page = crate::auth::views::UnblockPage {
        csrf: csrf::token(&req),
        token: String::new(),
        done: Some(done),
    };
    htmx::html_with_status(
        &page,
        if done {
            StatusCode::OK
        } else {
            StatusCode::GONE
        },
    )
}

/// A confirmation dialog about one user of the manager's organization (404 for any other).
pub async fn confirm_about_user(
    req: &HttpRequest,
    state: &State,
    user: &CurrentUser,
    user_id: i64,
    dialog: impl FnOnce(store::SessionUserRow) -> crate::invites::views::ConfirmPending,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::UsersManage)?;
    if !htmx::is_htmx(req) {
        return Ok(HttpResponse::SeeOther()
            .insert_header(("Location", "/users"))
            .finish());
    }
    let org_id = user.org_id;
    let target = state
        .db(move |conn| Ok(store::session_user(conn, user_id)?.filter(|u| u.org_id == org_id)))
        .await?
        .ok_or(AppError::NotFound)?;
    htmx::html(&dialog(target))
}

pub async fn confirm_unblock_user(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let user_id = id.into_inner();
    confirm_about_user(&req, &state, &user, user_id, |target| {
        crate::invites::views::ConfirmPending {
            user_id,
            action: "unblock",
            title: "Unblock user?".into(),
            message: format!(
                "{} {} ({}) can sign in again, and their failed sign-in count starts from zero.",
                target.first_name, target.last_name, target.email
            ),
            button: "Unblock user",
            danger: false,
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
    user.require(Permission::UsersManage)?;
    let user_id = id.into_inner();
    if user_id == user.id {
        return Err(AppError::Forbidden);
    }
    let (actor, org_id, now) = (user.actor(), user.org_id, state.clock.now());
    let meta = RequestMeta::of(&req, &state.config.trusted_proxies);
    let done = state
        .db(move |conn| {
            Ok(service::unblock(
                conn,
                Some(org_id),
                user_id,
                service::Unblocker::Actor(&actor),
                &meta,
                now,
            )?)
        })
        .await?;
    if !done {
        return Err(AppError::NotFound);
    }
    Ok(crate::invites::routes::changed(
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
    confirm_about_user(&req, &state, &user, user_id, |target| crate::invites::views::ConfirmPending {
        user_id,
        action: "reset-password",
        title: "Reset password?".into(),
        message: format!(
            "{} {} gets an email at {} with a link to choose a new password (valid for one hour). Their current password keeps working until they use it.",
            target.first_name, target.last_name, target.email
        ),
        button: "Reset Password",
        danger: false,
    })
    .await
}

pub async fn reset_password(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::UsersManage)?;
    let user_id = id.into_inner();
    let (actor, org_id, now, base_url) = (
        user.actor(),
        user.org_id,
        state.clock.now(),
        state.base_url.clone(),
    );
    let meta = RequestMeta::of(&req, &state.config.trusted_proxies);
    let sent = state
        .db(move |conn| {
            Ok(crate::auth::reset::send_for_user(
                conn, &actor, org_id, user_id, &base_url, &meta, now,
            )?)
        })
        .await?;
    if !sent {
        return Err(AppError::NotFound);
    }
    state.mail_wakeup.notify_one();
    Ok(crate::invites::routes::changed(
        &req,
        "A password reset link was emailed to the user.",
    ))
}
