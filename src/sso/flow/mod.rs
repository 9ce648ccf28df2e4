//! The browser's way through a provider: `GET /sso/{id}/start` (sign in, or accept an
//! invitation), `GET /account/sso/{id}/link`, Test sign-in, and `GET /sso/callback`, where the
//! answer is checked and leads to a session, a link, the claims shown, or a refusal with its
//! reason (audited).

mod callback;
mod refusals;

pub use callback::callback;

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::store::{self, NewRequest, Provider};
use super::Purpose;
use crate::auth::forms::safe_next;
use crate::auth::tokens;
use crate::web::request_meta::origin_of;
use crate::web::{htmx, AppError, CurrentUser, State};

/// The session's key for the state of the sign-in under way (binds it to this browser).
pub(super) const SSO_STATE: &str = "sso_state";
/// The session's key for the provider a session signed in with (for its end-session URL).
pub const SSO_PROVIDER: &str = "sso_provider";

pub const SSO_REQUIRED: &str = "Your organization signs in with its identity provider: use its “Sign in with …” button, or enter your work email and choose “Continue with single sign-on”.";

#[derive(Deserialize, Default)]
pub struct StartQuery {
    #[serde(default)]
    next: String,
    #[serde(default)]
    login_hint: String,
    #[serde(default)]
    invite: String,
}

/// What a sign-in carries to the provider and back.
struct Begin<'a> {
    purpose: Purpose,
    user_id: Option<i64>,
    invite: Option<&'a str>,
    next: &'a str,
    login_hint: Option<&'a str>,
}

async fn enabled_provider(state: &State, id: i64) -> Result<Provider, AppError> {
    state
        .db(move |conn| {
            store::provider_by_id(conn, id)?
                .filter(|p| p.enabled)
                .ok_or(AppError::NotFound)
        })
        .await
}

/// Sends the browser to the provider, the state kept in this session and the nonce and PKCE
/// verifier in the database until it comes back.
async fn begin(
    state: &State,
    session: &Session,
    provider: &Provider,
    asked: Begin<'_>,
) -> Result<HttpResponse, AppError> {
    let redirect = super::redirect_url(&state.base_url);
    let authorize = match state
        .oidc
        .authorize(provider, &redirect, asked.login_hint)
        .await
    {
        Ok(authorize) => authorize,
        Err(failure) => {
            log::warn!("sign-in with {} could not start: {failure}", provider.name);
            return Err(AppError::BadRequest(format!(
                "{} cannot be reached right now ({}). Try again in a moment, or sign in with your password.",
                provider.name, failure.reason
            )));
        }
    };
    let hash = tokens::hash_token(&authorize.state);
    let (provider_id, now) = (provider.id, state.clock.now());
    let (purpose, user_id) = (asked.purpose.code(), asked.user_id);
    let invite = asked.invite.map(str::to_owned);
    let next = safe_next(asked.next).unwrap_or("").to_owned();
    let (nonce, verifier) = (authorize.nonce.clone(), authorize.pkce_verifier.clone());
    state
        .db(move |conn| {
            let request = NewRequest {
                state_hash: &hash,
                provider_id,
                purpose,
                user_id,
                invite: invite.as_deref(),
                nonce: &nonce,
                pkce_verifier: &verifier,
                next: &next,
            };
            Ok(store::insert_request(conn, &request, now)?)
        })
        .await?;
    session
        .insert(SSO_STATE, &authorize.state)
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("session: {e}")))?;
    Ok(HttpResponse::Found()
        .insert_header(("Location", authorize.url))
        .insert_header(("Cache-Control", "no-store"))
        .finish())
}

/// `GET /sso/{id}/start`: sign in (or, with `invite`, accept that invitation) with a provider.
pub async fn start(
    req: HttpRequest,
    state: State,
    session: Session,
    id: web::Path<i64>,
    query: web::Query<StartQuery>,
) -> Result<HttpResponse, AppError> {
    let meta = origin_of(&req, &state.config.trusted_proxies);
    if !state
        .login_limiter
        .allow(&state, &meta.ip, state.clock.now())
        .await?
    {
        return Err(AppError::BadRequest(
            "Too many sign-in attempts from your network. Wait a minute, then try again.".into(),
        ));
    }
    let provider = enabled_provider(&state, id.into_inner()).await?;
    let invite = (!query.invite.is_empty()).then_some(query.invite.as_str());
    let asked = Begin {
        purpose: if invite.is_some() {
            Purpose::Invite
        } else {
            Purpose::SignIn
        },
        user_id: None,
        invite,
        next: &query.next,
        login_hint: Some(query.login_hint.as_str()),
    };
    begin(&state, &session, &provider, asked).await
}

/// `GET /account/sso/{id}/link`: the signed-in person links their account to a provider of
/// their organization.
pub async fn link(
    state: State,
    session: Session,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let provider = enabled_provider(&state, id.into_inner()).await?;
    if provider.org_id != user.org_id {
        return Err(AppError::NotFound);
    }
    let asked = Begin {
        purpose: Purpose::Link,
        user_id: Some(user.id),
        invite: None,
        next: "/account",
        login_hint: Some(user.email.as_str()),
    };
    begin(&state, &session, &provider, asked).await
}

/// `GET /settings/sign-in/{id}/test`: an administrator runs the flow and sees the claims.
pub async fn test(
    state: State,
    session: Session,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    user.require(crate::auth::permissions::Permission::SettingsManage)?;
    let (org_id, id) = (user.org_id, id.into_inner());
    let provider = state
        .db(move |conn| store::provider(conn, org_id, id)?.ok_or(AppError::NotFound))
        .await?;
    let asked = Begin {
        purpose: Purpose::Test,
        user_id: Some(user.id),
        invite: None,
        next: "",
        login_hint: None,
    };
    begin(&state, &session, &provider, asked).await
}

/// The page that moves on to the provider (a form may not redirect to another site under
/// this console's Content-Security-Policy, so a link and a refresh go instead).
#[derive(askama::Template)]
#[template(path = "sso/continue.html")]
struct ContinuePage {
    name: String,
    url: String,
}

/// "Continue with single sign-on": the provider of the organization that holds the email's
/// domain (home-realm discovery), else the sign-in page saying there is none.
pub async fn home_realm(
    req: &HttpRequest,
    state: &State,
    form: &crate::auth::forms::LoginForm,
) -> Result<HttpResponse, AppError> {
    let email = crate::users::normalize_email(&form.email);
    let domain = crate::orgs::domains::domain_of(&email);
    let lookup = domain.clone();
    let providers = state
        .db(move |conn| Ok(store::providers_for_domain(conn, &lookup)?))
        .await?;
    let Some(provider) = providers.into_iter().next() else {
        let mut page = crate::auth::views::LoginPage::refused(
            req,
            &if domain.is_empty() {
                "Enter your work email to continue with single sign-on.".to_owned()
            } else {
                format!("Single sign-on is not set up for {domain}. Sign in with your password.")
            },
        );
        page.email = form.email.clone();
        page.next = form.next.clone();
        return htmx::html_with_status(&page, StatusCode::UNPROCESSABLE_ENTITY);
    };
    let query = serde_urlencoded::to_string([
        ("login_hint", email.as_str()),
        ("next", safe_next(&form.next).unwrap_or("")),
    ])
    .unwrap_or_default();
    htmx::html(&ContinuePage {
        name: provider.name,
        url: format!("/sso/{}/start?{query}", provider.id),
    })
}

/// The cookie that tells the sign-in page, once, which provider the person just signed out of.
const SIGNED_OUT: &str = "gh_sso_signed_out";

pub fn signed_out_cookie(
    key: &actix_web::cookie::Key,
    provider_id: i64,
) -> actix_web::cookie::Cookie<'static> {
    let mut jar = actix_web::cookie::CookieJar::new();
    let cookie = actix_web::cookie::Cookie::build(SIGNED_OUT, provider_id.to_string())
        .path("/login")
        .http_only(true)
        .same_site(actix_web::cookie::SameSite::Lax)
        .max_age(actix_web::cookie::time::Duration::minutes(5))
        .finish();
    jar.signed_mut(key).add(cookie);
    jar.get(SIGNED_OUT)
        .cloned()
        .unwrap_or_else(|| actix_web::cookie::Cookie::new(SIGNED_OUT, ""))
}

/// The provider the person just signed out of, when the signed cookie says so.
pub fn signed_out_of(req: &HttpRequest, key: &actix_web::cookie::Key) -> Option<i64> {
    let cookie = req.cookie(SIGNED_OUT)?;
    let mut jar = actix_web::cookie::CookieJar::new();
    jar.add_original(cookie);
    jar.signed(key).get(SIGNED_OUT)?.value().parse().ok()
}
