//! `GET/POST /login`, `POST /logout`.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::forms::{safe_next, LoginForm};
use super::service::{self, SignIn};
use super::session_store::{PendingSecondStep, Proof, PENDING_SECOND_STEP, PROOF, USER_ID};
use super::store;
use crate::users::normalize_email;
use crate::web::current_user::session_user_id;
use crate::web::request_meta::origin_of;
use crate::web::{csrf, htmx, AppError, State};

mod password;
mod unblock;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/login", web::get().to(form))
        .route("/login", web::post().to(submit))
        .route("/logout", web::post().to(logout))
        .route("/password/forgot", web::get().to(password::forgot_form))
        .route("/password/forgot", web::post().to(password::forgot))
        .route(
            "/password/reset/{token}",
            web::get().to(password::reset_form),
        )
        .route("/password/reset/{token}", web::post().to(password::reset))
        .route("/unblock/{token}", web::get().to(unblock::unblock_form))
        .route("/unblock/{token}", web::post().to(unblock::unblock_by_link));
}

/// The one message for every failed sign-in, so nobody learns which emails have accounts.
pub const GENERIC_FAILURE: &str = "Incorrect email, username or password.";

#[derive(Deserialize)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
    #[serde(default)]
    signed_out: Option<String>,
    #[serde(default)]
    reset: Option<String>,
    /// A known notice: `timeout` or `refused` (from the second step).
    #[serde(default)]
    notice: Option<String>,
    /// The organization (slug) whose "Sign in with …" buttons to show.
    #[serde(default)]
    org: Option<String>,
}

pub async fn form(
    req: HttpRequest,
    state: State,
    session: Session,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, AppError> {
    if session_user_id(&session).is_some() {
        let target = safe_next(&query.next).unwrap_or("/").to_owned();
        return Ok(HttpResponse::SeeOther()
            .insert_header(("Location", target))
            .finish());
    }
    let (org, signed_out_of) = (
        query.org.clone(),
        crate::sso::flow::signed_out_of(&req, &state.cookie_key),
    );
    let (providers, signed_out_of) = state
        .db(move |conn| {
            let buttons = crate::sso::store::sign_in_buttons(conn, org.as_deref())?;
            let provider = match signed_out_of {
                Some(id) => crate::sso::store::provider_by_id(conn, id)?,
                None => None,
            };
            Ok((buttons, provider))
        })
        .await?;
    let end_session = match signed_out_of {
        Some(provider) => state
            .oidc
            .end_session_url(&provider)
            .await
            .map(|url| (provider.name.clone(), url)),
        None => None,
    };
    htmx::html(&crate::auth::views::LoginPage {
        csrf: csrf::token(&req),
        email: String::new(),
        next: query.next.clone(),
        providers,
        end_session,
        error: None,
        notice: match (&query.signed_out, &query.reset, query.notice.as_deref()) {
            (_, Some(_), _) => {
                Some("Your password was changed. Sign in with your new password.".to_owned())
            }
            (Some(_), None, _) => Some("You have been signed out.".to_owned()),
            (None, None, Some("product-only")) => Some(format!(
                "Your password is set and your account is ready. {}",
                crate::users::product_access::REFUSED
            )),
            (None, None, Some("step-up")) => Some(
                "Your access now requires two-step verification: sign in again, and complete the second step."
                    .to_owned(),
            ),
            (None, None, Some("timeout")) => {
                Some("Signing in took too long. Sign in again.".to_owned())
            }
            (None, None, Some("refused")) => Some(
                "You could not be signed in. Sign in again; if it keeps failing, check your email or ask an administrator."
                    .to_owned(),
            ),
            _ => None,
        },
    })
}

/// Starts an authenticated session: a new session id (the old one is discarded, against
/// fixation), how the person proved who they are, and a new CSRF token.
pub fn sign_in_session(
    req: &HttpRequest,
    session: &Session,
    user_id: i64,
    proof: Proof,
) -> Result<(), AppError> {
    session.renew();
    session.remove(PENDING_SECOND_STEP);
    let stored = session
        .insert(USER_ID, user_id)
        .and_then(|_| session.insert(PROOF, proof.as_str()));
    stored.map_err(|e| AppError::Unexpected(anyhow::anyhow!("session: {e}")))?;
    csrf::rotate(req);
    Ok(())
}

/// The sign-in page again with a message.
fn login_page(
    req: &HttpRequest,
    form: &LoginForm,
    error: &str,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    htmx::html_with_status(
        &crate::auth::views::LoginPage {
            csrf: csrf::token(req),
            email: form.email.clone(),
            next: form.next.clone(),
            error: Some(error.to_owned()),
            notice: None,
            providers: Vec::new(),
            end_session: None,
        },
        status,
    )
}

/// The password was right and a second step must follow (an emailed code is on its way): the
/// session holds only a marker until then, and is not signed in.
pub fn await_second_step(
    session: &Session,
    pending: &PendingSecondStep,
) -> Result<HttpResponse, AppError> {
    session.renew();
    session
        .insert(PENDING_SECOND_STEP, pending)
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("session: {e}")))?;
    Ok(HttpResponse::SeeOther()
        .insert_header(("Location", "/login/mfa"))
        .finish())
}

/// Refused before any password is checked: the network tried too often this minute.
fn too_many_attempts(req: &HttpRequest, form: &LoginForm) -> Result<HttpResponse, AppError> {
    let mut response = login_page(
        req,
        form,
        "Too many sign-in attempts from your network. Wait a minute, then try again.",
        StatusCode::TOO_MANY_REQUESTS,
    )?;
    response.headers_mut().insert(
        actix_web::http::header::RETRY_AFTER,
        actix_web::http::header::HeaderValue::from_static("60"),
    );
    Ok(response)
}

/// The candidate whose password this is, of those the name given may mean (one hash checked
/// even when there is none, so an unknown name takes as long as a known one).
async fn matching(
    state: &State,
    candidates: Vec<store::LoginCandidate>,
    password: &str,
) -> Result<(Option<store::LoginCandidate>, bool), AppError> {
    if candidates.len() <= 1 {
        let candidate = candidates.into_iter().next();
        let stored_hash = candidate.as_ref().and_then(|c| c.password_hash.clone());
        let ok = state
            .hasher
            .verify(stored_hash, password.to_owned())
            .await?;
        return Ok((candidate, ok));
    }
    for candidate in candidates {
        let stored_hash = candidate.password_hash.clone();
        if state
            .hasher
            .verify(stored_hash, password.to_owned())
            .await?
        {
            return Ok((Some(candidate), true));
        }
    }
    Ok((None, false))
}

pub async fn submit(
    req: HttpRequest,
    state: State,
    session: Session,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let now = state.clock.now();
    let meta = origin_of(&req, &state.config.trusted_proxies);
    if !state.login_limiter.allow(&state, &meta.ip, now).await? {
        state.metrics.sign_in("rate_limited");
        return too_many_attempts(&req, &form);
    }
    let email = normalize_email(&form.email);
    if form.sso == "1" {
        return crate::sso::flow::home_realm(&req, &state, &form).await;
    }
    if email.is_empty() || form.password.is_empty() || form.password.len() > 1024 {
        return login_page(
            &req,
            &form,
            GENERIC_FAILURE,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    let lookup = email.clone();
    let candidates = state
        .db(move |conn| Ok(store::sign_in_candidates(conn, &lookup)?))
        .await?;
    let (candidate, password_ok) = matching(&state, candidates, &form.password).await?;
    let email_hint = crate::mfa::views::mask_email(candidate.as_ref().map_or(&email, |c| &c.email));
    let base_url = state.base_url.clone();
    let ip_shown = meta.ip.clone();
    let outcome = state
        .db(move |conn| {
            Ok(service::finish_sign_in(
                conn,
                candidate.as_ref(),
                &email,
                service::Credential::Password(password_ok),
                &base_url,
                &meta,
                now,
            )?)
        })
        .await?;
    state.metrics.sign_in(outcome.label());
    let next = safe_next(&form.next).unwrap_or("").to_owned();
    let page = |error: &str, status| login_page(&req, &form, error, status);
    match outcome {
        SignIn::Complete(user_id) => {
            sign_in_session(&req, &session, user_id, Proof::Password)?;
            let next = landing(&state, user_id, next).await?;
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
                email_hint,
            };
            await_second_step(&session, &pending)
        }
        // A block may have queued its unblock email.
        SignIn::Refused => page(GENERIC_FAILURE, StatusCode::UNPROCESSABLE_ENTITY),
        // Said only after the right password: it tells nothing to someone guessing.
        SignIn::BlockedForInactivity { days } => page(
            &format!(
                "Your account is blocked because nobody signed in to it for {days} days. {}",
                crate::auth::inactivity::BLOCKED_WHAT_NEXT
            ),
            StatusCode::FORBIDDEN,
        ),
        SignIn::ProductOnly => page(crate::users::product_access::REFUSED, StatusCode::FORBIDDEN),
        SignIn::SsoRequired => page(crate::sso::flow::SSO_REQUIRED, StatusCode::FORBIDDEN),
        SignIn::NotFromHere => page(
            &format!(
                "Your account cannot sign in from this network ({ip_shown}). Ask an administrator of your organization to add it to your login IP allowlist."
            ),
            StatusCode::FORBIDDEN,
        ),
    }
}

/// Where a sign-in goes: the page the person was sent from, else User Management for those who
/// may see it and My account for everyone else (an Agent has no console pages).
pub async fn landing(state: &State, user_id: i64, next: String) -> Result<String, AppError> {
    if !next.is_empty() {
        return Ok(next);
    }
    let (app, now) = (state.get_ref().clone(), state.clock.now());
    let user = state
        .db(move |conn| {
            Ok(crate::web::current_user::load_for_session(
                conn,
                &app.catalog,
                user_id,
                now,
                false,
            )?)
        })
        .await?;
    Ok(match user {
        Some(user) if user.can(crate::auth::permissions::Permission::UsersView) => "/users",
        _ => "/account",
    }
    .to_owned())
}

pub async fn logout(
    req: HttpRequest,
    state: State,
    session: Session,
) -> Result<HttpResponse, AppError> {
    let provider: Option<i64> = session.get(crate::sso::flow::SSO_PROVIDER).ok().flatten();
    if let Some(user_id) = session_user_id(&session) {
        let meta = origin_of(&req, &state.config.trusted_proxies);
        let now = state.clock.now();
        state
            .db(move |conn| Ok(service::record_sign_out(conn, user_id, &meta, now)?))
            .await?;
    }
    session.purge();
    let location = "/login?signed_out=1";
    let mut response = if htmx::is_htmx(&req) {
        htmx::Hx::new().redirect(location).empty()?
    } else {
        HttpResponse::SeeOther()
            .insert_header(("Location", location))
            .finish()
    };
    if let Some(id) = provider {
        // Which provider to offer signing out of: in a cookie signed with the app's key (a
        // link can name no provider to show), read once by the sign-in page.
        let cookie = crate::sso::flow::signed_out_cookie(&state.cookie_key, id);
        response
            .add_cookie(&cookie)
            .map_err(|e| AppError::Unexpected(anyhow::anyhow!("cookie: {e}")))?;
    }
    Ok(response)
}
