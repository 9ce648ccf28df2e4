//! Changing an email address: nothing changes until the new address confirms, and the old one
//! is told. Used by My account and by an administrator's Edit User alike.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::service::Me;
use crate::audit::Origin;
use crate::audit::{self, action, Actor, Event};
use crate::auth::{store, tokens};
use crate::db::schema::tokens as db_tokens;
use crate::db::schema::users;
use crate::db::{write_tx, DbConn};
use crate::mail;
use crate::users::status;

#[derive(Debug, thiserror::Error)]
pub enum EmailError {
    #[error("Another account already uses this email address.")]
    Taken,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// How long the link that confirms a new email address works.
pub const EMAIL_LINK_HOURS: i64 = 24;

/// Asks to change one's own email address (the password was re-entered). Nothing changes
/// until the link sent to the new address is opened, so a mistyped address locks nobody out;
/// the old address is told at once. A newer request replaces an older one. Audited.
pub fn request_email_change(
    conn: &mut DbConn,
    me: &Me,
    new_email: &str,
    base_url: &str,
    meta: &Origin,
    now: NaiveDateTime,
) -> Result<(), EmailError> {
    write_tx(conn, |conn| {
        if crate::users::store::email_taken(conn, new_email)? {
            return Err(EmailError::Taken);
        }
        let change = EmailChange {
            org_id: me.org_id,
            user_id: me.user_id,
            first_name: &me.first_name,
            old_email: &me.actor.label,
            new_email,
            by_admin: false,
        };
        queue_email_change(conn, &change, base_url, now)?;
        let details = serde_json::json!({ "new_email": new_email });
        me.record(conn, action::EMAIL_CHANGE_REQUESTED, details, meta, now)?;
        Ok(())
    })
}

/// A change of someone's email address, waiting for the new address to confirm it.
pub struct EmailChange<'a> {
    pub org_id: i64,
    pub user_id: i64,
    pub first_name: &'a str,
    pub old_email: &'a str,
    pub new_email: &'a str,
    /// An administrator asked for it (Edit User), not the person on My account.
    pub by_admin: bool,
}

/// Inside the caller's transaction: retires any earlier request, makes the single-use link
/// (24 hours), and queues the link to the new address and a notice to the old one. The
/// address changes only when the link is opened (`confirm_email_change`), so neither a typo
/// nor an administrator can move someone's sign-in to an address they do not control.
pub fn queue_email_change(
    conn: &mut DbConn,
    change: &EmailChange<'_>,
    base_url: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let EmailChange {
        org_id,
        user_id,
        first_name,
        old_email,
        new_email,
        by_admin,
    } = *change;
    retire_email_changes(conn, user_id, now)?;
    let secret = tokens::random_token();
    let expires = now + chrono::Duration::hours(EMAIL_LINK_HOURS);
    diesel::insert_into(db_tokens::table)
        .values((
            db_tokens::kind.eq(tokens::kind::EMAIL_CHANGE),
            db_tokens::org_id.eq(org_id),
            db_tokens::user_id.eq(user_id),
            db_tokens::token_hash.eq(tokens::hash_token(&secret)),
            db_tokens::payload.eq(new_email),
            db_tokens::expires_at.eq(expires),
            db_tokens::created_at.eq(now),
        ))
        .execute(conn)?;
    let link = format!("{base_url}/email/confirm/{secret}");
    let (asked, heads_up) = if by_admin {
        (
            format!("An administrator of your organization asked to make {new_email} the email address of your Gatehouse account (now {old_email}). Confirm it here:"),
            format!("An administrator of your organization asked to change the email address of your Gatehouse account to {new_email}. Nothing changes unless that address confirms within 24 hours; until then you keep signing in with this one."),
        )
    } else {
        (
            format!("You asked to make {new_email} the email address of your Gatehouse account (now {old_email}). Confirm it here:"),
            format!("Someone signed in to your Gatehouse account asked to change its email address to {new_email}. Nothing changes unless that address confirms within 24 hours; you can cancel the change on My account."),
        )
    };
    let confirm = mail::Simple {
        first_name,
        paragraphs: vec![asked],
        link: Some(("Confirm new email address", &link)),
        footer: "The link works once and expires in 24 hours. Until it is opened the current address keeps signing in. If you did not expect this, ignore this email.",
    };
    let notice = mail::Simple {
        first_name,
        paragraphs: vec![heads_up],
        link: None,
        footer: "If you did not expect this, change your password and tell an administrator of your organization at once.",
    };
    for (message, kind, to, subject) in [
        (
            confirm,
            "email_change_confirm",
            new_email,
            "Confirm your new Gatehouse email address",
        ),
        (
            notice,
            "email_change_requested",
            old_email,
            "A change of your Gatehouse email address was requested",
        ),
    ] {
        let email = message.email(Some(org_id), Some(user_id), kind, to, subject);
        mail::store::enqueue(conn, &email, now)?;
    }
    Ok(())
}

/// A new email address waiting for its confirmation.
#[derive(Debug, Clone)]
pub struct PendingEmail {
    pub email: String,
    pub expires_at: NaiveDateTime,
}

impl PendingEmail {
    /// "2026-12-02 09:30 UTC".
    pub fn until(&self) -> String {
        crate::users::views::minute_utc(self.expires_at)
    }
}

pub fn pending_email_change(
    conn: &mut DbConn,
    user_id: i64,
    now: NaiveDateTime,
) -> QueryResult<Option<PendingEmail>> {
    db_tokens::table
        .filter(db_tokens::user_id.eq(user_id))
        .filter(db_tokens::kind.eq(tokens::kind::EMAIL_CHANGE))
        .filter(db_tokens::used_at.is_null())
        .filter(db_tokens::expires_at.gt(now))
        .order(db_tokens::id.desc())
        .select((db_tokens::payload, db_tokens::expires_at))
        .first::<(String, NaiveDateTime)>(conn)
        .optional()
        .map(|row| row.map(|(email, expires_at)| PendingEmail { email, expires_at }))
}

/// Ends every unused link of the user's email changes.
pub fn retire_email_changes(
    conn: &mut DbConn,
    user_id: i64,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        db_tokens::table
            .filter(db_tokens::user_id.eq(user_id))
            .filter(db_tokens::kind.eq(tokens::kind::EMAIL_CHANGE))
            .filter(db_tokens::used_at.is_null()),
    )
    .set(db_tokens::used_at.eq(now))
    .execute(conn)
}

/// Cancels the waiting change (its link stops working); audited. False when none waited.
pub fn cancel_email_change(
    conn: &mut DbConn,
    me: &Me,
    meta: &Origin,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    write_tx(conn, |conn| {
        let Some(pending) = pending_email_change(conn, me.user_id, now)? else {
            return Ok(false);
        };
        retire_email_changes(conn, me.user_id, now)?;
        let details = serde_json::json!({ "new_email": pending.email });
        me.record(conn, action::EMAIL_CHANGE_CANCELLED, details, meta, now)?;
        Ok(true)
    })
}

/// What a confirmation link stands for: the account's address now and the one to become.
#[derive(Debug)]
pub struct EmailChangeLink {
    pub token_id: i64,
    pub user: store::SessionUserRow,
    pub new_email: String,
}

pub fn look_up_email_change(
    conn: &mut DbConn,
    secret: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<EmailChangeLink>> {
    let hash = tokens::hash_token(secret);
    let Some(token) = store::find_usable_token(conn, tokens::kind::EMAIL_CHANGE, &hash, now)?
    else {
        return Ok(None);
    };
    let Some(user_id) = token.user_id else {
        return Ok(None);
    };
    let user = store::session_user(conn, user_id)?.filter(|u| u.status == status::ACTIVE);
    Ok(user.map(|user| EmailChangeLink {
        token_id: token.id,
        user,
        new_email: token.payload,
    }))
}

#[derive(Debug, PartialEq, Eq)]
pub enum Confirmed {
    /// The account's address is now this one.
    Changed(String),
    /// Another account took the address after the request; the link is used up.
    Taken(String),
    /// Unknown, used, expired or cancelled link, or an account no longer active.
    Gone,
}

/// Opens the link sent to the new address once: the email changes, the change is audited
/// and both addresses are told.
pub fn confirm_email_change(
    conn: &mut DbConn,
    secret: &str,
    meta: &Origin,
    now: NaiveDateTime,
) -> QueryResult<Confirmed> {
    write_tx(conn, |conn| {
        let Some(link) = look_up_email_change(conn, secret, now)? else {
            return Ok(Confirmed::Gone);
        };
        if !store::consume_token(conn, link.token_id, now)? {
            return Ok(Confirmed::Gone);
        }
        let (user, new_email) = (&link.user, link.new_email.as_str());
        if crate::users::store::email_taken(conn, new_email)? {
            return Ok(Confirmed::Taken(link.new_email));
        }
        let updated = diesel::update(users::table.find(user.id))
            .set((
                users::email.eq(new_email),
                users::search_text.eq(crate::users::search_text(
                    &user.first_name,
                    &user.last_name,
                    new_email,
                )),
                users::version.eq(users::version + 1),
                users::updated_at.eq(now),
            ))
            .execute(conn);
        match updated {
            Err(e) if crate::db::is_unique_violation(&e) => {
                return Ok(Confirmed::Taken(link.new_email))
            }
            other => other?,
        };
        crate::users::store::refresh_search_text(conn, user.id)?;
        let actor = Actor::user(user.id, &user.email);
        let details = serde_json::json!({
            "before": { "email": user.email },
            "after": { "email": new_email },
        });
        audit::record(
            conn,
            Event {
                org_id: Some(user.org_id),
                actor: &actor,
                action: action::EMAIL_CHANGED,
                target: Some((user.id, new_email)),
                details,
                meta,
            },
            now,
        )?;
        tell_both_addresses(conn, user, new_email, now)?;
        Ok(Confirmed::Changed(link.new_email))
    })
}

/// Both addresses hear of the change: the old one that it no longer signs in, the new one that
/// it does.
fn tell_both_addresses(
    conn: &mut DbConn,
    user: &store::SessionUserRow,
    new_email: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let old_email = user.email.as_str();
    for (to, kind, text) in [
        (
            old_email,
            "email_changed_old",
            format!(
                "The email address of your Gatehouse account was changed from {old_email} to {new_email}: the new address confirmed it. This address no longer signs in."
            ),
        ),
        (
            new_email,
            "email_changed_new",
            format!(
                "This is now the email address of your Gatehouse account (it was {old_email}). Sign in with it from now on."
            ),
        ),
    ] {
        let notice = mail::Simple {
            first_name: &user.first_name,
            paragraphs: vec![text],
            link: None,
            footer: "If this was not you, tell an administrator of your organization at once.",
        };
        let email = notice.email(
            Some(user.org_id),
            Some(user.id),
            kind,
            to,
            "Your Gatehouse email address was changed",
        );
        mail::store::enqueue(conn, &email, now)?;
    }
    Ok(())
}
