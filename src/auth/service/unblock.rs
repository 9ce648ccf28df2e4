//! Lifting a block: by an administrator or the operator, or by the emailed unblock link.

use chrono::NaiveDateTime;

use super::store;
use crate::audit::Origin;
use crate::audit::{self, action, Actor, Event};
use crate::auth::tokens;
use crate::db::{write_tx, DbConn};
use crate::users::authority::{self, Act, Denied, Editor};

/// Who unblocked, for the audit event.
pub enum Unblocker<'a> {
    /// The person, through the emailed link.
    Link,
    /// The operator on the command line.
    Actor(&'a Actor),
    /// An administrator (Unblock user), within the rules of who may act on whom.
    Admin(&'a Editor),
}

/// Clears the block of `user_id` (within `org_id` when given). False when the user does not
/// exist there or was not blocked.
pub fn unblock(
    conn: &mut DbConn,
    org_id: Option<i64>,
    user_id: i64,
    by: Unblocker<'_>,
    meta: &Origin,
    now: NaiveDateTime,
) -> Result<bool, Denied> {
    write_tx(conn, |conn| {
        if let Unblocker::Admin(editor) = by {
            authority::ensure(conn, editor, user_id, Act::Unblock)?;
        }
        Ok(unblock_in(conn, org_id, user_id, by, meta, now)?)
    })
}

fn unblock_in(
    conn: &mut DbConn,
    org_id: Option<i64>,
    user_id: i64,
    by: Unblocker<'_>,
    meta: &Origin,
    now: NaiveDateTime,
) -> diesel::QueryResult<bool> {
    {
        let Some(user) = store::session_user(conn, user_id)? else {
            return Ok(false);
        };
        if org_id.is_some_and(|org| org != user.org_id) || !store::unblock(conn, user_id, now)? {
            return Ok(false);
        }
        let own = Actor::user(user.id, &user.email);
        let admin;
        let (actor, via) = match by {
            Unblocker::Link => (&own, "emailed link"),
            Unblocker::Actor(actor) => (actor, "administrator"),
            Unblocker::Admin(editor) => {
                admin = Actor::user(editor.id, &editor.email);
                (&admin, "administrator")
            }
        };
        let details = serde_json::json!({ "via": via });
        audit::record(
            conn,
            Event {
                org_id: Some(user.org_id),
                actor,
                action: action::UNBLOCKED,
                target: Some((user.id, &user.email)),
                details,
                meta,
            },
            now,
        )?;
        Ok(true)
    }
}

/// Uses an emailed unblock link once.
pub fn unblock_by_link(
    conn: &mut DbConn,
    secret: &str,
    meta: &Origin,
    now: NaiveDateTime,
) -> diesel::QueryResult<bool> {
    write_tx(conn, |conn| {
        let Some(token) = store::find_usable_token(
            conn,
            tokens::kind::UNBLOCK,
            &tokens::hash_token(secret),
            now,
        )?
        else {
            return Ok(false);
        };
        let Some(user_id) = token.user_id else {
            return Ok(false);
        };
        if !store::consume_token(conn, token.id, now)? {
            return Ok(false);
        }
        unblock_in(conn, None, user_id, Unblocker::Link, meta, now)
    })
}
