//! `Caller`: whoever presents `Authorization: Bearer <token>`. The token's maker is loaded as
//! a request of theirs would load them (a deactivated, blocked or deleted maker stops every
//! token of theirs), and their permissions are narrowed to the token's scopes. Cookies count
//! for nothing here: the API never acts on a browser's session.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest};

use super::problem::Problem;
use super::tokens::service::{self, Refused};
use super::tokens::store::TokenRow;
use super::tokens::{Scope, Scopes};
use crate::audit::Origin;
use crate::auth::permissions::Permission;
use crate::users::authority::Editor;
use crate::web::{CurrentUser, State};

#[derive(Debug, Clone)]
pub struct Caller {
    pub token: TokenRow,
    pub scopes: Scopes,
    /// The maker, with the permissions the token may use (theirs, within its scopes).
    pub user: CurrentUser,
    pub origin: Origin,
}

impl Caller {
    /// Refuses with 403 unless the token has `scope` and its maker holds `permission`.
    pub fn require(&self, scope: Scope, permission: Permission) -> Result<(), Problem> {
        self.require_scope(scope)?;
        if !self.user.can(permission) {
            return Err(Problem::new(
                actix_web::http::StatusCode::FORBIDDEN,
                format!(
                    "The token's maker does not hold the permission “{}”.",
                    permission.label()
                ),
            ));
        }
        Ok(())
    }

    /// Refuses with 403 unless the token has `scope` (what the maker may do is decided by the
    /// use case: a workspace's steward, say).
    pub fn require_scope(&self, scope: Scope) -> Result<(), Problem> {
        if self.scopes.has(scope) {
            Ok(())
        } else {
            Err(Problem::new(
                actix_web::http::StatusCode::FORBIDDEN,
                format!("This token lacks the scope {}.", scope.as_str()),
            ))
        }
    }

    /// The token as an editor: the maker's standing, named in the audit log as the token.
    pub fn editor(&self) -> Editor {
        let user = &self.user;
        Editor {
            id: user.id,
            org_id: user.org_id,
            email: self.actor_label(),
            permissions: user.permissions,
            owner: user.is_owner(),
            scope: user.scope.clone(),
        }
    }

    /// "API token “Okta” (olive@acme.io)": how the audit log names what the token did.
    pub fn actor_label(&self) -> String {
        format!("API token “{}” ({})", self.token.name, self.token.maker)
    }
}

fn bearer(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, secret) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| secret.trim().to_owned())
}

async fn authenticate(req: HttpRequest) -> Result<Caller, Problem> {
    let state = req.app_data::<State>().cloned().ok_or_else(|| {
        Problem::from(crate::web::AppError::Unexpected(anyhow::anyhow!(
            "no state"
        )))
    })?;
    let Some(secret) = bearer(&req) else {
        return Err(Problem::unauthorized(
            "Send an API token as Authorization: Bearer <token>. Make one in Settings → API tokens.",
        ));
    };
    let now = state.clock.now();
    let origin = crate::web::request_meta::origin_of(&req, &state.config.trusted_proxies);
    // Secrets that were refused count per client address on this instance: past the limit,
    // that address asks the database nothing more this minute. Good tokens count per token
    // on every instance together (in the database on PostgreSQL), with the token's lookup.
    let failures = format!("refused:{}", origin.ip);
    if state.api_limiter.exceeded_here(&failures, now) {
        return Err(too_many(now));
    }
    let app = state.get_ref().clone();
    let ip = origin.ip.clone();
    let found = state
        .db(move |conn| {
            let token = match service::usable(conn, &secret, now)? {
                Ok(token) => token,
                Err(refused) => return Ok(Err(Some(refused_message(refused)))),
            };
            if !app
                .api_limiter
                .allow_on(conn, &format!("token:{}", token.id), now)?
            {
                return Ok(Err(None));
            }
            let user = crate::web::current_user::load_for_session(
                conn,
                &app.catalog,
                token.user_id,
                now,
                true,
            )?;
            let Some(user) = user.filter(|u| u.org_id == token.org_id) else {
                return Ok(Err(Some(
                    "The token's maker is deactivated, blocked or gone: the token no longer works.",
                )));
            };
            if !service::allowed_from(conn, &token, &ip)? {
                return Ok(Err(Some(
                    "This personal token's maker may sign in only from some networks, not this one.",
                )));
            }
            service::note_use(conn, &token, &ip, now)?;
            Ok(Ok((token, user)))
        })
        .await
        .map_err(Problem::from)?;
    let (token, mut user) = found.map_err(|refused| match refused {
        Some(message) => {
            state.api_limiter.count_here(&failures, now);
            Problem::unauthorized(message)
        }
        None => too_many(now),
    })?;
    let scopes = Scopes::parse(&token.scopes).unwrap_or_default();
    user.permissions = user.permissions.within(scopes.permissions());
    Ok(Caller {
        token,
        scopes,
        user,
        origin,
    })
}

/// 429 until the minute's end.
fn too_many(now: chrono::NaiveDateTime) -> Problem {
    let seconds = 60 - now.and_utc().timestamp().rem_euclid(60);
    Problem {
        retry_after: Some(seconds as u64),
        ..Problem::new(
            actix_web::http::StatusCode::TOO_MANY_REQUESTS,
            "Too many requests with this token this minute; wait for Retry-After seconds.",
        )
    }
}

fn refused_message(refused: Refused) -> &'static str {
    match refused {
        Refused::Unknown => "This API token is not known.",
        Refused::Revoked => "This API token was revoked.",
        Refused::Expired => "This API token has expired.",
    }
}

impl FromRequest for Caller {
    type Error = Problem;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        Box::pin(authenticate(req.clone()))
    }
}
