//! The row actions on a user, in one room: Edit, Edit permissions, Activate / Deactivate /
//! Delete, Unblock user, Reset Password, Reset MFA, Resend and Revoke invite. Each route here
//! calls its feature's service, which applies `users::authority` (who may act on whom).

pub mod create;
pub mod credentials;
pub mod edit;
pub mod invitation;
pub mod lifecycle;
pub mod permissions;

use actix_web::{web, HttpRequest, HttpResponse};

use crate::auth::store;
use crate::users::actions::lifecycle::routes::editor_of;
use crate::users::authority::{self, Act};
use crate::web::confirm::ConfirmDialog;
use crate::web::{htmx, AppError, CurrentUser, State};

/// Every `/users/{id}/…` route of the row actions.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(create::routes::configure)
        .configure(edit::routes::configure)
        .configure(permissions::routes::configure)
        .configure(lifecycle::routes::configure)
        .route(
            "/users/{id}/unblock",
            web::get().to(credentials::confirm_unblock_user),
        )
        .route(
            "/users/{id}/unblock",
            web::post().to(credentials::unblock_user),
        )
        .route(
            "/users/{id}/reset-password",
            web::get().to(credentials::confirm_reset_password),
        )
        .route(
            "/users/{id}/reset-password",
            web::post().to(credentials::reset_password),
        )
        .route(
            "/users/{id}/temporary-password",
            web::post().to(credentials::set_temporary_password),
        )
        .route(
            "/users/{id}/reset-mfa",
            web::get().to(credentials::confirm_reset_mfa),
        )
        .route(
            "/users/{id}/reset-mfa",
            web::post().to(credentials::reset_mfa),
        )
        .route(
            "/users/{id}/resend",
            web::get().to(invitation::confirm_resend),
        )
        .route("/users/{id}/resend", web::post().to(invitation::resend))
        .route(
            "/users/{id}/revoke",
            web::get().to(invitation::confirm_revoke),
        )
        .route("/users/{id}/revoke", web::post().to(invitation::revoke))
        .route(
            "/users/{id}/confirm",
            web::get().to(invitation::confirm_confirm),
        )
        .route("/users/{id}/confirm", web::post().to(invitation::confirm));
}

/// A confirmation dialog about one user of the manager's organization (404 for any other).
pub async fn confirm_about_user(
    req: &HttpRequest,
    state: &State,
    user: &CurrentUser,
    user_id: i64,
    act: Act,
    dialog: impl FnOnce(store::SessionUserRow) -> ConfirmDialog,
) -> Result<HttpResponse, AppError> {
    user.require(act.needs())?;
    htmx::Fragment::of(req)?;
    let (org_id, editor) = (user.org_id, editor_of(user));
    let target = state
        .db(move |conn| {
            authority::ensure(conn, &editor, user_id, act)?;
            Ok(store::session_user(conn, user_id)?.filter(|u| u.org_id == org_id))
        })
        .await?
        .ok_or(AppError::NotFound)?;
    htmx::html(&dialog(target))
}
