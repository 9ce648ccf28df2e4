//! `GET /sso/callback`: the provider's answer checked, then what its purpose asks — a
//! session, a link, an accepted invitation, Test sign-in's claims — or a refusal, audited.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::refusals::{failed, standing_refusal};
use super::{SSO_PROVIDER, SSO_STATE};
use crate::auth::service::{Credential, SignIn};
use crate::auth::session_store::{PendingSecondStep, Proof};
use crate::auth::tokens;
use crate::sso::oidc::Claims;
use crate::sso::service::{self, Refusal, Resolved};
use crate::sso::store::{self, Provider};
use crate::sso::Purpose;
use crate::web::request_meta::origin_of;
use crate::web::{htmx, AppError, State};

#[derive(Deserialize)]
pub struct CallbackQuery {
    #[serde(default)]
    code: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    error_description: Option<String>,
    /// RFC 9207: the issuer of the answer, when the provider says it.
    #[serde(default)]
    iss: Option<String>,
}

/// Whether the answer names an issuer other than the provider's (a mix-up: another
/// provider's answer replayed at this one).
fn other_issuer(query: &CallbackQuery, provider: &Provider) -> bool {
    query
        .iss
        .as_deref()
        .is_some_and(|iss| iss.trim_end_matches('/') != provider.issuer.trim_end_matches('/'))
}

/// Whether the sign-in was started by the person signed in to this session (Link, Test).
fn started_here(session: &Session, request: &store::Request) -> bool {
    let signed_in = crate::web::current_user::session_user_id(session);
    signed_in.is_some() && signed_in == request.user_id
}

/// The sign-in page with a refusal.
fn refused(req: &HttpRequest, message: &str) -> Result<HttpResponse, AppError> {
    htmx::html_with_status(
        &crate::auth::views::LoginPage::refused(req, message),
        StatusCode::FORBIDDEN,
    )
}

/// Audits a refusal in the provider's organization and shows it.
async fn refuse(
    req: &HttpRequest,
    state: &State,
    provider: &Provider,
    (email, refusal): (Option<String>, Refusal),
) -> Result<HttpResponse, AppError> {
    let meta = origin_of(req, &state.config.trusted_proxies);
    let (provider_row, now, reason) = (provider.clone(), state.clock.now(), refusal.reason);
    state
        .db(move |conn| {
            Ok(service::record_refusal(
                conn,
                &provider_row,
                (email.as_deref(), reason),
                (&meta, now),
            )?)
        })
        .await?;
    refused(req, &refusal.message)
}

/// `GET /sso/callback`: the provider's answer.
pub async fn callback(
    req: HttpRequest,
    state: State,
    session: Session,
    query: web::Query<CallbackQuery>,
) -> Result<HttpResponse, AppError> {
    let expected: Option<String> = session.get(SSO_STATE).ok().flatten();
    session.remove(SSO_STATE);
    let (hash, now) = (tokens::hash_token(&query.state), state.clock.now());
    let meta = origin_of(&req, &state.config.trusted_proxies);
    let taken = state
        .db(move |conn| {
            let (request, fresh) = match store::take_request(conn, &hash, now)? {
                store::Taken::Fresh(request) => (request, true),
                store::Taken::Spent(request) => (request, false),
                store::Taken::Unknown => {
                    // Nothing to attribute it to: written without an organization.
                    service::record_unknown_state(conn, (&meta, now))?;
                    return Ok(None);
                }
            };
            Ok(store::provider_by_id(conn, request.provider_id)?.map(|p| (request, p, fresh)))
        })
        .await?;
    let expired = "This sign-in expired or was already used. Sign in again.";
    let Some((request, provider, fresh)) = taken else {
        return refused(&req, expired);
    };
    let refuse_with = |reason: &'static str, message: String| Refusal { reason, message };
    if !fresh {
        // The same answer twice (a replayed code), or too late.
        let refusal = refuse_with("replayed_or_expired", expired.into());
        return refuse(&req, &state, &provider, (None, refusal)).await;
    }
    if expected.as_deref() != Some(query.state.as_str()) {
        let refusal = refuse_with(
            "state",
            "This sign-in was started in another browser or window. Sign in again.".into(),
        );
        return refuse(&req, &state, &provider, (None, refusal)).await;
    }
    if other_issuer(&query, &provider) {
        let refusal = refuse_with(
            "issuer_mismatch",
            format!(
                "This answer did not come from {}. Sign in again.",
                provider.name
            ),
        );
        return refuse(&req, &state, &provider, (None, refusal)).await;
    }
    if let Some(error) = &query.error {
        let detail = query.error_description.clone().unwrap_or_default();
        let refusal = refuse_with(
            "provider_error",
            format!(
                "{} did not sign you in ({error}{}{detail}).",
                provider.name,
                if detail.is_empty() { "" } else { ": " }
            ),
        );
        return refuse(&req, &state, &provider, (None, refusal)).await;
    }
    let redirect = crate::sso::redirect_url(&state.base_url);
    let secrets = (request.pkce_verifier.as_str(), request.nonce.as_str());
    let claims = match state
        .oidc
        .finish(&provider, &redirect, &query.code, secrets)
        .await
    {
        Ok(claims) => claims,
        Err(failure) => {
            let refusal = failed(failure, &provider);
            return refuse(&req, &state, &provider, (None, refusal)).await;
        }
    };
    match Purpose::parse(&request.purpose) {
        Some(Purpose::Test) => tested(&req, &state, &session, &provider, (&request, claims)).await,
        Some(Purpose::Link) => linked(&req, &state, &session, &provider, (&request, claims)).await,
        Some(Purpose::Invite) => {
            accepted(&req, &state, &session, &provider, (&request, claims)).await
        }
        _ => signed_in(&req, &state, &session, &provider, (&request, claims)).await,
    }
}

/// Test sign-in: the claims received, to the administrator who asked (nobody is signed in).
async fn tested(
    req: &HttpRequest,
    state: &State,
    session: &Session,
    provider: &Provider,
    (request, claims): (&store::Request, Claims),
) -> Result<HttpResponse, AppError> {
    if !started_here(session, request) {
        let refusal = Refusal {
            reason: "test_by_another",
            message: "Test sign-in shows its result only to the administrator who started it."
                .into(),
        };
        return refuse(req, state, provider, (None, refusal)).await;
    }
    let meta = origin_of(req, &state.config.trusted_proxies);
    let (provider_row, now, all) = (provider.clone(), state.clock.now(), claims.all.clone());
    let user_id = request.user_id.unwrap_or_default();
    state
        .db(move |conn| {
            Ok(service::record_test(
                conn,
                &provider_row,
                user_id,
                &all,
                (&meta, now),
            )?)
        })
        .await?;
    crate::sso::routes::test_result(req, state, provider, &claims).await
}

async fn linked(
    req: &HttpRequest,
    state: &State,
    session: &Session,
    provider: &Provider,
    (request, claims): (&store::Request, Claims),
) -> Result<HttpResponse, AppError> {
    if !started_here(session, request) {
        let refusal = Refusal {
            reason: "link_by_another",
            message: "Sign in first, then link your account from My account.".into(),
        };
        return refuse(req, state, provider, (None, refusal)).await;
    }
    let user_id = request.user_id.unwrap_or_default();
    let meta = origin_of(req, &state.config.trusted_proxies);
    let (provider_row, now) = (provider.clone(), state.clock.now());
    let outcome = state
        .db(move |conn| {
            Ok(service::link_signed_in(
                conn,
                &provider_row,
                (user_id, &claims),
                (&meta, now),
            )?)
        })
        .await?;
    let notice = match outcome {
        Ok(()) => "linked",
        Err(refusal) => {
            let email = None;
            return refuse(req, state, provider, (email, refusal)).await;
        }
    };
    Ok(HttpResponse::SeeOther()
        .insert_header(("Location", format!("/account?sso={notice}")))
        .finish())
}

async fn accepted(
    req: &HttpRequest,
    state: &State,
    session: &Session,
    provider: &Provider,
    (request, claims): (&store::Request, Claims),
) -> Result<HttpResponse, AppError> {
    let secret = request.invite.clone().unwrap_or_default();
    let meta = origin_of(req, &state.config.trusted_proxies);
    let (provider_row, now, email) = (provider.clone(), state.clock.now(), claims.email.clone());
    let outcome = state
        .db(move |conn| {
            Ok(service::accept_invite(
                conn,
                &provider_row,
                (&secret, &claims),
                (&meta, now),
            )?)
        })
        .await?;
    match outcome {
        Ok(user_id) => {
            let product_only = state
                .db(move |conn| {
                    Ok(crate::users::product_access::is_product_only(
                        conn, user_id,
                    )?)
                })
                .await?;
            if product_only {
                // The account is ready for the products; the console stays closed to it.
                return Ok(HttpResponse::SeeOther()
                    .insert_header(("Location", "/login?notice=product-only"))
                    .finish());
            }
            crate::auth::routes::sign_in_session(req, session, user_id, Proof::TwoFactor)?;
            remember_provider(session, provider.id)?;
            Ok(HttpResponse::SeeOther()
                .insert_header(("Location", "/"))
                .finish())
        }
        Err(refusal) => refuse(req, state, provider, (email, refusal)).await,
    }
}

fn remember_provider(session: &Session, provider_id: i64) -> Result<(), AppError> {
    session
        .insert(SSO_PROVIDER, provider_id)
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("session: {e}")))
}

async fn signed_in(
    req: &HttpRequest,
    state: &State,
    session: &Session,
    provider: &Provider,
    (request, claims): (&store::Request, Claims),
) -> Result<HttpResponse, AppError> {
    let meta = origin_of(req, &state.config.trusted_proxies);
    let (provider_row, now, email) = (provider.clone(), state.clock.now(), claims.email.clone());
    let mfa = provider.trust_mfa && crate::sso::amr_has_mfa(&claims.amr);
    let resolved = state
        .db(move |conn| {
            Ok(service::resolve(
                conn,
                &provider_row,
                &claims,
                (&meta, now),
            )?)
        })
        .await?;
    let user = match resolved {
        Resolved::User(user) => user,
        Resolved::Refused(refusal) => return refuse(req, state, provider, (email, refusal)).await,
    };
    let plain = standing_refusal(&user);
    let meta = origin_of(req, &state.config.trusted_proxies);
    let (base_url, name) = (state.base_url.clone(), provider.name.clone());
    let user_email = user.email.clone();
    let outcome = state
        .db(move |conn| {
            let credential = Credential::Provider { name: &name, mfa };
            Ok(crate::auth::service::finish_sign_in(
                conn,
                Some(&user),
                &user_email,
                credential,
                &base_url,
                &meta,
                now,
            )?)
        })
        .await?;
    state.metrics.sign_in(outcome.label());
    let next = request.next.clone();
    match outcome {
        SignIn::Complete(user_id) => {
            let proof = if mfa { Proof::TwoFactor } else { Proof::Password };
            crate::auth::routes::sign_in_session(req, session, user_id, proof)?;
            remember_provider(session, provider.id)?;
            let next = crate::auth::routes::landing(state, user_id, next).await?;
            Ok(HttpResponse::SeeOther()
                .insert_header(("Location", next))
                .finish())
        }
        SignIn::SecondStep { user_id, method } => {
            let pending = PendingSecondStep {
                user_id,
                method: method.as_str().to_owned(),
                next,
                since: now.and_utc().timestamp(),
                email_hint: crate::mfa::views::mask_email(email.as_deref().unwrap_or("")),
            };
            crate::auth::routes::await_second_step(session, &pending)
        }
        SignIn::NotFromHere => refused(req, "Your account cannot sign in from this network. Ask an administrator of your organization to add it to your login IP allowlist."),
        SignIn::ProductOnly => refused(req, crate::users::product_access::REFUSED),
        SignIn::BlockedForInactivity { days } => refused(
            req,
            &format!(
                "Your account is blocked because nobody signed in to it for {days} days. {}",
                crate::auth::inactivity::BLOCKED_WHAT_NEXT
            ),
        ),
        SignIn::Refused | SignIn::SsoRequired => refused(
            req,
            &plain.map_or_else(
                || "You could not be signed in. Ask an administrator of your organization.".to_owned(),
                |r| r.message,
            ),
        ),
    }
}
