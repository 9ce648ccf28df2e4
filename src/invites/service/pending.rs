//! Pending invitations: Resend, Revoke, and the expiry that gives their seats back.

use chrono::NaiveDateTime;

use crate::audit::Origin;
use crate::audit::{self, action, Actor, Event};
use crate::db::{write_tx, DbConn};
use crate::invites::store;
use crate::licenses::store as licenses;
use crate::mail::{self};
use crate::users::authority;
use crate::users::status;

use super::{new_invite_link, Inviter};
use crate::mail::views::INVITE_MAIL;

#[derive(Debug, thiserror::Error)]
pub enum PendingError {
    #[error("That user does not exist, or belongs to another organization.")]
    NotFound,
    #[error("This person has already accepted the invitation.")]
    NotPending,
    #[error(transparent)]
    Refused(#[from] authority::Refusal),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// The invitee, if `user_id` is a pending invitation of the inviter's organization.
/// The invitee, if `user_id` is a pending invitation of the inviter's organization and the
/// inviter may act on them (an invitation to a role beyond one's own access is not theirs to
/// resend or revoke).
pub(super) fn pending_invitee(
    conn: &mut DbConn,
    inviter: &Inviter,
    user_id: i64,
) -> Result<store::Invitee, PendingError> {
    let invitee = store::invitee(conn, user_id)?
        .filter(|u| u.org_id == inviter.org_id)
        .ok_or(PendingError::NotFound)?;
    let target = match authority::visible_standing(conn, &inviter.editor(), user_id) {
        Ok(target) => target,
        Err(authority::Denied::Database(e)) => return Err(e.into()),
        Err(_) => return Err(PendingError::NotFound),
    };
    authority::check(&inviter.standing(), &target, authority::Act::Invitation)?;
    if invitee.status != status::INVITED {
        return Err(PendingError::NotPending);
    }
    Ok(invitee)
}

pub fn pending_name(
    conn: &mut DbConn,
    inviter: &Inviter,
    user_id: i64,
) -> Result<(String, String), PendingError> {
    let invitee = pending_invitee(conn, inviter, user_id)?;
    Ok((
        format!("{} {}", invitee.first_name, invitee.last_name),
        invitee.email,
    ))
}

/// Resend invite: a new link; the old one stops working and unsent copies are dropped.
pub fn resend(
    conn: &mut DbConn,
    inviter: &Inviter,
    user_id: i64,
    base_url: &str,
    meta: &Origin,
    now: NaiveDateTime,
) -> Result<(), PendingError> {
    write_tx(conn, |conn| {
        let invitee = pending_invitee(conn, inviter, user_id)?;
        store::retire_invite_tokens(conn, user_id, now)?;
        mail::store::cancel_pending(conn, user_id, INVITE_MAIL)?;
        let org = crate::orgs::store::name_of(conn, inviter.org_id)?;
        let days = crate::orgs::store::invite_days(conn, inviter.org_id)?;
        let link = new_invite_link(conn, inviter.org_id, user_id, base_url, days, now)?;
        let text = mail::views::InviteText {
            first_name: &invitee.first_name,
            inviter: &inviter.name,
            org: &org,
            link: &link,
            days,
        };
        mail::store::enqueue(
            conn,
            &mail::views::invite_email(inviter.org_id, user_id, &invitee.email, text),
            now,
        )?;
        let actor = Actor::user(inviter.id, &inviter.email);
        audit::record(
            conn,
            Event {
                org_id: Some(inviter.org_id),
                actor: &actor,
                action: action::INVITE_RESENT,
                target: Some((user_id, &invitee.email)),
                details: serde_json::json!({}),
                meta,
            },
            now,
        )?;
        Ok(())
    })
}

/// Removes a pending invitee: their seats are freed, their link and unsent mail die with them.
fn remove_invitee(
    conn: &mut DbConn,
    invitee: &store::Invitee,
    actor: &Actor,
    what: &str,
    meta: &Origin,
    now: NaiveDateTime,
) -> diesel::QueryResult<()> {
    let released = licenses::release_all(conn, invitee.id)?.len();
    mail::store::cancel_pending(conn, invitee.id, INVITE_MAIL)?;
    store::delete_user(conn, invitee.id)?;
    let details = serde_json::json!({
        "before": { "email": invitee.email, "first_name": invitee.first_name, "last_name": invitee.last_name, "status": invitee.status },
        "seats_released": released,
    });
    audit::record(
        conn,
        Event {
            org_id: Some(invitee.org_id),
            actor,
            action: what,
            target: Some((invitee.id, &invitee.email)),
            details,
            meta,
        },
        now,
    )
}

/// Revoke invite: the link stops working and the reserved seats are freed.
pub fn revoke(
    conn: &mut DbConn,
    inviter: &Inviter,
    user_id: i64,
    meta: &Origin,
    now: NaiveDateTime,
) -> Result<(), PendingError> {
    write_tx(conn, |conn| {
        let invitee = pending_invitee(conn, inviter, user_id)?;
        let actor = Actor::user(inviter.id, &inviter.email);
        remove_invitee(conn, &invitee, &actor, action::INVITE_REVOKED, meta, now)?;
        Ok(())
    })
}

/// Periodic job: invitations whose links all expired give their seats back.
pub fn expire_invitations(conn: &mut DbConn, now: NaiveDateTime) -> diesel::QueryResult<usize> {
    write_tx(conn, |conn| {
        let expired = store::expired_invitees(conn, now)?;
        let actor = Actor::system("invitation expiry");
        let meta = Origin::default();
        for invitee in &expired {
            remove_invitee(conn, invitee, &actor, action::INVITE_EXPIRED, &meta, now)?;
        }
        Ok(expired.len())
    })
}
