//! What a checked ID token leads to: the linked person, a link by OAuth Email or email, a
//! person created through auto sign-up (`join`), an accepted invitation, or a refusal with its
//! reason; links made and removed, and the audit rows of refusals and tests.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::join::join;
use super::{record, SsoError};
use crate::audit::{self, action, Actor, Event, Origin};
use crate::auth::store::{self as auth_store, LoginCandidate};
use crate::db::{write_tx, DbConn};
use crate::orgs::domains;
use crate::sso::oidc::Claims;
use crate::sso::store::{self, Provider};
use crate::users::store as users_store;

/// Why a sign-in through a provider is refused: `reason` for the audit log.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub reason: &'static str,
    pub message: String,
}

impl Refusal {
    pub(super) fn new(reason: &'static str, message: impl Into<String>) -> Self {
        Refusal {
            reason,
            message: message.into(),
        }
    }
}

/// Writes a refused sign-in through a provider to the organization's audit log.
pub fn record_refusal(
    conn: &mut DbConn,
    provider: &Provider,
    (email, reason): (Option<&str>, &str),
    (meta, now): (&Origin, NaiveDateTime),
) -> QueryResult<()> {
    let actor = Actor::system(&format!("sign-in with {}", provider.name));
    let details = serde_json::json!({ "via": provider.name, "email": email, "reason": reason });
    write_tx(conn, |conn| {
        record(
            conn,
            (&actor, provider.org_id),
            (action::SIGN_IN_FAILED, None, details),
            (meta, now),
        )
    })
}

/// An answer whose state no sign-in started (forged, or long gone): audited without an
/// organization, as a sign-in with an unknown email is.
pub fn record_unknown_state(
    conn: &mut DbConn,
    (meta, now): (&Origin, NaiveDateTime),
) -> QueryResult<()> {
    let actor = Actor::system("anonymous");
    let details = serde_json::json!({ "via": "single sign-on", "reason": "unknown_state" });
    write_tx(conn, |conn| {
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
    })
}

/// The verified address the provider gave, unless it belongs to another organization.
fn verified_email(
    conn: &mut DbConn,
    provider: &Provider,
    claims: &Claims,
) -> Result<Result<String, Refusal>, diesel::result::Error> {
    let Some(email) = claims.email.clone() else {
        return Ok(Err(Refusal::new(
            "no_email",
            format!("{} sent no email address: ask an administrator to check the provider's email claim.", provider.name),
        )));
    };
    if !claims.email_verified {
        return Ok(Err(Refusal::new(
            "unverified_email",
            format!(
                "{} has not verified {email}: verify it there, then sign in again.",
                provider.name
            ),
        )));
    }
    let domain = domains::domain_of(&email);
    let workspace_domain = claims.all.get("hd").and_then(serde_json::Value::as_str);
    if provider.preset == "google" && workspace_domain != Some(domain.as_str()) {
        // Any Google account can pass Google: only the organization's managed ones count.
        return Ok(Err(Refusal::new(
            "unmanaged_account",
            format!("{email} is not an account of your organization's Google Workspace: sign in with your work account."),
        )));
    }
    if let Some(owner) = store::domain_owner(conn, &domain)? {
        if owner != provider.org_id {
            return Ok(Err(Refusal::new(
                "other_organization",
                format!("{email} belongs to another organization: sign in there."),
            )));
        }
    }
    Ok(Ok(email))
}

/// The organization's user whose OAuth Email field holds this address — only while the field
/// is its administrators' alone (a person who could type their own would catch a colleague's
/// first sign-in), and only when one user holds it.
fn by_oauth_email(conn: &mut DbConn, org_id: i64, email: &str) -> QueryResult<Option<i64>> {
    use crate::db::schema::{user_field_values, user_fields, users};
    let holders: Vec<i64> = user_field_values::table
        .inner_join(user_fields::table)
        .inner_join(users::table)
        .filter(user_fields::org_id.eq(org_id))
        .filter(user_fields::field_key.eq(crate::sso::OAUTH_EMAIL))
        .filter(user_fields::access.eq(crate::fields::Access::Admins.code()))
        .filter(user_field_values::value.eq(email))
        .select(users::id)
        .limit(2)
        .load(conn)?;
    Ok(match holders.as_slice() {
        [one] => Some(*one),
        _ => None,
    })
}

/// Whether a matched person may be linked now: active and unblocked (anyone else is refused
/// by the sign-in, with the reason, and no link is left behind).
fn linkable(user: &LoginCandidate) -> bool {
    user.status == crate::users::status::ACTIVE && user.locked_at.is_none()
}

/// Who a checked ID token signs in, or why nobody.
pub enum Resolved {
    User(Box<LoginCandidate>),
    Refused(Refusal),
}

/// Signing in: the person linked to the subject; else the organization's user whose OAuth
/// Email or email is the provider's verified address (linked now); else, with auto sign-up,
/// a new user. One transaction with its audit rows.
pub fn resolve(
    conn: &mut DbConn,
    provider: &Provider,
    claims: &Claims,
    (meta, now): (&Origin, NaiveDateTime),
) -> Result<Resolved, diesel::result::Error> {
    write_tx(conn, |conn| {
        if let Some(identity) = store::identity_by_subject(conn, provider.id, &claims.subject)? {
            store::touch_identity(conn, identity.id, now)?;
            return candidate(conn, identity.user_id);
        }
        let email = match verified_email(conn, provider, claims)? {
            Ok(email) => email,
            Err(refusal) => return Ok(Resolved::Refused(refusal)),
        };
        // Their email first; the OAuth Email field only when no email matches.
        let found = match auth_store::find_login_candidate(conn, &email)?
            .filter(|c| c.org_id == provider.org_id)
        {
            Some(user) => Some(user.id),
            None => by_oauth_email(conn, provider.org_id, &email)?,
        };
        let user_id = match found {
            Some(user_id) if is_owner(conn, user_id)? => {
                // The Owner's account is never taken over by an address: they link it
                // themselves, signed in, from My account.
                return Ok(Resolved::Refused(Refusal::new(
                    "owner_not_linked",
                    format!("The Owner signs in with {} only after linking it on My account: sign in with your password first.", provider.name),
                )));
            }
            Some(user_id) => user_id,
            None => match join(conn, provider, claims, &email, (meta, now))? {
                Ok(user_id) => user_id,
                Err(refusal) => return Ok(Resolved::Refused(refusal)),
            },
        };
        let resolved = candidate(conn, user_id)?;
        if let Resolved::User(user) = &resolved {
            if !linkable(user) {
                return Ok(resolved);
            }
            if store::identities_of(conn, user_id)?
                .iter()
                .any(|i| i.provider_id == provider.id)
            {
                return Ok(Resolved::Refused(Refusal::new(
                    "linked_to_another_subject",
                    format!("This account is linked to another {} account: sign in with that one, or ask an administrator to unlink it.", provider.name),
                )));
            }
            link_user(conn, provider, (user_id, claims, &email), (meta, now))?;
        }
        Ok(resolved)
    })
}

fn is_owner(conn: &mut DbConn, user_id: i64) -> QueryResult<bool> {
    Ok(auth_store::role_names(conn, user_id)?
        .iter()
        .any(|r| r == crate::auth::permissions::OWNER))
}

fn candidate(conn: &mut DbConn, user_id: i64) -> QueryResult<Resolved> {
    Ok(match auth_store::login_candidate(conn, user_id)? {
        Some(user) => Resolved::User(Box::new(user)),
        None => Resolved::Refused(Refusal::new("not_a_user", "Your account no longer exists.")),
    })
}

/// Links the user to the provider's subject, audited.
fn link_user(
    conn: &mut DbConn,
    provider: &Provider,
    (user_id, claims, email): (i64, &Claims, &str),
    (meta, now): (&Origin, NaiveDateTime),
) -> QueryResult<()> {
    store::insert_identity(
        conn,
        (provider.org_id, user_id, provider.id),
        (&claims.subject, email),
        now,
    )?;
    let target_email = users_store::email_of(conn, user_id)?.unwrap_or_default();
    let actor = Actor::user(user_id, &target_email);
    let details = serde_json::json!({ "provider": provider.name, "email": email });
    record(
        conn,
        (&actor, provider.org_id),
        (action::SSO_LINKED, Some((user_id, &target_email)), details),
        (meta, now),
    )
}

/// A signed-in person links their account to the provider (My account): refused when the
/// provider's subject is someone else's already.
pub fn link_signed_in(
    conn: &mut DbConn,
    provider: &Provider,
    (user_id, claims): (i64, &Claims),
    (meta, now): (&Origin, NaiveDateTime),
) -> Result<Result<(), Refusal>, diesel::result::Error> {
    write_tx(conn, |conn| {
        if let Some(identity) = store::identity_by_subject(conn, provider.id, &claims.subject)? {
            return Ok(if identity.user_id == user_id {
                Ok(())
            } else {
                Err(Refusal::new(
                    "linked_to_another",
                    format!(
                        "This {} account is linked to another user already.",
                        provider.name
                    ),
                ))
            });
        }
        let mine = store::identities_of(conn, user_id)?;
        if mine.iter().any(|i| i.provider_id == provider.id) {
            return Ok(Err(Refusal::new(
                "already_linked",
                format!(
                    "Your account is linked to another {} account already: unlink it first.",
                    provider.name
                ),
            )));
        }
        let email = claims.email.clone().unwrap_or_default();
        link_user(conn, provider, (user_id, claims, &email), (meta, now))?;
        Ok(Ok(()))
    })
}

/// Removes one of a user's links (the caller checked who may), audited.
pub fn unlink(
    conn: &mut DbConn,
    (actor, org_id): (&Actor, i64),
    (user_id, identity_id): (i64, i64),
    (meta, now): (&Origin, NaiveDateTime),
) -> Result<store::Identity, SsoError> {
    write_tx(conn, |conn| {
        let identity = store::identities_of(conn, user_id)?
            .into_iter()
            .find(|i| i.id == identity_id)
            .ok_or(SsoError::NotFound)?;
        store::delete_identity(conn, user_id, identity_id)?;
        let email = users_store::email_of(conn, user_id)?.unwrap_or_default();
        let details =
            serde_json::json!({ "provider": identity.provider_name, "email": identity.email });
        record(
            conn,
            (actor, org_id),
            (action::SSO_UNLINKED, Some((user_id, &email)), details),
            (meta, now),
        )?;
        Ok(identity)
    })
}

/// An invited person accepts by signing in with the provider: its verified address must be
/// the invitation's. The invitation is used, the person active (no password) and linked.
pub fn accept_invite(
    conn: &mut DbConn,
    provider: &Provider,
    (secret, claims): (&str, &Claims),
    (meta, now): (&Origin, NaiveDateTime),
) -> Result<Result<i64, Refusal>, diesel::result::Error> {
    write_tx(conn, |conn| {
        let email = match verified_email(conn, provider, claims)? {
            Ok(email) => email,
            Err(refusal) => return Ok(Err(refusal)),
        };
        let invited = match crate::invites::service::look_up(conn, secret, now)? {
            crate::invites::service::InviteLink::Valid { invitee, .. } => invitee,
            crate::invites::service::InviteLink::Unusable => {
                return Ok(Err(Refusal::new(
                    "invitation",
                    "This invitation link is invalid, expired or already used.",
                )))
            }
        };
        if invited.org_id != provider.org_id || !invited.email.eq_ignore_ascii_case(&email) {
            return Ok(Err(Refusal::new(
                "invitation_email",
                format!(
                    "The invitation is for {}, but {} signed you in as {email}. Sign in there as {} instead.",
                    invited.email, provider.name, invited.email
                ),
            )));
        }
        let Some(user_id) = crate::invites::service::accept(conn, secret, None, meta, now)? else {
            return Ok(Err(Refusal::new(
                "invitation",
                "This invitation link is invalid, expired or already used.",
            )));
        };
        link_user(conn, provider, (user_id, claims, &email), (meta, now))?;
        Ok(Ok(user_id))
    })
}

/// Test sign-in's audit row: who tried the provider, and which claims came back (names only).
pub fn record_test(
    conn: &mut DbConn,
    provider: &Provider,
    user_id: i64,
    claims: &serde_json::Value,
    (meta, now): (&Origin, NaiveDateTime),
) -> QueryResult<()> {
    let email = users_store::email_of(conn, user_id)?.unwrap_or_default();
    let actor = Actor::user(user_id, &email);
    let names: Vec<&String> = claims
        .as_object()
        .map(|o| o.keys().collect())
        .unwrap_or_default();
    let details = serde_json::json!({ "provider": provider.name, "claims": names });
    write_tx(conn, |conn| {
        record(
            conn,
            (&actor, provider.org_id),
            (action::SSO_TESTED, None, details),
            (meta, now),
        )
    })
}
