//! Sign-in outcomes, written with their audit events.

use chrono::NaiveDateTime;

use super::store::{self, LoginCandidate};
use crate::audit::{self, action, Actor, Event};
use crate::db::{write_tx, DbConn};
use crate::users::status;
use crate::web::request_meta::RequestMeta;

/// Records the attempt and answers with the user id when it may sign in. Every failure looks
/// the same to the person: wrong password, unknown email, inactive or blocked account.
pub fn finish_sign_in(
    conn: &mut DbConn,
    candidate: Option<&LoginCandidate>,
    email_given: &str,
    password_ok: bool,
    meta: &RequestMeta,
    now: NaiveDateTime,
) -> diesel::QueryResult<Option<i64>> {
    write_tx(conn, |conn| {
        let Some(user) = candidate else {
            let actor = Actor::system("anonymous");
            let details = serde_json::json!({ "email": email_given, "reason": "unknown_email" });
            audit::record(
                conn,
                Event {
                    org_id: None,
                    actor: &actor,
                    action: action::SIGN_IN_FAILED,
                    target: None,
                    details,
                    meta,
                },
                now,
            )?;
            return Ok(None);
        };
        let actor = Actor::user(user.id, &user.email);
        let target = Some((user.id, user.email.as_str()));
        let refusal = if !password_ok {
            Some("wrong_password")
        } else if user.status != status::ACTIVE {
            Some("not_active")
        } else if user.locked_at.is_some() {
            Some("blocked")
        } else {
            None
        };
        if let Some(reason) = refusal {
            if reason == "wrong_password" {
                store::record_failed_sign_in(conn, user.id, now, &meta.ip)?;
            }
            let details = serde_json::json!({ "reason": reason });
            audit::record(
                conn,
                Event {
                    org_id: Some(user.org_id),
                    actor: &actor,
                    action: action::SIGN_IN_FAILED,
                    target,
                    details,
                    meta,
                },
                now,
            )?;
            return Ok(None);
        }
        store::record_sign_in(conn, user.id, now)?;
        let details = serde_json::json!({});
        audit::record(
            conn,
            Event {
                org_id: Some(user.org_id),
                actor: &actor,
                action: action::SIGN_IN,
                target,
                details,
                meta,
            },
            now,
        )?;
        Ok(Some(user.id))
    })
}

pub fn record_sign_out(
    conn: &mut DbConn,
    user_id: i64,
    meta: &RequestMeta,
    now: NaiveDateTime,
) -> diesel::QueryResult<()> {
    let Some(user) = store::session_user(conn, user_id)? else {
        return Ok(());
    };
    let actor = Actor::user(user.id, &user.email);
    let details = serde_json::json!({});
    write_tx(conn, |conn| {
        audit::record(
            conn,
            Event {
                org_id: Some(user.org_id),
                actor: &actor,
                action: action::SIGN_OUT,
                target: Some((user.id, &user.email)),
                details,
                meta,
            },
            now,
        )
    })
}
