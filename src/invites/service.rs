//! Sending invitations (all rows or none), accepting them, and the auto-signup switch.

use askama::Template;
use chrono::NaiveDateTime;

use super::forms::{RawRow, RowErrors};
use super::store;
use crate::audit::{self, action, Actor, Event};
use crate::auth::{store as auth_store, tokens};
use crate::db::{write_tx, DbConn};
use crate::mail::{self, Email};
use crate::users::{normalize_email, status, store as users_store};
use crate::web::request_meta::RequestMeta;

pub const INVITE_MAIL: &str = "invite";

/// Who sends the invitations.
pub struct Inviter {
    pub id: i64,
    pub org_id: i64,
    pub email: String,
    pub name: String,
    pub permissions: crate::auth::permissions::Permissions,
}

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Messages per row (and per product for seats); nothing was written.
    #[error("some rows need attention")]
    Invalid(Vec<RowErrors>),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

#[derive(Template)]
#[template(path = "invites/email.txt")]
struct InviteText<'a> {
    first_name: &'a str,
    inviter: &'a str,
    org: &'a str,
    link: &'a str,
    days: i32,
}

#[derive(Template)]
#[template(path = "invites/email.html")]
struct InviteHtml<'a> {
    first_name: &'a str,
    inviter: &'a str,
    org: &'a str,
    link: &'a str,
    days: i32,
}

/// The invitation email for one invitee (`user_id`, address `to`) with a fresh link.
fn invite_email(org_id: i64, user_id: i64, to: &str, text: InviteText<'_>) -> Email {
    let html = InviteHtml {
        first_name: text.first_name,
        inviter: text.inviter,
        org: text.org,
        link: text.link,
        days: text.days,
    };
    Email {
        org_id: Some(org_id),
        user_id: Some(user_id),
        kind: INVITE_MAIL,
        to: to.to_owned(),
        subject: format!("{} invited you to {} on Gatehouse", text.inviter, text.org),
        text: text.render().unwrap_or_else(|_| text.link.to_owned()),
        html: html.render().unwrap_or_else(|_| text.link.to_owned()),
    }
}

/// A new single-use invite link for `user_id`; returns the full URL.
fn new_invite_link(
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

/// What an invitee copies from another user: their roles (the grid ticks those within the
/// inviter's access) and their permission overrides within the inviter's own permissions.
#[derive(Debug, Clone)]
pub struct CopiedAccess {
    pub role_ids: Vec<i64>,
    /// (permission, granted)
    pub overrides: Vec<(String, bool)>,
}

impl CopiedAccess {
    pub fn note(&self, email: &str) -> String {
        match self.overrides.len() {
            0 => format!("Roles of {email} ticked."),
            1 => format!("Roles of {email} ticked; their 1 permission override comes too."),
            n => format!("Roles of {email} ticked; their {n} permission overrides come too."),
        }
    }
}

/// The access of the organization's user with `email`, as far as `held` may hand it on.
pub fn access_to_copy(
    conn: &mut DbConn,
    org_id: i64,
    held: crate::auth::permissions::Permissions,
    email: &str,
) -> diesel::QueryResult<Option<CopiedAccess>> {
    use crate::db::schema::users;
    use diesel::prelude::*;
    let source: Option<i64> = users::table
        .filter(users::org_id.eq(org_id))
        .filter(users::email.eq(email))
        .select(users::id)
        .first(conn)
        .optional()?;
    let Some(source) = source else {
        return Ok(None);
    };
    let overrides = crate::auth::store::permission_overrides(conn, source)?
        .into_iter()
        .filter(|(name, _)| {
            crate::auth::permissions::Permission::parse(name).is_some_and(|p| held.has(p))
        })
        .collect();
    Ok(Some(CopiedAccess {
        role_ids: crate::users::edit::store::role_ids(conn, source)?,
        overrides,
    }))
}

/// Sends the grid: every row is saved, holds its seats, gets its link, email and audit event,
/// in one transaction; any problem (an email taken, a seat gone) writes nothing.
pub fn send_invites(
    conn: &mut DbConn,
    inviter: &Inviter,
    rows: &[RawRow],
    base_url: &str,
    meta: &RequestMeta,
    now: NaiveDateTime,
) -> Result<usize, SendError> {
    write_tx(conn, |conn| {
        let org = crate::orgs::store::name_of(conn, inviter.org_id)?;
        let days = store::invite_days(conn, inviter.org_id)?;
        let products = store::products(conn, inviter.org_id)?;
        let mut errors: Vec<RowErrors> = rows.iter().map(|_| RowErrors::default()).collect();
        // Seats first, against what is free now, so each row hears which product ran out.
        for product in &products {
            let wanted: Vec<usize> = rows
                .iter()
                .enumerate()
                .filter(|(_, r)| !r.is_blank() && r.product_ids.contains(&product.id))
                .map(|(i, _)| i)
                .collect();
            if wanted.len() as i32 > product.available() {
                for &i in wanted.iter().skip(product.available() as usize) {
                    errors[i].licenses = Some(seat_message(
                        &product.name,
                        product.available(),
                        wanted.len(),
                    ));
                }
            }
        }
        let actor = Actor::user(inviter.id, &inviter.email);
        let mut sent = 0;
        for (i, row) in rows.iter().enumerate() {
            if row.is_blank() {
                continue;
            }
            let email = normalize_email(&row.email);
            if users_store::email_taken(conn, &email)? {
                errors[i].email =
                    Some("This person already has an account or a pending invitation.".into());
                continue;
            }
            let copied = match normalize_email(&row.copy_from) {
                from if from.is_empty() => None,
                from => match access_to_copy(conn, inviter.org_id, inviter.permissions, &from)? {
                    Some(access) => Some((from, access)),
                    None => {
                        errors[i].roles = Some(format!(
                            "No user of your organization has the email {from}."
                        ));
                        None
                    }
                },
            };
            if !errors[i].is_empty() {
                continue;
            }
            let (first, last) = (row.first_name.trim(), row.last_name.trim());
            let new_user = users_store::NewUser::new(
                inviter.org_id,
                &email,
                first,
                last,
                status::INVITED,
                now,
            );
            let user_id = users_store::insert_user(conn, &new_user)?;
            for role_id in &row.role_ids {
                users_store::add_role(conn, user_id, *role_id)?;
            }
            if let Some((_, access)) = &copied {
                for (permission, granted) in &access.overrides {
                    use crate::db::schema::user_permission_overrides as upo;
                    use diesel::prelude::*;
                    diesel::insert_into(upo::table)
                        .values((
                            upo::user_id.eq(user_id),
                            upo::permission.eq(permission),
                            upo::granted.eq(granted),
                        ))
                        .execute(conn)?;
                }
            }
            for product_id in &row.product_ids {
                if !store::take_seat(conn, *product_id)? {
                    // Someone else took the last seat meanwhile.
                    let name = products
                        .iter()
                        .find(|p| p.id == *product_id)
                        .map(|p| p.name.as_str())
                        .unwrap_or("this product");
                    errors[i].licenses = Some(seat_message(name, 0, 1));
                    break;
                }
                store::assign_license(conn, user_id, *product_id, now)?;
            }
            if !errors[i].is_empty() {
                continue;
            }
            let link = new_invite_link(conn, inviter.org_id, user_id, base_url, days, now)?;
            let text = InviteText {
                first_name: first,
                inviter: &inviter.name,
                org: &org,
                link: &link,
                days,
            };
            mail::store::enqueue(
                conn,
                &invite_email(inviter.org_id, user_id, &email, text),
                now,
            )?;
            let details = serde_json::json!({
                "email": email, "first_name": first, "last_name": last,
                "role_ids": row.role_ids, "product_ids": row.product_ids,
                "copied_from": copied.as_ref().map(|(from, _)| from),
                "overrides": copied.as_ref().map(|(_, a)| a.overrides.iter().map(|(p, g)| (p.clone(), serde_json::json!(if *g { "grant" } else { "deny" }))).collect::<serde_json::Map<_, _>>()),
            });
            audit::record(
                conn,
                Event {
                    org_id: Some(inviter.org_id),
                    actor: &actor,
                    action: action::USER_INVITED,
                    target: Some((user_id, &email)),
                    details,
                    meta,
                },
                now,
            )?;
            sent += 1;
        }
        if errors.iter().any(|e| !e.is_empty()) {
            // Err rolls the whole transaction back: nothing saved, nothing sent.
            return Err(SendError::Invalid(errors));
        }
        Ok(sent)
    })
}

fn seat_message(product: &str, available: i32, wanted: usize) -> String {
    if available == 0 {
        format!("No {product} seats are left. Free a seat or ask whoever manages licenses to add more in Settings.")
    } else {
        format!(
            "Only {available} {product} seat{} left for {wanted} rows. Untick {product} on some rows or add seats in Settings.",
            if available == 1 { "" } else { "s" }
        )
    }
}

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

/// Uses the link once: the invitee gets their password and becomes active.
pub fn accept(
    conn: &mut DbConn,
    secret: &str,
    password_hash: &str,
    meta: &RequestMeta,
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
        audit::record(
            conn,
            Event {
                org_id: Some(user.org_id),
                actor: &actor,
                action: action::INVITE_ACCEPTED,
                target: Some((user.id, &user.email)),
                details: serde_json::json!({}),
                meta,
            },
            now,
        )?;
        crate::auth::service::record_link_sign_in(
            conn,
            user.org_id,
            (user.id, &user.email),
            "invitation",
            meta,
            now,
        )?;
        Ok(Some(user_id))
    })
}

/// Turns Allow users to signup automatically on or off, audited.
pub fn set_auto_signup(
    conn: &mut DbConn,
    actor: &Actor,
    org_id: i64,
    allow: bool,
    meta: &RequestMeta,
    now: NaiveDateTime,
) -> diesel::QueryResult<()> {
    write_tx(conn, |conn| {
        let before = store::allow_auto_signup(conn, org_id)?;
        store::set_allow_auto_signup(conn, org_id, allow)?;
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

#[derive(Debug, thiserror::Error)]
pub enum PendingError {
    #[error("That user does not exist, or belongs to another organization.")]
    NotFound,
    #[error("This person has already accepted the invitation.")]
    NotPending,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// The invitee, if `user_id` is a pending invitation of the inviter's organization.
fn pending_invitee(
    conn: &mut DbConn,
    org_id: i64,
    user_id: i64,
) -> Result<store::Invitee, PendingError> {
    let invitee = store::invitee(conn, user_id)?
        .filter(|u| u.org_id == org_id)
        .ok_or(PendingError::NotFound)?;
    if invitee.status != status::INVITED {
        return Err(PendingError::NotPending);
    }
    Ok(invitee)
}

pub fn pending_name(
    conn: &mut DbConn,
    org_id: i64,
    user_id: i64,
) -> Result<(String, String), PendingError> {
    let invitee = pending_invitee(conn, org_id, user_id)?;
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
    meta: &RequestMeta,
    now: NaiveDateTime,
) -> Result<(), PendingError> {
    write_tx(conn, |conn| {
        let invitee = pending_invitee(conn, inviter.org_id, user_id)?;
        store::retire_invite_tokens(conn, user_id, now)?;
        mail::store::cancel_pending(conn, user_id, INVITE_MAIL)?;
        let org = crate::orgs::store::name_of(conn, inviter.org_id)?;
        let days = store::invite_days(conn, inviter.org_id)?;
        let link = new_invite_link(conn, inviter.org_id, user_id, base_url, days, now)?;
        let text = InviteText {
            first_name: &invitee.first_name,
            inviter: &inviter.name,
            org: &org,
            link: &link,
            days,
        };
        mail::store::enqueue(
            conn,
            &invite_email(inviter.org_id, user_id, &invitee.email, text),
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
    meta: &RequestMeta,
    now: NaiveDateTime,
) -> diesel::QueryResult<()> {
    let licenses = store::release_seats_of(conn, invitee.id)?;
    mail::store::cancel_pending(conn, invitee.id, INVITE_MAIL)?;
    store::delete_user(conn, invitee.id)?;
    let details = serde_json::json!({
        "before": { "email": invitee.email, "first_name": invitee.first_name, "last_name": invitee.last_name, "status": invitee.status },
        "seats_released": licenses,
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
    meta: &RequestMeta,
    now: NaiveDateTime,
) -> Result<(), PendingError> {
    write_tx(conn, |conn| {
        let invitee = pending_invitee(conn, inviter.org_id, user_id)?;
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
        let meta = RequestMeta::default();
        for invitee in &expired {
            remove_invitee(conn, invitee, &actor, action::INVITE_EXPIRED, &meta, now)?;
        }
        Ok(expired.len())
    })
}
