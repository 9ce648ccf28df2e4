//! The rules of the second step and of setting it up, each change written with its audit event
//! in the same transaction.

use chrono::NaiveDateTime;
use diesel::QueryResult;

use super::{codes, store, Method};
use crate::account::service::Me;
use crate::audit::Origin;
use crate::audit::{self, action, Actor, Event};
use crate::auth::service::{complete_sign_in, count_failure, record_failure};
use crate::auth::store::{self as auth_store, LoginCandidate};
use crate::db::{write_tx, DbConn};
use crate::mail;
use crate::settings::store::{policy, Policy};
use crate::users::authority::{self, Act, Denied, Editor};
use crate::users::status;

/// Whether the organization's policy asks a second factor of this user (by their roles or
/// by a permission they hold).
pub fn required(conn: &mut DbConn, user_id: i64, policy: &Policy) -> QueryResult<bool> {
    let roles = auth_store::role_names(conn, user_id)?;
    let held = match auth_store::org_of(conn, user_id)? {
        Some(org_id) => authority::standing_of(conn, org_id, user_id)?
            .map(|s| s.permissions)
            .unwrap_or_default(),
        None => Default::default(),
    };
    Ok(policy.mfa_required_of(roles.iter().map(String::as_str), held))
}

/// What the sign-in asks after a right password (inside the sign-in's transaction): the
/// authenticator app when the user has one, else an emailed code when their role requires a
/// second factor, else nothing.
pub fn second_step(
    conn: &mut DbConn,
    user: &LoginCandidate,
    policy: &Policy,
    now: NaiveDateTime,
) -> QueryResult<Option<Method>> {
    if user.totp_secret.is_some() {
        return Ok(Some(Method::Totp));
    }
    if !required(conn, user.id, policy)? {
        return Ok(None);
    }
    send_email_code(conn, user, now)?;
    Ok(Some(Method::Email))
}

/// Emails a new 6-digit code (valid 10 minutes, 5 tries); earlier codes stop working.
pub fn send_email_code(
    conn: &mut DbConn,
    user: &LoginCandidate,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let (code, salt) = codes::new_email_code();
    let expires = now + chrono::Duration::minutes(codes::EMAIL_CODE_MINUTES);
    store::replace_email_code(
        conn,
        user.org_id,
        user.id,
        &codes::email_code_hash(&salt, &code),
        &salt,
        expires,
        now,
    )?;
    let message = mail::Simple {
        first_name: &user.first_name,
        paragraphs: vec![
            format!("Your Gatehouse sign-in code is {code}"),
            format!(
                "Type it on the sign-in page. It works once, for {} minutes.",
                codes::EMAIL_CODE_MINUTES
            ),
        ],
        link: None,
        footer: "If you did not just sign in, someone knows your password: change it on My account and tell an administrator.",
    };
    mail::store::enqueue(
        conn,
        &message.email(
            Some(user.org_id),
            Some(user.id),
            "sign_in_code",
            &user.email,
            "Your Gatehouse sign-in code",
        ),
        now,
    )
}

/// How a typed code was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verified {
    SignedIn,
    /// Wrong (or replayed) code; the failure was counted.
    Wrong,
    /// The emailed code expired or ran out of tries: a new one must be sent.
    CodeUsedUp,
    /// The account cannot sign in (blocked by this failure, deactivated meanwhile).
    Refused,
}

/// Checks the second step. Failures count toward the lockout like wrong passwords, and every
/// outcome is audited.
pub fn verify(
    conn: &mut DbConn,
    user_id: i64,
    method: Method,
    code: &str,
    base_url: &str,
    meta: &Origin,
    now: NaiveDateTime,
) -> QueryResult<Verified> {
    write_tx(conn, |conn| {
        let Some(user) = auth_store::login_candidate(conn, user_id)? else {
            return Ok(Verified::Refused);
        };
        if user.status != status::ACTIVE || user.locked_at.is_some() {
            return Ok(Verified::Refused);
        }
        let used = match method {
            Method::Totp => check_app_code(conn, &user, code, meta, now)?,
            Method::Email => {
                let Some(token) = store::current_email_code(conn, user.id, now)? else {
                    return Ok(Verified::CodeUsedUp);
                };
                let typed = codes::email_code_hash(&token.payload, code);
                if typed == token.token_hash && store::use_email_code(conn, token.id, now)? {
                    Some("email")
                } else {
                    store::count_email_code_try(conn, token.id, codes::EMAIL_CODE_TRIES, now)?;
                    None
                }
            }
        };
        if let Some(factor) = used {
            complete_sign_in(conn, &user, Some(factor), meta, now)?;
            return Ok(Verified::SignedIn);
        }
        let policy = policy(conn, user.org_id)?;
        let blocked = count_failure(conn, &user, &policy, base_url, meta, now)?;
        record_failure(conn, &user, "wrong_code", Some(method), meta, now)?;
        Ok(if blocked {
            Verified::Refused
        } else {
            Verified::Wrong
        })
    })
}

/// An authenticator code (each step once) or one of the recovery codes; the factor used.
fn check_app_code(
    conn: &mut DbConn,
    user: &LoginCandidate,
    code: &str,
    meta: &Origin,
    now: NaiveDateTime,
) -> QueryResult<Option<&'static str>> {
    let Some((secret, _)) = store::totp_of(conn, user.id)? else {
        return Ok(None);
    };
    if codes::is_recovery_format(code) {
        if !store::use_recovery_code(conn, user.id, &codes::recovery_hash(code), now)? {
            return Ok(None);
        }
        let left = store::recovery_codes_left(conn, user.id)?;
        audit::record(
            conn,
            Event {
                org_id: Some(user.org_id),
                actor: &Actor::user(user.id, &user.email),
                action: action::RECOVERY_CODE_USED,
                target: Some((user.id, &user.email)),
                details: serde_json::json!({ "codes_left": left }),
                meta,
            },
            now,
        )?;
        return Ok(Some("recovery_code"));
    }
    let Some(step) = codes::totp_step(&secret, code, now.and_utc().timestamp()) else {
        return Ok(None);
    };
    Ok(store::use_totp_step(conn, user.id, step)?.then_some("totp"))
}

/// Sets up the authenticator app once the person typed a code from it; the ten recovery
/// codes to show once, or `None` when the code was wrong.
pub fn enable_totp(
    conn: &mut DbConn,
    me: &Me,
    secret: &str,
    code: &str,
    meta: &Origin,
    now: NaiveDateTime,
) -> QueryResult<Option<Vec<String>>> {
    let Some(step) = codes::totp_step(secret, code, now.and_utc().timestamp()) else {
        return Ok(None);
    };
    write_tx(conn, |conn| {
        store::enable_totp(conn, me.user_id, secret, step, now)?;
        let recovery = codes::new_recovery_codes();
        let hashes: Vec<String> = recovery.iter().map(|c| codes::recovery_hash(c)).collect();
        store::replace_recovery_codes(conn, me.user_id, &hashes, now)?;
        me.record(conn, action::TOTP_ENABLED, serde_json::json!({}), meta, now)?;
        notify(
            conn,
            me,
            "An authenticator app was added to your Gatehouse account. From now on, signing in asks for a code from it.",
            now,
        )?;
        Ok(Some(recovery))
    })
}

/// Removes one's own authenticator app (and recovery codes); false when there was none.
pub fn disable_totp(
    conn: &mut DbConn,
    me: &Me,
    meta: &Origin,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    write_tx(conn, |conn| {
        if !store::remove_totp(conn, me.user_id, now)? {
            return Ok(false);
        }
        me.record(
            conn,
            action::TOTP_DISABLED,
            serde_json::json!({}),
            meta,
            now,
        )?;
        notify(
            conn,
            me,
            "The authenticator app was removed from your Gatehouse account on My account.",
            now,
        )?;
        Ok(true)
    })
}

/// Ten new recovery codes in place of the old ones; `None` without an authenticator app.
pub fn regenerate_recovery_codes(
    conn: &mut DbConn,
    me: &Me,
    meta: &Origin,
    now: NaiveDateTime,
) -> QueryResult<Option<Vec<String>>> {
    write_tx(conn, |conn| {
        if store::totp_of(conn, me.user_id)?.is_none() {
            return Ok(None);
        }
        let recovery = codes::new_recovery_codes();
        let hashes: Vec<String> = recovery.iter().map(|c| codes::recovery_hash(c)).collect();
        store::replace_recovery_codes(conn, me.user_id, &hashes, now)?;
        me.record(
            conn,
            action::RECOVERY_CODES_RENEWED,
            serde_json::json!({}),
            meta,
            now,
        )?;
        Ok(Some(recovery))
    })
}

/// Reset MFA by an administrator: the user's authenticator app and recovery codes go, and
/// every session of theirs ends. `None` when the user is not in the organization; otherwise
/// whether they had an app.
pub fn reset(
    conn: &mut DbConn,
    editor: &Editor,
    user_id: i64,
    meta: &Origin,
    now: NaiveDateTime,
) -> Result<Option<bool>, Denied> {
    write_tx(conn, |conn| {
        authority::ensure(conn, editor, user_id, Act::ResetCredentials)?;
        let (org_id, actor) = (editor.org_id, &Actor::user(editor.id, &editor.email));
        let Some(user) = auth_store::login_candidate(conn, user_id)?.filter(|u| u.org_id == org_id)
        else {
            return Ok(None);
        };
        let had_app = store::remove_totp(conn, user.id, now)?;
        let ended = auth_store::delete_user_sessions(conn, user.id)?;
        audit::record(
            conn,
            Event {
                org_id: Some(org_id),
                actor,
                action: action::MFA_RESET,
                target: Some((user.id, &user.email)),
                details: serde_json::json!({ "had_app": had_app, "sessions_ended": ended }),
                meta,
            },
            now,
        )?;
        let message = mail::Simple {
            first_name: &user.first_name,
            paragraphs: vec![
                "An administrator reset the two-step verification of your Gatehouse account: the authenticator app and recovery codes no longer work, and you were signed out.".into(),
                "When you next sign in you can set up an authenticator app again on My account.".into(),
            ],
            link: None,
            footer: "If you did not ask for this, tell an administrator of your organization.",
        };
        mail::store::enqueue(
            conn,
            &message.email(
                Some(org_id),
                Some(user.id),
                "mfa_reset",
                &user.email,
                "Your Gatehouse two-step verification was reset",
            ),
            now,
        )?;
        Ok(Some(had_app))
    })
}

fn notify(conn: &mut DbConn, me: &Me, text: &str, now: NaiveDateTime) -> QueryResult<()> {
    let message = mail::Simple {
        first_name: &me.first_name,
        paragraphs: vec![text.to_owned()],
        link: None,
        footer: "If this was not you, tell an administrator of your organization at once.",
    };
    mail::store::enqueue(
        conn,
        &message.email(
            Some(me.org_id),
            Some(me.user_id),
            "mfa_changed",
            &me.actor.label,
            "Your Gatehouse two-step verification changed",
        ),
        now,
    )
}
