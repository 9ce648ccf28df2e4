//! The OpenID Connect side of a sign-in, through the `openidconnect` crate: discovery (cached
//! per issuer for an hour, fetched again at once when a token names a key the cached set lacks:
//! keys rotate), the authorization URL with PKCE, `state` and `nonce`, the code exchanged and
//! the ID token checked (signature, issuer, audience, expiry with a minute of clock skew,
//! nonce).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreJwsSigningAlgorithm};
use openidconnect::{
    AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken, IssuerUrl,
    LoginHint, Nonce, PkceCodeChallenge, PkceCodeVerifier, ProviderMetadataWithLogout, RedirectUrl,
    Scope, SignatureVerificationError, TokenResponse,
};
use serde_json::Value;

use super::store::Provider;

/// How long a provider's discovery document and keys are trusted before being fetched again.
const DISCOVERY_TTL: Duration = Duration::from_secs(3600);
/// The clock skew allowed on the ID token's expiry.
const SKEW_SECONDS: i64 = 60;

/// Why a sign-in through a provider failed: `reason` goes to the audit log, `message` to the
/// person.
#[derive(Debug, Clone)]
pub struct Failure {
    pub reason: &'static str,
    pub detail: String,
}

impl Failure {
    pub fn new(reason: &'static str, detail: impl Into<String>) -> Self {
        Failure {
            reason,
            detail: detail.into(),
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.reason, self.detail)
    }
}

struct Discovered {
    metadata: ProviderMetadataWithLogout,
    fetched: Instant,
}

/// What the provider said of the person, once the ID token checked out.
#[derive(Debug, Clone)]
pub struct Claims {
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub given_name: String,
    pub family_name: String,
    /// The provider's `amr` (how the person authenticated).
    pub amr: Vec<String>,
    /// Every claim of the ID token, for Test sign-in.
    pub all: Value,
}

/// Where to send the browser, and what to keep until it comes back.
pub struct Authorize {
    pub url: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

/// The providers' HTTP client and discovery cache of this instance.
pub struct Oidc {
    http: openidconnect::reqwest::Client,
    /// Providers on this machine or a private network, over plain HTTP too (an intranet
    /// Keycloak; tests); off: public HTTPS addresses only, whatever discovery names.
    allow_private: bool,
    cache: Mutex<HashMap<String, Arc<Discovered>>>,
}

type HttpError = openidconnect::HttpClientError<openidconnect::reqwest::Error>;

impl Oidc {
    pub fn new(allow_private: bool) -> Self {
        let http = openidconnect::reqwest::Client::builder()
            // Following redirects would let a provider send the request anywhere (SSRF).
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .dns_resolver(Arc::new(crate::webhooks::worker::PublicOnly {
                allow_private,
            }))
            .build()
            .unwrap_or_default();
        Oidc {
            http,
            allow_private,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// One request to a provider: every URL it names (issuer, keys, token endpoint) must be
    /// HTTPS to a public address unless private ones are allowed; names are checked again
    /// where they resolve (`PublicOnly`).
    async fn send(
        &self,
        request: openidconnect::HttpRequest,
    ) -> Result<openidconnect::HttpResponse, HttpError> {
        use openidconnect::AsyncHttpClient;
        if !self.allow_private {
            let url = url::Url::parse(&request.uri().to_string())
                .map_err(|e| HttpError::Other(e.to_string()))?;
            if url.scheme() != "https" || crate::webhooks::service::private_host(&url) {
                return Err(HttpError::Other(format!(
                    "{url} is not HTTPS to a public address"
                )));
            }
        }
        self.http.call(request).await
    }
}

fn issuer_url(issuer: &str) -> Result<IssuerUrl, Failure> {
    IssuerUrl::new(issuer.trim().to_owned())
        .map_err(|e| Failure::new("configuration", format!("the issuer URL: {e}")))
}

/// A client made from discovery: authorization endpoint set, token endpoint maybe.
type SsoClient = CoreClient<
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

fn client(
    metadata: &ProviderMetadataWithLogout,
    provider: &Provider,
    redirect: &str,
) -> Result<SsoClient, Failure> {
    let secret = (!provider.client_secret.is_empty())
        .then(|| ClientSecret::new(provider.client_secret.clone()));
    let redirect = RedirectUrl::new(redirect.to_owned())
        .map_err(|e| Failure::new("configuration", format!("the redirect URL: {e}")))?;
    Ok(CoreClient::from_provider_metadata(
        metadata.clone(),
        ClientId::new(provider.client_id.clone()),
        secret,
    )
    .set_redirect_uri(redirect))
}

impl Oidc {
    /// The provider's discovery document and keys (`fresh`: fetched again whatever the cache).
    async fn discover(&self, issuer: &str, fresh: bool) -> Result<Arc<Discovered>, Failure> {
        let key = issuer.trim().to_owned();
        if !fresh {
            let cached = self
                .cache
                .lock()
                .map_err(|_| poisoned())?
                .get(&key)
                .cloned();
            if let Some(found) = cached.filter(|d| d.fetched.elapsed() < DISCOVERY_TTL) {
                return Ok(found);
            }
        }
        let http = |request| self.send(request);
        let metadata = ProviderMetadataWithLogout::discover_async(issuer_url(&key)?, &http)
            .await
            .map_err(|e| Failure::new("discovery", format!("{e}")))?;
        let found = Arc::new(Discovered {
            metadata,
            fetched: Instant::now(),
        });
        self.cache
            .lock()
            .map_err(|_| poisoned())?
            .insert(key, found.clone());
        Ok(found)
    }

    /// The provider's end-session URL, when its discovery document has one (HTTPS, unless
    /// private providers are allowed).
    pub async fn end_session_url(&self, provider: &Provider) -> Option<String> {
        let found = self.discover(&provider.issuer, false).await.ok()?;
        let url = found
            .metadata
            .additional_metadata()
            .end_session_endpoint
            .as_ref()?
            .url()
            .clone();
        let http_ok = self.allow_private && url.scheme() == "http";
        (url.scheme() == "https" || http_ok).then(|| url.to_string())
    }

    /// The authorization URL of a new sign-in (PKCE S256, a random state and nonce).
    pub async fn authorize(
        &self,
        provider: &Provider,
        redirect: &str,
        login_hint: Option<&str>,
    ) -> Result<Authorize, Failure> {
        let found = self.discover(&provider.issuer, false).await?;
        let client = client(&found.metadata, provider, redirect)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .set_pkce_challenge(challenge);
        for scope in provider
            .scopes
            .split_whitespace()
            .filter(|s| *s != "openid")
        {
            request = request.add_scope(Scope::new(scope.to_owned()));
        }
        if let Some(hint) = login_hint.filter(|h| !h.is_empty()) {
            request = request.set_login_hint(LoginHint::new(hint.to_owned()));
        }
        let (url, state, nonce) = request.url();
        Ok(Authorize {
            url: url.to_string(),
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        })
    }

    /// Exchanges the code (with the PKCE verifier) and checks the ID token; a key the cached
    /// set lacks fetches the provider's keys again, once.
    pub async fn finish(
        &self,
        provider: &Provider,
        redirect: &str,
        code: &str,
        (verifier, nonce): (&str, &str),
    ) -> Result<Claims, Failure> {
        let found = self.discover(&provider.issuer, false).await?;
        let first = client(&found.metadata, provider, redirect)?;
        let response = first
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| Failure::new("configuration", e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(verifier.to_owned()))
            .request_async(&|request| self.send(request))
            .await
            .map_err(|e| Failure::new("code", format!("the provider refused the code: {e}")))?;
        let token = response
            .id_token()
            .ok_or_else(|| Failure::new("no_id_token", "the provider sent no ID token"))?
            .clone();
        let nonce = Nonce::new(nonce.to_owned());
        let check = |client: &SsoClient| {
            let verifier = client
                .id_token_verifier()
                .set_allowed_algs(allowed_algs())
                .set_time_fn(|| chrono::Utc::now() - chrono::Duration::seconds(SKEW_SECONDS));
            token.claims(&verifier, &nonce).cloned()
        };
        let checked = match check(&first) {
            Err(ClaimsVerificationError::SignatureVerification(
                SignatureVerificationError::NoMatchingKey,
            )) => {
                // An unknown `kid`: the provider may have rotated its keys.
                let fresh = self.discover(&provider.issuer, true).await?;
                check(&client(&fresh.metadata, provider, redirect)?)
            }
            other => other,
        };
        let claims = checked.map_err(refusal)?;
        let all = payload(&token.to_string());
        let email = claim_text(&all, &provider.email_claim);
        // Only an address the provider vouches for links: `email_verified`, whatever claim
        // holds it (Entra's administrator-set sign-in names aside).
        let email_verified = match provider.email_claim.as_str() {
            // Entra's sign-in names are set by the tenant's administrators, never by the
            // person, and Entra sends no email_verified.
            "preferred_username" | "upn" if provider.preset == "entra" => email.is_some(),
            _ => claims.email_verified() == Some(true),
        };
        Ok(Claims {
            subject: claims.subject().as_str().to_owned(),
            email: email.map(|e| e.trim().to_lowercase()),
            email_verified,
            given_name: claims
                .given_name()
                .and_then(|v| v.get(None))
                .map(|n| n.as_str().to_owned())
                .unwrap_or_default(),
            family_name: claims
                .family_name()
                .and_then(|v| v.get(None))
                .map(|n| n.as_str().to_owned())
                .unwrap_or_default(),
            amr: claims
                .auth_method_refs()
                .map(|refs| refs.iter().map(|r| r.as_str().to_owned()).collect())
                .unwrap_or_default(),
            all,
        })
    }
}

fn allowed_algs() -> Vec<CoreJwsSigningAlgorithm> {
    use CoreJwsSigningAlgorithm as A;
    vec![
        A::RsaSsaPkcs1V15Sha256,
        A::RsaSsaPkcs1V15Sha384,
        A::RsaSsaPkcs1V15Sha512,
        A::RsaSsaPssSha256,
        A::EcdsaP256Sha256,
        A::EcdsaP384Sha384,
        A::EdDsa,
    ]
}

fn poisoned() -> Failure {
    Failure::new("internal", "the discovery cache is unusable")
}

/// The audit reason of a refused ID token.
fn refusal(error: ClaimsVerificationError) -> Failure {
    let reason = match &error {
        ClaimsVerificationError::Expired(_) => "expired",
        ClaimsVerificationError::InvalidAudience(_) => "audience",
        ClaimsVerificationError::InvalidIssuer(_) => "issuer",
        ClaimsVerificationError::InvalidNonce(_) => "nonce",
        ClaimsVerificationError::SignatureVerification(_) => "signature",
        _ => "id_token",
    };
    Failure::new(reason, error.to_string())
}

/// The claims of a JWT whose signature was checked already.
fn payload(jwt: &str) -> Value {
    jwt.split('.')
        .nth(1)
        .and_then(|part| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(part.trim_end_matches('='))
                .ok()
        })
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or(Value::Null)
}

fn claim_text(all: &Value, name: &str) -> Option<String> {
    all.get(name)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .filter(|s| !s.trim().is_empty())
}
