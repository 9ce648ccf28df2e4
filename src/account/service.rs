//! Changing one's own password and ending one's own sessions, audited.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::audit::{self, action, Actor, Event};
use crate::auth::store;
use crate::db::schema::users;
use crate::db::{write_tx, DbConn};
use crate::mail;
use crate::web::request_meta::RequestMeta;

pub fn password_hash_of(conn: &mut DbConn, user_id: i64) -> QueryResult<Option<String>> {
    users::table
        .find(user_id)
        .select(users::password_hash)
        .first(conn)
}

/// Sets the new password and ends every session of the user (the caller starts a fresh one).
/// The signed-in person acting on their own account.
pub struct Me {
    pub actor: Actor,
    pub org_id: i64,
    pub user_id: i64,
    pub first_name: String,
}

pub fn change_password(
    conn: &mut DbConn,
    me: &Me,
    password_hash: &str,
    meta: &RequestMeta,
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
        let ended = store::delete_user_sessions(conn, user_id)?;
        let details = serde_json::json!({ "sessions_ended": ended });
        audit::record(
            conn,
            Event {
                org_id: Some(org_id),
                actor,
                action: action::PASSWORD_CHANGED,
                target: Some((user_id, &actor.label)),
                details,
                meta,
            },
            now,
        )?;
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
    meta: &RequestMeta,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let (actor, org_id, user_id) = (&me.actor, me.org_id, me.user_id);
    write_tx(conn, |conn| {
        let ended = store::delete_user_sessions(conn, user_id)?;
        let details = serde_json::json!({ "sessions_ended": ended });
        audit::record(
            conn,
            Event {
                org_id: Some(org_id),
                actor,
                action: action::SIGNED_OUT_EVERYWHERE,
                target: Some((user_id, &actor.label)),
                details,
                meta,
            },
            now,
        )?;
        Ok(ended)
    })
}

#[derive(Debug, thiserror::Error)]
pub enum EmailError {
    #[error("Another account already uses this email address.")]
    Taken,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// Changes one's own email address (the password was re-entered): audited, and both the old
/// and the new address are told.
pub fn change_email(
    conn: &mut DbConn,
    me: &Me,
    new_email: &str,
    meta: &RequestMeta,
    now: NaiveDateTime,
) -> Result<(), EmailError> {
    write_tx(conn, |conn| {
        if crate::users::store::email_taken(conn, new_email)? {
            return Err(EmailError::Taken);
        }
        let (first_name, last_name): (String, String) = users::table
            .find(me.user_id)
            .select((users::first_name, users::last_name))
            .first(conn)?;
        let updated = diesel::update(users::table.find(me.user_id))
            .set((
                users::email.eq(new_email),
                users::search_text.eq(crate::users::search_text(
                    &first_name,
                    &last_name,
                    new_email,
                )),
                users::version.eq(users::version + 1),
                users::updated_at.eq(now),
            ))
            .execute(conn);
        match updated {
            Err(e) if crate::db::is_unique_violation(&e) => return Err(EmailError::Taken),
            other => other?,
        };
        let details = serde_json::json!({
            "before": { "email": me.actor.label },
            "after": { "email": new_email },
        });
        audit::record(
            conn,
            Event {
                org_id: Some(me.org_id),
                actor: &me.actor,
                action: action::EMAIL_CHANGED,
                target: Some((me.user_id, new_email)),
                details,
                meta,
            },
            now,
        )?;
        for (to, kind, text) in [
            (
                me.actor.label.as_str(),
                "email_changed_old",
                format!(
                    "The email address of your Gatehouse account was changed from {} to {new_email} on My account. This address no longer signs in.",
                    me.actor.label
                ),
            ),
            (
                new_email,
                "email_changed_new",
                format!(
                    "This is now the email address of your Gatehouse account (it was {}). Sign in with it from now on.",
                    me.actor.label
                ),
            ),
        ] {
            let notice = mail::Simple {
                first_name: &me.first_name,
                paragraphs: vec![text],
                link: None,
                footer: "If this was not you, tell an administrator of your organization at once.",
            };
            mail::store::enqueue(
                conn,
                &notice.email(
                    Some(me.org_id),
                    Some(me.user_id),
                    kind,
                    to,
                    "Your Gatehouse email address was changed",
                ),
                now,
            )?;
        }
        Ok(())
    })
}
