//! `POST /api/v1/users/{id}/deactivate` and `…/activate`: the console's Deactivate and
//! Activate (licenses released, sessions ended), answered with the user as they are now.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

use super::{detail, with_etag};
use crate::api::caller::Caller;
use crate::api::problem::Problem;
use crate::api::tokens::Scope;
use crate::auth::permissions::Permission;
use crate::web::State;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v1/users/{id}/deactivate", web::post().to(deactivate))
        .route("/api/v1/users/{id}/activate", web::post().to(activate));
}

async fn set_active(
    caller: Caller,
    state: State,
    user_id: i64,
    active: bool,
) -> Result<HttpResponse, Problem> {
    use crate::users::actions::lifecycle::service::{self as lifecycle, LifecycleError};
    caller.require(Scope::UsersWrite, Permission::UsersStatus)?;
    let editor = caller.editor();
    let meta = caller.origin.clone();
    let now = state.clock.now();
    let outcome = state
        .db(move |conn| {
            let done = lifecycle::set_active(conn, &editor, user_id, active, &meta, now);
            Ok(match done {
                Ok(_) => detail(conn, &editor, user_id),
                Err(LifecycleError::NotFound) => Err(Problem::not_found()),
                Err(LifecycleError::Database(e)) => Err(e.into()),
                Err(other) => Err(Problem::new(
                    StatusCode::CONFLICT,
                    format!("{other} Nothing was changed."),
                )),
            })
        })
        .await??;
    Ok(with_etag(&outcome))
}

#[utoipa::path(
    post,
    path = "/api/v1/users/{id}/deactivate",
    params(("id" = i64, Path, description = "The user's id")),
    responses(
        (status = 200, body = super::UserDetail, description = "Deactivated: licenses released, sessions ended"),
        (status = 403, body = crate::api::problem::ProblemBody),
        (status = 404, body = crate::api::problem::ProblemBody),
        (status = 409, body = crate::api::problem::ProblemBody),
    ),
    security(("bearer" = []))
)]
pub async fn deactivate(
    caller: Caller,
    state: State,
    id: web::Path<i64>,
) -> Result<HttpResponse, Problem> {
    set_active(caller, state, id.into_inner(), false).await
}

#[utoipa::path(
    post,
    path = "/api/v1/users/{id}/activate",
    params(("id" = i64, Path, description = "The user's id")),
    responses(
        (status = 200, body = super::UserDetail),
        (status = 403, body = crate::api::problem::ProblemBody),
        (status = 404, body = crate::api::problem::ProblemBody),
        (status = 409, body = crate::api::problem::ProblemBody),
    ),
    security(("bearer" = []))
)]
pub async fn activate(
    caller: Caller,
    state: State,
    id: web::Path<i64>,
) -> Result<HttpResponse, Problem> {
    set_active(caller, state, id.into_inner(), true).await
}
