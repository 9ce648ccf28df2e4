//! The invite link: what it shows, and using it once.

use chrono::NaiveDateTime;

use crate::audit::Origin;
use crate::audit::{self, action, Actor, Event};
use crate::auth::{store as auth_store, tokens};
use crate::db::{write_tx, DbConn};
use crate::invites::store;
use crate::users::status;

/// What an invite link shows.
pub enum InviteLink {
    Valid {
        invitee: store::Invitee,
        org: String,
        /// The shortest password the organization accepts.
        min_length: usize,
    },
    Unusable,
}

pub fn look_up(
    conn: &mut DbConn,
    secret: &str,
    now: NaiveDateTime,
) -> diesel::QueryResult<InviteLink> {
    let Some(token) = auth_store::find_usable_token(
        conn,
        tokens::kind::INVITE,
        &tokens::hash_token(secret),
        now,
    )?
    else {
        return Ok(InviteLink::Unusable);
    };
    let Some(invitee) = token
        .user_id
        .map(|id| store::invitee(conn, id))
        .transpose()?
        .flatten()
    else {
        return Ok(InviteLink::Unusable);
    };
    if invitee.status != status::INVITED {
        return Ok(InviteLink::Unusable);
    }
    let org = crate::orgs::store::name_of(conn, invitee.org_id)?;
    let min_length = crate::settings::store::policy(conn, invitee.org_id)?.min_length();
    Ok(InviteLink::Valid {
        invitee,
        org,
        min_length,
    })
}

/// Uses the link once: the invitee gets their password (none: they signed in through the
/// organization's provider) and becomes active.
pub fn accept(
    conn: &mut DbConn,
    secret: &str,
    password_hash: Option<&str>,
    meta: &Origin,
    now: NaiveDateTime,
) -> diesel::QueryResult<Option<i64>> {
    write_tx(conn, |conn| {
        let Some(token) = auth_store::find_usable_token(
            conn,
            tokens::kind::INVITE,
            &tokens::hash_token(secret),
            now,
        )?
        else {
            return Ok(None);
        };
        let Some(user_id) = token.user_id else {
            return Ok(None);
        };
        if !auth_store::consume_token(conn, token.id, now)?
            || store::activate_invitee(conn, user_id, password_hash, now)? != 1
        {
            return Ok(None);
        }
        let Some(user) = store::invitee(conn, user_id)? else {
            return Ok(None);
        };
        let actor = Actor::user(user.id, &user.email);
        let details = match password_hash {
            Some(_) => serde_json::json!({}),
            None => serde_json::json!({ "via": "single sign-on" }),
        };
        audit::record(
            conn,
            Event {
                org_id: Some(user.org_id),
                actor: &actor,
                action: action::INVITE_ACCEPTED,
                target: Some((user.id, &user.email)),
                details,
                meta,
            },
            now,
        )?;
        // Product access only: the link set the password, and no console session follows.
        if crate::users::product_access::is_product_only(conn, user_id)? {
            return Ok(Some(user_id));
        }
        crate::auth::service::record_link_sign_in(
            conn,
            user.org_id,
            (user.id, &user.email),
            if password_hash.is_some() {
                "invitation"
            } else {
                "invitation, single sign-on"
            },
            meta,
            now,
        )?;
        Ok(Some(user_id))
    })
}
