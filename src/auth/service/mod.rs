//! Sign-in outcomes, written with their audit events.

use chrono::NaiveDateTime;

use super::store::{self, LoginCandidate};

use crate::audit::Origin;
use crate::audit::{self, action, Actor, Event};
use crate::auth::tokens;
use crate::db::{write_tx, DbConn};
use crate::mail::{self};
use crate::mfa::Method;
use crate::settings::store::{policy, Policy};
use crate::users::status;

mod unblock;

pub use unblock::*;

/// How a password sign-in ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignIn {
    /// Refused; the person sees the one generic message whatever the reason.
    Refused,
    /// The password was right, but the account's login IP allowlist leaves this address out.
    NotFromHere,
    /// The password was right, but the organization requires its provider (Require SSO).
    SsoRequired,
    /// The password was right, but the account has product access only: never the console.
    ProductOnly,
    /// The password was right, but the account is blocked for inactivity (for `days` days
    /// nobody signed in): an administrator unblocks it.
    BlockedForInactivity { days: i32 },
    /// Signed in: no second factor is asked of this account.
    Complete(i64),
    /// The password was right and a second step must follow (the code was emailed already
    /// for `Method::Email`).
    SecondStep { user_id: i64, method: Method },
}

impl SignIn {
    /// The outcome's name in `/metrics`.
    pub fn label(&self) -> &'static str {
        match self {
            SignIn::Refused => "refused",
            SignIn::NotFromHere => "ip_not_allowed",
            SignIn::SsoRequired => "sso_required",
            SignIn::ProductOnly => "product_only",
            SignIn::BlockedForInactivity { .. } => "blocked_inactivity",
            SignIn::Complete(_) => "complete",
            SignIn::SecondStep { .. } => "second_step",
        }
    }
}

/// What the person proved: their password (right or wrong), or their identity at one of the
/// organization's providers (`mfa`: the provider's second factor counts).
#[derive(Debug, Clone, Copy)]
pub enum Credential<'a> {
    Password(bool),
    Provider { name: &'a str, mfa: bool },
}

/// A sign-in with an address nobody has: audited without an organization.
fn record_unknown_email(
    conn: &mut DbConn,
    email_given: &str,
    meta: &Origin,
    now: NaiveDateTime,
) -> diesel::QueryResult<()> {
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
    )
}

/// Why a known person may not come in now, if they may not (the checks after the
/// credential: status, blocks, network, product access, Require SSO).
fn refusal_of(
    conn: &mut DbConn,
    user: &LoginCandidate,
    (password_ok, credential): (bool, Credential<'_>),
    blocked: bool,
    for_inactivity: bool,
    meta: &Origin,
) -> diesel::QueryResult<Option<&'static str>> {
    Ok(if !password_ok {
        Some("wrong_password")
    } else if user.status != status::ACTIVE {
        Some("not_active")
    } else if blocked && for_inactivity {
        Some("blocked_inactivity")
    } else if blocked {
        Some("blocked")
    } else if !user.signs_in_from(&meta.ip) {
        Some("ip_not_allowed")
    } else if crate::users::product_access::is_product_only(conn, user.id)? {
        Some("product_access_only")
    } else if matches!(credential, Credential::Password(_))
        && crate::sso::store::policy(conn, user.org_id)?.required
        && !store::role_names(conn, user.id)?
            .iter()
            .any(|r| r == crate::auth::permissions::OWNER)
    {
        // Require SSO: members sign in through the provider; Owners keep their password.
        Some("sso_required")
    } else {
        None
    })
}

/// Records the attempt and says how it ends. Every failure looks the same to the person: wrong
/// password, unknown email, inactive or blocked account.
pub fn finish_sign_in(
    conn: &mut DbConn,
    candidate: Option<&LoginCandidate>,
    email_given: &str,
    credential: Credential<'_>,
    base_url: &str,
    meta: &Origin,
    now: NaiveDateTime,
) -> diesel::QueryResult<SignIn> {
    let password_ok = !matches!(credential, Credential::Password(false));
    write_tx(conn, |conn| {
        let Some(user) = candidate else {
            record_unknown_email(conn, email_given, meta, now)?;
            return Ok(SignIn::Refused);
        };
        let policy = policy(conn, user.org_id)?;
        let mut blocked = user.locked_at.is_some();
        let mut for_inactivity = blocked && user.lock_reason.as_deref() == Some("inactivity");
        if !blocked && user.status == status::ACTIVE {
            blocked = super::inactivity::block_if_due(
                conn,
                &super::inactivity::Quiet {
                    user_id: user.id,
                    org_id: user.org_id,
                    email: &user.email,
                    first_name: &user.first_name,
                    since: user.quiet_since(),
                },
                &policy,
                meta,
                now,
            )?;
            for_inactivity = blocked;
        }
        let refusal = refusal_of(
            conn,
            user,
            (password_ok, credential),
            blocked,
            for_inactivity,
            meta,
        )?;
        if let Some(reason) = refusal {
            if reason == "wrong_password" && !blocked {
                count_failure(conn, user, &policy, base_url, meta, now)?;
            }
            record_failure(conn, user, reason, None, meta, now)?;
            return Ok(match reason {
                "ip_not_allowed" => SignIn::NotFromHere,
                "sso_required" => SignIn::SsoRequired,
                "product_access_only" => SignIn::ProductOnly,
                // Said only after the right password: it tells nothing to someone guessing.
                "blocked_inactivity" => SignIn::BlockedForInactivity {
                    days: policy.lock_after_inactive_days,
                },
                _ => SignIn::Refused,
            });
        }
        let trusted = match credential {
            Credential::Provider { name, mfa: true } => Some(name),
            _ => None,
        };
        if trusted.is_none() {
            if let Some(method) = crate::mfa::service::second_step(conn, user, &policy, now)? {
                return Ok(SignIn::SecondStep {
                    user_id: user.id,
                    method,
                });
            }
        }
        let how = match credential {
            Credential::Provider { name, mfa } => {
                serde_json::json!({ "via": name, "provider_mfa": mfa })
            }
            Credential::Password(_) => serde_json::json!({}),
        };
        record_sign_in_event(conn, user, how, meta, now)?;
        Ok(SignIn::Complete(user.id))
    })
}

/// The sign-in succeeded (after the second step, when there was one): the failure count
/// starts again and the event is written.
pub fn complete_sign_in(
    conn: &mut DbConn,
    user: &LoginCandidate,
    second_factor: Option<&str>,
    meta: &Origin,
    now: NaiveDateTime,
) -> diesel::QueryResult<()> {
    let details = match second_factor {
        Some(factor) => serde_json::json!({ "second_factor": factor }),
        None => serde_json::json!({}),
    };
    record_sign_in_event(conn, user, details, meta, now)
}

/// The sign-in event, with how the person got in.
fn record_sign_in_event(
    conn: &mut DbConn,
    user: &LoginCandidate,
    details: serde_json::Value,
    meta: &Origin,
    now: NaiveDateTime,
) -> diesel::QueryResult<()> {
    store::record_sign_in(conn, user.id, now)?;
    audit::record(
        conn,
        Event {
            org_id: Some(user.org_id),
            actor: &Actor::user(user.id, &user.email),
            action: action::SIGN_IN,
            target: Some((user.id, &user.email)),
            details,
            meta,
        },
        now,
    )
}

/// The sign-in event of a person let in by an emailed link (`via`: "invitation", "sign-up",
/// "setup"), in the transaction that created or activated their account.
pub fn record_link_sign_in(
    conn: &mut DbConn,
    org_id: i64,
    user: (i64, &str),
    via: &str,
    meta: &Origin,
    now: NaiveDateTime,
) -> diesel::QueryResult<()> {
    audit::record(
        conn,
        Event {
            org_id: Some(org_id),
            actor: &Actor::user(user.0, user.1),
            action: action::SIGN_IN,
            target: Some(user),
            details: serde_json::json!({ "via": via }),
            meta,
        },
        now,
    )
}

/// The failed sign-in event (`method`: the second step that failed, if it was that).
pub fn record_failure(
    conn: &mut DbConn,
    user: &LoginCandidate,
    reason: &str,
    method: Option<Method>,
    meta: &Origin,
    now: NaiveDateTime,
) -> diesel::QueryResult<()> {
    let mut details = serde_json::json!({ "reason": reason });
    if let Some(method) = method {
        details["second_factor"] = method.as_str().into();
    }
    audit::record(
        conn,
        Event {
            org_id: Some(user.org_id),
            actor: &Actor::user(user.id, &user.email),
            action: action::SIGN_IN_FAILED,
            target: Some((user.id, &user.email)),
            details,
            meta,
        },
        now,
    )
}

/// One more consecutive failure (a wrong password or a wrong code); at the organization's
/// limit the account is blocked. Counted in one statement, so concurrent failures lose none.
pub fn count_failure(
    conn: &mut DbConn,
    user: &LoginCandidate,
    policy: &Policy,
    base_url: &str,
    meta: &Origin,
    now: NaiveDateTime,
) -> diesel::QueryResult<bool> {
    store::record_failed_sign_in(conn, user.id, now, &meta.ip)?;
    let limit = policy.max_failed_logins;
    if limit > 0 && store::block_if_over(conn, user.id, limit, now)? {
        block_for_failures(conn, user, limit, base_url, meta, now)?;
        return Ok(true);
    }
    Ok(false)
}

pub fn record_sign_out(
    conn: &mut DbConn,
    user_id: i64,
    meta: &Origin,
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

/// How long the emailed unblock link stays valid.
pub const UNBLOCK_LINK_HOURS: i64 = 24;

/// The account was just blocked: its sessions end, the person gets an unblock link, and the
/// block is audited, all in the sign-in's transaction.
fn block_for_failures(
    conn: &mut DbConn,
    user: &LoginCandidate,
    failures: i32,
    base_url: &str,
    meta: &Origin,
    now: NaiveDateTime,
) -> diesel::QueryResult<()> {
    store::delete_user_sessions(conn, user.id)?;
    let secret = tokens::random_token();
    let expires = now + chrono::Duration::hours(UNBLOCK_LINK_HOURS);
    store::insert_token(
        conn,
        tokens::kind::UNBLOCK,
        Some(user.org_id),
        Some(user.id),
        &tokens::hash_token(&secret),
        expires,
        now,
    )?;
    let link = format!("{base_url}/unblock/{secret}");
    let text = mail::views::BlockedText {
        first_name: &user.first_name,
        email: &user.email,
        failures,
        link: &link,
    };
    let email = mail::views::blocked_email(user.org_id, user.id, &user.email, text);
    mail::store::enqueue(conn, &email, now)?;
    let actor = Actor::system("sign-in protection");
    let details = serde_json::json!({ "reason": "failed_logins", "failures": failures });
    audit::record(
        conn,
        Event {
            org_id: Some(user.org_id),
            actor: &actor,
            action: action::BLOCKED,
            target: Some((user.id, &user.email)),
            details,
            meta,
        },
        now,
    )
}
