//! Forgot password: the same answer whether or not the address has an account, a single-use
//! link valid one hour built from BASE_URL, the policy on the new password, every session
//! ended, and a notice that the password changed.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{store, tokens};
use crate::audit::Origin;
use crate::audit::{self, action, Actor, Event};
use crate::db::schema::users;
use crate::db::{write_tx, DbConn};
use crate::mail;
use crate::users::authority::{self, Act, Denied, Editor};
use crate::users::status;

pub const LINK_MINUTES: i64 = 60;

/// Queues a reset link when `email` belongs to an active account; says nothing either way.
pub fn request(
    conn: &mut DbConn,
    email: &str,
    base_url: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    write_tx(conn, |conn| {
        let Some(user) = store::find_login_candidate(conn, email)? else {
            return Ok(false);
        };
        if user.status == status::ACTIVE && user.lock_reason.as_deref() == Some("inactivity") {
            // A new password would not open the account: say what would.
            let message = mail::Simple {
                first_name: &user.first_name,
                paragraphs: vec![
                    format!("Someone asked to reset the Gatehouse password of {}. That account is blocked because nobody signed in to it for a long time, so a new password would not let you in.", user.email),
                    super::inactivity::BLOCKED_WHAT_NEXT.into(),
                ],
                link: None,
                footer: "If you did not ask for this, ignore this email.",
            };
            let email = message.email(
                Some(user.org_id),
                Some(user.id),
                "reset",
                &user.email,
                "Your Gatehouse account is blocked for inactivity",
            );
            mail::store::enqueue(conn, &email, now)?;
            return Ok(true);
        }
        queue_link(conn, &user, base_url, now)
    })
}

/// Reset Password by an administrator: the user of `org_id` is emailed a link; audited.
/// False when there is no such active user in the organization.
pub fn send_for_user(
    conn: &mut DbConn,
    editor: &Editor,
    user_id: i64,
    base_url: &str,
    meta: &Origin,
    now: NaiveDateTime,
) -> Result<bool, Denied> {
    write_tx(conn, |conn| {
        authority::ensure(conn, editor, user_id, Act::ResetCredentials)?;
        let (org_id, actor) = (editor.org_id, &Actor::user(editor.id, &editor.email));
        let Some(email) = store::session_user(conn, user_id)?
            .filter(|u| u.org_id == org_id)
            .map(|u| u.email)
        else {
            return Ok(false);
        };
        let Some(user) = store::find_login_candidate(conn, &email)? else {
            return Ok(false);
        };
        if !queue_link(conn, &user, base_url, now)? {
            return Ok(false);
        }
        let event = Event {
            org_id: Some(org_id),
            actor,
            action: action::PASSWORD_RESET_SENT,
            target: Some((user.id, &user.email)),
            details: serde_json::json!({}),
            meta,
        };
        audit::record(conn, event, now)?;
        Ok(true)
    })
}

/// A one-hour link for an active account, emailed through the outbox.
fn queue_link(
    conn: &mut DbConn,
    user: &store::LoginCandidate,
    base_url: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    if user.status != status::ACTIVE {
        return Ok(false);
    }
    let secret = tokens::random_token();
    let expires = now + chrono::Duration::minutes(LINK_MINUTES);
    store::insert_token(
        conn,
        tokens::kind::RESET,
        Some(user.org_id),
        Some(user.id),
        &tokens::hash_token(&secret),
        expires,
        now,
    )?;
    let link = format!("{base_url}/password/reset/{secret}");
    let message = mail::Simple {
        first_name: &user.first_name,
        paragraphs: vec![format!("Someone asked to reset the Gatehouse password of {}. Choose a new password here:", user.email)],
        link: Some(("Choose a new password", &link)),
        footer: "The link works once and expires in one hour. If you did not ask for it, ignore this email: your password stays as it is.",
    };
    let email = message.email(
        Some(user.org_id),
        Some(user.id),
        "reset",
        &user.email,
        "Reset your Gatehouse password",
    );
    mail::store::enqueue(conn, &email, now)?;
    Ok(true)
}

/// The account a reset link is for, and the shortest password its organization accepts.
#[derive(Debug, Clone, Default)]
pub struct ResetAccount {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub min_length: usize,
}

pub fn look_up(
    conn: &mut DbConn,
    secret: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<ResetAccount>> {
    let Some((_, user)) = usable(conn, secret, now)? else {
        return Ok(None);
    };
    let min_length = crate::settings::store::policy(conn, user.org_id)?.min_length();
    Ok(Some(ResetAccount {
        first_name: user.first_name,
        last_name: user.last_name,
        email: user.email,
        min_length,
    }))
}

/// Sets the new password once: sessions end, a block from failed sign-ins is lifted (the
/// person proved they own the mailbox), the change is audited and announced by email.
pub fn complete(
    conn: &mut DbConn,
    secret: &str,
    password_hash: &str,
    meta: &Origin,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    write_tx(conn, |conn| {
        let Some((token_id, user)) = usable(conn, secret, now)? else {
            return Ok(false);
        };
        let user_id = user.id;
        if !store::consume_token(conn, token_id, now)? {
            return Ok(false);
        }
        diesel::update(users::table.find(user_id))
            .set((
                users::password_hash.eq(password_hash),
                users::password_changed_at.eq(now),
                users::failed_logins.eq(0),
                users::updated_at.eq(now),
            ))
            .execute(conn)?;
        super::temporary::end(conn, user_id)?;
        let unblocked = diesel::update(
            users::table
                .find(user_id)
                .filter(users::lock_reason.eq("failed_logins")),
        )
        .set((
            users::locked_at.eq(None::<NaiveDateTime>),
            users::lock_reason.eq(None::<String>),
        ))
        .execute(conn)?;
        store::delete_user_sessions(conn, user_id)?;
        let actor = Actor::user(user.id, &user.email);
        if unblocked == 1 {
            audit::record(
                conn,
                Event {
                    org_id: Some(user.org_id),
                    actor: &actor,
                    action: action::UNBLOCKED,
                    target: Some((user.id, &user.email)),
                    details: serde_json::json!({ "via": "password reset" }),
                    meta,
                },
                now,
            )?;
        }
        audit::record(
            conn,
            Event {
                org_id: Some(user.org_id),
                actor: &actor,
                action: action::PASSWORD_RESET,
                target: Some((user.id, &user.email)),
                details: serde_json::json!({ "via": "emailed link" }),
                meta,
            },
            now,
        )?;
        tell_password_changed(conn, &user, now)?;
        Ok(true)
    })
}

/// A usable reset link's token and the active account it is for.
fn usable(
    conn: &mut DbConn,
    secret: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<(i64, store::SessionUserRow)>> {
    let Some(token) =
        store::find_usable_token(conn, tokens::kind::RESET, &tokens::hash_token(secret), now)?
    else {
        return Ok(None);
    };
    let Some(user_id) = token.user_id else {
        return Ok(None);
    };
    Ok(store::session_user(conn, user_id)?
        .filter(|u| u.status == status::ACTIVE)
        .map(|user| (token.id, user)))
}

fn tell_password_changed(
    conn: &mut DbConn,
    user: &store::SessionUserRow,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let notice = mail::Simple {
        first_name: &user.first_name,
        paragraphs: vec![format!(
            "The password of your Gatehouse account {} was just changed, and every session was signed out.",
            user.email
        )],
        link: None,
        footer: "If this was not you, tell an administrator of your organization at once.",
    };
    let email = notice.email(
        Some(user.org_id),
        Some(user.id),
        "password_changed",
        &user.email,
        "Your Gatehouse password was changed",
    );
    mail::store::enqueue(conn, &email, now)?;
    Ok(())
}
