//! `DELETE /api/v1/users/{id}`: Delete with its reassignment (`?reassign_to=EMAIL`, else the
//! records are left unassigned), through the console's own use case.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::api::caller::Caller;
use crate::api::problem::Problem;
use crate::api::tokens::Scope;
use crate::auth::permissions::Permission;
use crate::users::actions::lifecycle::service::{self as lifecycle, LifecycleError, Reassign};
use crate::web::State;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v1/users/{id}", web::delete().to(delete));
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct DeleteQuery {
    /// The active user (by email) who receives the deleted user's records; absent, they are
    /// left unassigned.
    pub reassign_to: Option<String>,
}

/// What a delete did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeletedUser {
    pub id: i64,
    pub email: String,
    /// Records handed to `reassign_to`.
    pub records_moved: usize,
    /// Records left unassigned (none named, or a workspace the receiver is not in).
    pub records_unassigned: usize,
}

fn lifecycle_problem(error: LifecycleError) -> Problem {
    match error {
        LifecycleError::NotFound => Problem::not_found(),
        LifecycleError::Database(e) => e.into(),
        LifecycleError::Refused(refusal) => {
            Problem::new(StatusCode::FORBIDDEN, refusal.to_string())
        }
        LifecycleError::Invalid(message) => {
            Problem::fields(&crate::validation::FieldErrors::one("reassign_to", message))
        }
    }
}

fn remove(
    conn: &mut crate::db::DbConn,
    editor: &crate::users::authority::Editor,
    (user_id, reassign_to): (i64, Option<&str>),
    (meta, now): (&crate::audit::Origin, chrono::NaiveDateTime),
) -> Result<lifecycle::Deleted, Problem> {
    super::reachable(conn, editor, user_id)?;
    let to = match reassign_to {
        Some(email) => lifecycle::reassign_target(conn, editor, email, &[user_id]),
        None => Ok(Reassign::Nobody),
    };
    to.and_then(|to| lifecycle::delete(conn, editor, user_id, to, meta, now))
        .map_err(lifecycle_problem)
}

#[utoipa::path(
    delete,
    path = "/api/v1/users/{id}",
    params(("id" = i64, Path, description = "The user's id"), DeleteQuery),
    responses(
        (status = 200, body = DeletedUser),
        (status = 403, body = crate::api::problem::ProblemBody),
        (status = 404, body = crate::api::problem::ProblemBody),
        (status = 422, body = crate::api::problem::ProblemBody),
    ),
    security(("bearer" = []))
)]
pub async fn delete(
    caller: Caller,
    state: State,
    id: web::Path<i64>,
    query: web::Query<DeleteQuery>,
) -> Result<HttpResponse, Problem> {
    caller.require(Scope::UsersWrite, Permission::UsersDelete)?;
    let (editor, user_id) = (caller.editor(), id.into_inner());
    let reassign_to = query
        .into_inner()
        .reassign_to
        .filter(|e| !e.trim().is_empty());
    let (meta, now) = (caller.origin.clone(), state.clock.now());
    let deleted = state
        .db(move |conn| {
            Ok(remove(
                conn,
                &editor,
                (user_id, reassign_to.as_deref()),
                (&meta, now),
            ))
        })
        .await??;
    Ok(HttpResponse::Ok().json(DeletedUser {
        id: user_id,
        email: deleted.email,
        records_moved: deleted.records.moved,
        records_unassigned: deleted.records.unassigned,
    }))
}
