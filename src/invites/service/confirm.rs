//! Confirm user: an administrator confirms a pending account for the person; the invitation
//! link stops working and the person is emailed a link to choose a password.

use chrono::NaiveDateTime;

use super::{Inviter, PendingError};
use crate::audit::{self, action, Actor, Event, Origin};
use crate::auth::{store as auth_store, tokens};
use crate::db::{write_tx, DbConn};
use crate::invites::store;
use crate::mail::{self, views::INVITE_MAIL};

/// Answers the person's email address.
pub fn confirm(
    conn: &mut DbConn,
    inviter: &Inviter,
    user_id: i64,
    base_url: &str,
    meta: &Origin,
    now: NaiveDateTime,
) -> Result<String, PendingError> {
    write_tx(conn, |conn| {
        let invitee = super::pending::pending_invitee(conn, inviter, user_id)?;
        if store::confirm_invitee(conn, user_id, now)? != 1 {
            return Err(PendingError::NotPending);
        }
        store::retire_invite_tokens(conn, user_id, now)?;
        mail::store::cancel_pending(conn, user_id, INVITE_MAIL)?;
        let org = crate::orgs::store::name_of(conn, inviter.org_id)?;
        let days = crate::orgs::store::invite_days(conn, inviter.org_id)?;
        // As long-lived as the invitation it replaces: a reset link of an hour would often
        // expire before the person reads it.
        let secret = tokens::random_token();
        auth_store::insert_token(
            conn,
            tokens::kind::RESET,
            Some(inviter.org_id),
            Some(user_id),
            &tokens::hash_token(&secret),
            now + chrono::Duration::days(i64::from(days)),
            now,
        )?;
        let link = format!("{base_url}/password/reset/{secret}");
        let footer = format!("The link works once and expires in {days} days.");
        let message = mail::Simple {
            first_name: &invitee.first_name,
            paragraphs: vec![
                format!(
                    "{} confirmed your account at {org} on Gatehouse. You sign in with your email address, {}.",
                    inviter.name, invitee.email
                ),
                "Choose your password here:".to_owned(),
            ],
            link: Some(("Choose my password", &link)),
            footer: &footer,
        };
        let email = message.email(
            Some(inviter.org_id),
            Some(user_id),
            "reset",
            &invitee.email,
            &format!("Your account at {org} is confirmed: choose your password"),
        );
        mail::store::enqueue(conn, &email, now)?;
        let actor = Actor::user(inviter.id, &inviter.email);
        audit::record(
            conn,
            Event {
                org_id: Some(inviter.org_id),
                actor: &actor,
                action: action::USER_CONFIRMED,
                target: Some((user_id, &invitee.email)),
                details: serde_json::json!({ "before": { "status": "invited" }, "after": { "status": "active" } }),
                meta,
            },
            now,
        )?;
        Ok(invitee.email)
    })
}
