//! actix-session's `SessionStore` on the database, so sessions survive restarts, are shared by
//! every instance, and end everywhere at once when their rows are deleted (sign-out, Sign out
//! everywhere, deactivation).
//!
//! The cookie carries a random 256-bit key; the table keeps only its SHA-256. The row's
//! `user_id` mirrors the session's `uid` entry so a user's sessions can be found and ended.

use std::collections::HashMap;
use std::sync::Arc;

use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
use actix_web::cookie::time::Duration;
use chrono::NaiveDateTime;

use super::{store, tokens};
use crate::web::current_user;
use crate::web::AppState;

pub const USER_ID: &str = "uid";
/// How the signed-in person proved who they are (`Proof`).
pub const PROOF: &str = "amr";
/// A right password waiting for its second step (`PendingSecondStep`); not signed in.
pub const PENDING_SECOND_STEP: &str = "mfa_pending";

/// How the person proved who they are, kept in the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proof {
    /// A password alone (allowed only where no second factor is required).
    Password,
    /// A password and a second factor: an authenticator code, an emailed code, or an emailed
    /// link (invitation, sign-up, first-run setup) that proved the mailbox.
    TwoFactor,
}

impl Proof {
    pub fn as_str(self) -> &'static str {
        match self {
            Proof::Password => "pwd",
            Proof::TwoFactor => "mfa",
        }
    }

    pub fn of(session: &actix_session::Session) -> Proof {
        match session.get::<String>(PROOF).ok().flatten().as_deref() {
            Some("mfa") => Proof::TwoFactor,
            _ => Proof::Password,
        }
    }
}

/// The sign-in between its right password and its second step.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct PendingSecondStep {
    pub user_id: i64,
    /// `Method::as_str`.
    pub method: String,
    /// Where to go once signed in.
    pub next: String,
    /// Unix time of the right password; the second step must follow within minutes.
    pub since: i64,
    /// Where an emailed code went, partly hidden, for the page to say.
    pub email_hint: String,
}

type State = HashMap<String, String>;

/// The session cookie's name (`__Host-` only where cookies are Secure).
pub fn cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-gatehouse_session"
    } else {
        "gatehouse_session"
    }
}

/// The stored hash of the request's session id, read from its signed cookie (live connections
/// re-check their session row by it).
pub fn session_hash(req: &actix_web::HttpRequest, state: &AppState) -> Option<String> {
    let name = cookie_name(state.config.secure_cookies_for(&state.base_url));
    let cookie = req.cookie(name)?;
    let mut jar = actix_web::cookie::CookieJar::new();
    jar.add_original(cookie);
    let key = jar.signed(&state.cookie_key).get(name)?;
    Some(tokens::hash_token(key.value()))
}

#[derive(Clone)]
pub struct DbSessionStore {
    state: Arc<AppState>,
}

impl DbSessionStore {
    pub fn new(state: Arc<AppState>) -> Self {
        Self { state }
    }

    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut crate::db::DbConn, NaiveDateTime) -> diesel::QueryResult<T> + Send + 'static,
    ) -> anyhow::Result<T> {
        let pool = self.state.pool.clone();
        let now = self.state.clock.now();
        let health = self.state.health.clone();
        actix_web::web::block(move || -> anyhow::Result<T> {
            let mut conn = pool.get().inspect_err(|_| health.note_unreachable())?;
            Ok(f(&mut conn, now).inspect_err(|e| {
                if crate::db::is_connection_lost(e) {
                    health.note_unreachable();
                }
            })?)
        })
        .await?
    }
}

fn user_of(state: &State) -> Option<i64> {
    state.get(USER_ID).and_then(|v| v.parse().ok())
}

fn ttl_of(ttl: &Duration) -> chrono::Duration {
    chrono::Duration::seconds(ttl.whole_seconds())
}

impl SessionStore for DbSessionStore {
    async fn load(&self, session_key: &SessionKey) -> Result<Option<State>, LoadError> {
        let id_hash = tokens::hash_token(session_key.as_ref());
        let defaults = (
            self.state.config.session_idle_minutes,
            self.state.config.session_max_hours,
        );
        // A live connection reads its session without touching it (see `presence::quiet`).
        let touch = !crate::presence::quiet::is_quiet();
        // The signed-in user comes along in the same trip (see `current_user::preloading`).
        let preload = current_user::wants_preload() && touch;
        let app = self.state.clone();
        let loaded = self
            .run(move |conn, now| {
                let Some(text) = store::load_session_with(conn, &id_hash, now, defaults, touch)?
                else {
                    return Ok(None);
                };
                let state: Result<State, _> = serde_json::from_str(&text);
                let user = match (&state, preload) {
                    (Ok(state), true) => match user_of(state) {
                        Some(id) => Some((
                            id,
                            current_user::load_for_session(conn, &app.catalog, id, now, false)?,
                        )),
                        None => None,
                    },
                    _ => None,
                };
                Ok(Some((state, user)))
            })
            .await;
        let loaded = match loaded {
            Ok(loaded) => loaded,
            // The database does not answer: no session this time; the user extractor answers
            // 503 rather than sending the person to sign in.
            Err(_) if self.state.health.unreachable_recently() => None,
            Err(e) => return Err(LoadError::Other(e)),
        };
        match loaded {
            Some((state, user)) => {
                if let Some((id, user)) = user {
                    current_user::offer_preloaded(id, user);
                }
                state
                    .map(Some)
                    .map_err(|e| LoadError::Deserialization(e.into()))
            }
            None => Ok(None),
        }
    }

    async fn save(&self, session_state: State, ttl: &Duration) -> Result<SessionKey, SaveError> {
        let secret = tokens::random_token();
        let key = SessionKey::try_from(secret.clone()).map_err(|e| SaveError::Other(e.into()))?;
        let text = serde_json::to_string(&session_state)
            .map_err(|e| SaveError::Serialization(e.into()))?;
        let user_id = user_of(&session_state);
        let ttl = ttl_of(ttl);
        let id_hash = tokens::hash_token(&secret);
        self.run(move |conn, now| {
            store::insert_session(conn, &id_hash, user_id, &text, now, now + ttl)
        })
        .await
        .map_err(SaveError::Other)?;
        Ok(key)
    }

    async fn update(
        &self,
        session_key: SessionKey,
        session_state: State,
        _ttl: &Duration,
    ) -> Result<SessionKey, UpdateError> {
        let text = serde_json::to_string(&session_state)
            .map_err(|e| UpdateError::Serialization(e.into()))?;
        let user_id = user_of(&session_state);
        let id_hash = tokens::hash_token(session_key.as_ref());
        // The expiry stays where sign-in put it (an absolute lifetime). A session deleted
        // meanwhile (signed out everywhere) stays deleted: zero rows updated.
        self.run(move |conn, _| store::update_session(conn, &id_hash, user_id, &text))
            .await
            .map_err(UpdateError::Other)?;
        Ok(session_key)
    }

    async fn update_ttl(
        &self,
        session_key: &SessionKey,
        ttl: &Duration,
    ) -> Result<(), anyhow::Error> {
        let id_hash = tokens::hash_token(session_key.as_ref());
        let ttl = ttl_of(ttl);
        self.run(move |conn, now| store::extend_session(conn, &id_hash, now + ttl))
            .await?;
        Ok(())
    }

    async fn delete(&self, session_key: &SessionKey) -> Result<(), anyhow::Error> {
        let id_hash = tokens::hash_token(session_key.as_ref());
        self.run(move |conn, _| store::delete_session(conn, &id_hash))
            .await?;
        Ok(())
    }
}
