//! Sign-up requests and their confirmation.

use chrono::NaiveDateTime;
use diesel::QueryResult;
use serde::{Deserialize, Serialize};

use crate::audit::Origin;
use crate::audit::{self, action, Actor, Event};
use crate::auth::permissions::AGENT;
use crate::auth::{store as auth_store, tokens};
use crate::db::{write_tx, DbConn};
use crate::mail::{self};
use crate::orgs::domains;
use crate::users::{status, store as users_store};

/// What the confirmation link stands for until the account exists.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pending {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
}

pub enum Requested {
    /// A confirmation email is on its way (or, for a known address, a "you already have an
    /// account" email: the page says the same either way).
    EmailSent,
    /// No organization takes sign-ups from this domain.
    DomainClosed,
}

/// The organization that takes sign-ups from this email's domain, if any. Never for a public
/// mail service, whatever an older install may still hold.
pub fn org_for_email(conn: &mut DbConn, email: &str) -> QueryResult<Option<(i64, String)>> {
    let domain = domains::domain_of(email);
    if domain.is_empty() || domains::is_public(&domain) {
        return Ok(None);
    }
    crate::orgs::store::org_taking_signups_from(conn, &domain)
}

pub fn request(
    conn: &mut DbConn,
    pending: &Pending,
    base_url: &str,
    now: NaiveDateTime,
) -> QueryResult<Requested> {
    write_tx(conn, |conn| {
        let Some((org_id, org)) = org_for_email(conn, &pending.email)? else {
            return Ok(Requested::DomainClosed);
        };
        if users_store::email_taken(conn, &pending.email)? {
            let link = format!("{base_url}/login");
            let text = mail::views::VerifyText {
                first_name: &pending.first_name,
                org: &org,
                link: &link,
                hours: 0,
                exists: true,
            };
            mail::store::enqueue(
                conn,
                &mail::views::signup_email(org_id, &pending.email, text),
                now,
            )?;
            return Ok(Requested::EmailSent);
        }
        let secret = tokens::random_token();
        let payload = serde_json::to_string(pending).unwrap_or_default();
        let expires = now + chrono::Duration::hours(super::VERIFY_HOURS);
        auth_store::insert_token_with_payload(
            conn,
            tokens::kind::VERIFY,
            org_id,
            &tokens::hash_token(&secret),
            &payload,
            expires,
            now,
        )?;
        let link = format!("{base_url}/signup/verify/{secret}");
        let text = mail::views::VerifyText {
            first_name: &pending.first_name,
            org: &org,
            link: &link,
            hours: super::VERIFY_HOURS,
            exists: false,
        };
        mail::store::enqueue(
            conn,
            &mail::views::signup_email(org_id, &pending.email, text),
            now,
        )?;
        Ok(Requested::EmailSent)
    })
}

/// The pending sign-up behind a confirmation link, with its organization's name.
pub fn look_up(
    conn: &mut DbConn,
    secret: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<(Pending, String, usize)>> {
    let Some(token) = auth_store::find_usable_token(
        conn,
        tokens::kind::VERIFY,
        &tokens::hash_token(secret),
        now,
    )?
    else {
        return Ok(None);
    };
    let (Some(org_id), Ok(pending)) = (
        token.org_id,
        serde_json::from_str::<Pending>(&token.payload),
    ) else {
        return Ok(None);
    };
    let org = crate::orgs::store::name_of(conn, org_id)?;
    let min_length = crate::settings::store::policy(conn, org_id)?.min_length();
    Ok(Some((pending, org, min_length)))
}

#[derive(Debug, thiserror::Error)]
pub enum ConfirmError {
    #[error("This confirmation link is invalid, expired or already used.")]
    InvalidLink,
    #[error("An account with this email address exists already. Sign in instead.")]
    EmailTaken,
    #[error(
        "Your organization has stopped automatic sign-up. Ask an administrator for an invitation."
    )]
    Closed,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// Creates the account: active, with the default role and no license.
pub fn confirm(
    conn: &mut DbConn,
    secret: &str,
    password_hash: &str,
    meta: &Origin,
    now: NaiveDateTime,
) -> Result<i64, ConfirmError> {
    write_tx(conn, |conn| {
        let token = auth_store::find_usable_token(
            conn,
            tokens::kind::VERIFY,
            &tokens::hash_token(secret),
            now,
        )?
        .ok_or(ConfirmError::InvalidLink)?;
        let pending: Pending =
            serde_json::from_str(&token.payload).map_err(|_| ConfirmError::InvalidLink)?;
        let org_id = token.org_id.ok_or(ConfirmError::InvalidLink)?;
        if !auth_store::consume_token(conn, token.id, now)? {
            return Err(ConfirmError::InvalidLink);
        }
        if org_for_email(conn, &pending.email)?.map(|(id, _)| id) != Some(org_id) {
            return Err(ConfirmError::Closed);
        }
        if users_store::email_taken(conn, &pending.email)? {
            return Err(ConfirmError::EmailTaken);
        }
        let mut user = users_store::NewUser::new(
            org_id,
            &pending.email,
            &pending.first_name,
            &pending.last_name,
            status::ACTIVE,
            now,
        );
        user.password_hash = Some(password_hash);
        user.password_changed_at = Some(now);
        let user_id = users_store::insert_user(conn, &user).map_err(|e| {
            if crate::db::is_unique_violation(&e) {
                ConfirmError::EmailTaken
            } else {
                e.into()
            }
        })?;
        let role_id = users_store::role_id_by_name(conn, org_id, AGENT)?;
        users_store::add_role(conn, user_id, role_id)?;
        auth_store::record_sign_in(conn, user_id, now)?;
        let actor = Actor::user(user_id, &pending.email);
        let details = serde_json::json!({ "first_name": pending.first_name, "last_name": pending.last_name, "role": AGENT });
        audit::record(
            conn,
            Event {
                org_id: Some(org_id),
                actor: &actor,
                action: action::SIGNED_UP,
                target: Some((user_id, &pending.email)),
                details,
                meta,
            },
            now,
        )?;
        crate::auth::service::record_link_sign_in(
            conn,
            org_id,
            (user_id, &pending.email),
            "sign-up",
            meta,
            now,
        )?;
        Ok(user_id)
    })
}
