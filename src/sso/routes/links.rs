//! Test sign-in's result, and removing a link to a provider: one's own (My account), or
//! another person's with the authority that resets their password (Edit User).

use actix_web::{web, HttpRequest, HttpResponse};

use super::saved;
use crate::sso::oidc::Claims;
use crate::sso::service;
use crate::sso::store::{self, Provider};
use crate::sso::views::TestResultPage;
use crate::users::authority::{self, Act};
use crate::web::errors::triage;
use crate::web::request_meta::origin_of;
use crate::web::shell::Shell;
use crate::web::{htmx, AppError, CurrentUser, State};

/// Test sign-in's result: the claims the provider sent.
pub async fn test_result(
    req: &HttpRequest,
    state: &State,
    provider: &Provider,
    claims: &Claims,
) -> Result<HttpResponse, AppError> {
    use actix_web::FromRequest;
    let _ = state;
    let user = CurrentUser::extract(req).await?;
    htmx::html(&TestResultPage {
        shell: Shell::new(req, &user, TestResultPage::nav()),
        name: provider.name.clone(),
        subject: claims.subject.clone(),
        email: claims.email.clone().unwrap_or_else(|| "(none)".into()),
        email_verified: claims.email_verified,
        amr: claims.amr.join(", "),
        claims: serde_json::to_string_pretty(&claims.all).unwrap_or_default(),
    })
}

async fn unlink(
    req: &HttpRequest,
    state: &State,
    user: &CurrentUser,
    (user_id, link_id): (i64, i64),
) -> Result<store::Identity, AppError> {
    let meta = origin_of(req, &state.config.trusted_proxies);
    let (actor, org_id, now) = (user.actor(), user.org_id, state.clock.now());
    let editor = crate::users::actions::lifecycle::routes::editor_of(user);
    state
        .db(move |conn| {
            if user_id != editor.id {
                // Another person's way in: the same authority as resetting their password.
                match authority::ensure(conn, &editor, user_id, Act::ResetCredentials) {
                    Ok(_) => {}
                    Err(authority::Denied::Database(e)) => return Err(e.into()),
                    Err(authority::Denied::NotFound) => return Err(AppError::NotFound),
                    Err(authority::Denied::Refused(r)) => {
                        let why = r.to_string();
                        let attempt = ("unlink a sign-in provider", why.as_str());
                        authority::record_refusal(conn, &editor, user_id, attempt, (&meta, now))?;
                        return Err(AppError::Denied(why));
                    }
                }
            }
            triage(service::unlink(
                conn,
                (&actor, org_id),
                (user_id, link_id),
                (&meta, now),
            ))?
            .map_err(|e| AppError::BadRequest(e.to_string()))
        })
        .await
}

pub async fn unlink_own(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    link: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    unlink(&req, &state, &user, (user.id, link.into_inner())).await?;
    Ok(saved("/account?sso=unlinked"))
}

pub async fn unlink_user(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let (user_id, link) = path.into_inner();
    let identity = unlink(&req, &state, &user, (user_id, link)).await?;
    let message = format!("Unlinked from {}.", identity.provider_name);
    if htmx::is_htmx(&req) {
        htmx::Hx::new()
            .toast(htmx::ToastKind::Success, &message)
            .empty()
    } else {
        Ok(saved(&format!("/users/{user_id}/edit")))
    }
}
