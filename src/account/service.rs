//! Changing one's own password and ending one's own sessions, audited.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::audit::Origin;
use crate::audit::{self, action, Actor, Event};
use crate::auth::store;
use crate::db::schema::users;
use crate::db::{write_tx, DbConn};
use crate::mail;

pub fn password_hash_of(conn: &mut DbConn, user_id: i64) -> QueryResult<Option<String>> {
    users::table
        .find(user_id)
        .select(users::password_hash)
        .first(conn)
}

/// The signed-in person acting on their own account.
pub struct Me {
    pub actor: Actor,
    pub org_id: i64,
    pub user_id: i64,
    pub first_name: String,
}

impl Me {
    /// The audit event of a change to one's own account: its actor and its target.
    pub fn record(
        &self,
        conn: &mut DbConn,
        action: &str,
        details: serde_json::Value,
        meta: &Origin,
        now: NaiveDateTime,
    ) -> QueryResult<()> {
        audit::record(
            conn,
            Event {
                org_id: Some(self.org_id),
                actor: &self.actor,
                action,
                target: Some((self.user_id, &self.actor.label)),
                details,
                meta,
            },
            now,
        )
    }
}

/// Sets the new password and ends every session of the user (the caller starts a fresh one).
pub fn change_password(
    conn: &mut DbConn,
    me: &Me,
    password_hash: &str,
    meta: &Origin,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let Me {
        actor,
        org_id,
        user_id,
        first_name,
    } = me;
    let (actor, org_id, user_id, first_name) = (actor, *org_id, *user_id, first_name.as_str());
    write_tx(conn, |conn| {
        diesel::update(users::table.find(user_id))
            .set((
                users::password_hash.eq(password_hash),
                users::password_changed_at.eq(now),
                users::updated_at.eq(now),
            ))
            .execute(conn)?;
        crate::auth::temporary::end(conn, user_id)?;
        let ended = store::delete_user_sessions(conn, user_id)?;
        let details = serde_json::json!({ "sessions_ended": ended });
        me.record(conn, action::PASSWORD_CHANGED, details, meta, now)?;
        let notice = mail::Simple {
            first_name,
            paragraphs: vec![format!(
                "The password of your Gatehouse account {} was just changed on My account, and your other sessions were signed out.",
                actor.label
            )],
            link: None,
            footer: "If this was not you, tell an administrator of your organization at once.",
        };
        mail::store::enqueue(
            conn,
            &notice.email(
                Some(org_id),
                Some(user_id),
                "password_changed",
                &actor.label,
                "Your Gatehouse password was changed",
            ),
            now,
        )
    })
}

/// Sign out everywhere: every session of the user ends, on every instance.
pub fn sign_out_everywhere(
    conn: &mut DbConn,
    me: &Me,
    meta: &Origin,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let user_id = me.user_id;
    write_tx(conn, |conn| {
        let ended = store::delete_user_sessions(conn, user_id)?;
        let details = serde_json::json!({ "sessions_ended": ended });
        me.record(conn, action::SIGNED_OUT_EVERYWHERE, details, meta, now)?;
        Ok(ended)
    })
}
