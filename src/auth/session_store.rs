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
use crate::web::AppState;

pub const USER_ID: &str = "uid";

type State = HashMap<String, String>;

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
        actix_web::web::block(move || -> anyhow::Result<T> {
            let mut conn = pool.get()?;
            Ok(f(&mut conn, now)?)
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
        let idle = chrono::Duration::minutes(self.state.config.session_idle_minutes);
        let row = self
            .run(move |conn, now| store::load_session(conn, &id_hash, now, idle))
            .await
            .map_err(LoadError::Other)?;
        match row {
            Some(text) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|e| LoadError::Deserialization(e.into())),
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
