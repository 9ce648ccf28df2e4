//! Sending invitations (all rows or none), accepting them, resending and revoking them, and
//! the auto-signup switch.

mod accept;
mod by_email;
mod checked;
mod confirm;
mod pending;
mod send;

pub use accept::*;
pub use by_email::*;
pub use checked::*;
pub use confirm::*;
pub use pending::*;
pub use send::*;

use chrono::NaiveDateTime;

use super::forms::RowErrors;
use crate::audit::Origin;
use crate::audit::{self, action, Actor, Event};
use crate::auth::{store as auth_store, tokens};
use crate::db::{write_tx, DbConn};
use crate::users::authority;

pub use crate::mail::views::INVITE_MAIL;
/// Who sends the invitations.
pub struct Inviter {
    pub id: i64,
    pub org_id: i64,
    pub email: String,
    pub name: String,
    pub permissions: crate::auth::permissions::Permissions,
    pub owner: bool,
    /// Scoped administration (`None`: the whole organization).
    pub scope: Option<crate::users::scope::Scope>,
}

impl Inviter {
    pub fn standing(&self) -> authority::Standing {
        authority::Standing {
            id: self.id,
            permissions: self.permissions,
            owner: self.owner,
            scoped: self.scope.is_some(),
        }
    }

    /// The inviter as the authority rules see an editor.
    pub fn editor(&self) -> authority::Editor {
        authority::Editor {
            id: self.id,
            org_id: self.org_id,
            email: self.email.clone(),
            permissions: self.permissions,
            owner: self.owner,
            scope: self.scope.clone(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Messages per row (and per product for seats); nothing was written.
    #[error("some rows need attention")]
    Invalid(Vec<RowErrors>),
    /// Nobody can be invited now (sign-up is automatic): nothing was written.
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// A new single-use invite link for `user_id`; returns the full URL.
pub fn new_invite_link(
    conn: &mut DbConn,
    org_id: i64,
    user_id: i64,
    base_url: &str,
    days: i32,
    now: NaiveDateTime,
) -> diesel::QueryResult<String> {
    let secret = tokens::random_token();
    let expires = now + chrono::Duration::days(i64::from(days));
    auth_store::insert_token(
        conn,
        tokens::kind::INVITE,
        Some(org_id),
        Some(user_id),
        &tokens::hash_token(&secret),
        expires,
        now,
    )?;
    Ok(format!("{base_url}/invite/{secret}"))
}

/// Who sends invitations, as their email and audit rows name them.
pub(super) struct Sender<'a> {
    pub org_id: i64,
    pub inviter_name: &'a str,
    pub actor: &'a Actor,
    pub base_url: &'a str,
    /// How many days the link works.
    pub days: i32,
}

/// One invited person, as their email and audit row name them.
pub(super) struct Invitee<'a> {
    pub user_id: i64,
    pub email: &'a str,
    pub first_name: &'a str,
    /// Where they are invited: the organization's name, or "Acme (workspace Support)".
    pub place: &'a str,
    /// The audit row's details.
    pub details: serde_json::Value,
}

/// The invitee's link, their email and the `user.invited` audit row, written together.
pub(super) fn send_link(
    conn: &mut DbConn,
    sender: &Sender<'_>,
    invitee: Invitee<'_>,
    meta: &Origin,
    now: NaiveDateTime,
) -> diesel::QueryResult<()> {
    let (org_id, user_id, email) = (sender.org_id, invitee.user_id, invitee.email);
    let link = new_invite_link(conn, org_id, user_id, sender.base_url, sender.days, now)?;
    let text = crate::mail::views::InviteText {
        first_name: invitee.first_name,
        inviter: sender.inviter_name,
        org: invitee.place,
        link: &link,
        days: sender.days,
    };
    crate::mail::store::enqueue(
        conn,
        &crate::mail::views::invite_email(org_id, user_id, email, text),
        now,
    )?;
    audit::record(
        conn,
        Event {
            org_id: Some(org_id),
            actor: sender.actor,
            action: action::USER_INVITED,
            target: Some((user_id, email)),
            details: invitee.details,
            meta,
        },
        now,
    )
}

/// Turns Allow users to signup automatically on or off, audited.
pub fn set_auto_signup(
    conn: &mut DbConn,
    actor: &Actor,
    org_id: i64,
    allow: bool,
    meta: &Origin,
    now: NaiveDateTime,
) -> diesel::QueryResult<()> {
    write_tx(conn, |conn| {
        let before = crate::orgs::store::allow_auto_signup(conn, org_id)?;
        crate::orgs::store::set_allow_auto_signup(conn, org_id, allow)?;
        let details =
            serde_json::json!({ "allow_auto_signup": { "before": before, "after": allow } });
        audit::record(
            conn,
            Event {
                org_id: Some(org_id),
                actor,
                action: action::AUTO_SIGNUP_CHANGED,
                target: None,
                details,
                meta,
            },
            now,
        )
    })
}
