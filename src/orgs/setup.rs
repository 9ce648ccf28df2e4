//! Setting up an organization's Owner through the one-time setup link, in two steps: the form
//! (organization name, the Owner's names, email and password), then a 6-digit code emailed to
//! that address. Nothing is created until the right code comes back, so no organization ever
//! has an Owner whose address was not proven; until then the link stays usable, and a mistyped
//! address is corrected on the same link.
//!
//! What the first step typed waits in the setup link's own token row (its `payload`), with the
//! password already hashed (argon2id) and the code only as a salted hash; the row's `attempts`
//! counts the tries at the current code.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use super::service::{insert_with_role, NewOwner, SetupError};
use super::{domains, store};
use crate::audit::Origin;
use crate::audit::{self, action, Actor, Event};
use crate::auth::permissions::OWNER;
use crate::auth::tokens;
use crate::db::{write_tx, DbConn};
use crate::mail;
use crate::mfa::codes;
use crate::users::store as users_store;

/// Codes one setup link may send in all (each allows `codes::EMAIL_CODE_TRIES` tries): enough
/// for typos and lost emails, too few to guess a code by sending more.
pub const CODES_PER_LINK: u32 = 10;

/// What a setup link holds between the two steps.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
struct LinkState {
    /// Codes sent on this link so far (kept when the address is changed).
    #[serde(default)]
    codes_sent: u32,
    /// The filled-in form waiting for its code.
    #[serde(default)]
    pending: Option<PendingOwner>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct PendingOwner {
    org_name: Option<String>,
    first_name: String,
    last_name: String,
    email: String,
    /// argon2id PHC string: the password is never kept in clear.
    password_hash: String,
    code_hash: String,
    code_salt: String,
    code_expires_at: NaiveDateTime,
}

impl LinkState {
    fn parse(payload: &str) -> LinkState {
        serde_json::from_str(payload).unwrap_or_default()
    }

    fn to_payload(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// What the person typed in the first step (no password), to show it again.
#[derive(Debug, Clone, Default)]
pub struct Typed {
    pub org_name: Option<String>,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
}

impl From<&PendingOwner> for Typed {
    fn from(p: &PendingOwner) -> Self {
        Typed {
            org_name: p.org_name.clone(),
            first_name: p.first_name.clone(),
            last_name: p.last_name.clone(),
            email: p.email.clone(),
        }
    }
}

/// A usable setup link as its pages need it.
#[derive(Debug, Clone)]
pub struct SetupLink {
    /// `None`: first-run setup, the form asks for the organization's name too.
    pub org_name: Option<String>,
    /// The form filled in, when a code is out for it.
    pub waiting: Option<Typed>,
}

/// The link behind `secret`, if it is usable.
pub fn look_up(
    conn: &mut DbConn,
    secret: &str,
    now: NaiveDateTime,
) -> diesel::QueryResult<Option<SetupLink>> {
    let Some(link) = store::setup_link(conn, &tokens::hash_token(secret), now)? else {
        return Ok(None);
    };
    let org_name = match link.org_id {
        Some(org_id) => Some(store::name_of(conn, org_id)?),
        None => None,
    };
    let waiting = LinkState::parse(&link.payload)
        .pending
        .as_ref()
        .map(Typed::from);
    Ok(Some(SetupLink { org_name, waiting }))
}

/// First step: keeps the form (password hashed) on the link and emails a code to the address.
/// Returns the address the code went to.
pub fn send_code(
    conn: &mut DbConn,
    secret: &str,
    owner: &NewOwner,
    now: NaiveDateTime,
) -> Result<String, SetupError> {
    write_tx(conn, |conn| {
        let link = store::setup_link(conn, &tokens::hash_token(secret), now)?
            .ok_or(SetupError::InvalidLink)?;
        if users_store::email_taken(conn, &owner.email)? {
            return Err(SetupError::EmailTaken);
        }
        let state = LinkState::parse(&link.payload);
        let pending = PendingOwner {
            org_name: owner.org_name.clone(),
            first_name: owner.first_name.clone(),
            last_name: owner.last_name.clone(),
            email: owner.email.clone(),
            password_hash: owner.password_hash.clone(),
            code_hash: String::new(),
            code_salt: String::new(),
            code_expires_at: now,
        };
        new_code(conn, &link, state, pending, now)?;
        Ok(owner.email.clone())
    })
}

/// "Send a new code": the earlier code stops working. Returns the address.
pub fn resend_code(
    conn: &mut DbConn,
    secret: &str,
    now: NaiveDateTime,
) -> Result<String, SetupError> {
    write_tx(conn, |conn| {
        let link = store::setup_link(conn, &tokens::hash_token(secret), now)?
            .ok_or(SetupError::InvalidLink)?;
        let state = LinkState::parse(&link.payload);
        let pending = state.pending.clone().ok_or(SetupError::NoCode)?;
        let email = pending.email.clone();
        new_code(conn, &link, state, pending, now)?;
        Ok(email)
    })
}

/// "Use a different address": the code stops working and the form comes back with what was
/// typed (the password is asked again).
pub fn change_address(
    conn: &mut DbConn,
    secret: &str,
    now: NaiveDateTime,
) -> Result<Typed, SetupError> {
    write_tx(conn, |conn| {
        let link = store::setup_link(conn, &tokens::hash_token(secret), now)?
            .ok_or(SetupError::InvalidLink)?;
        let mut state = LinkState::parse(&link.payload);
        let typed = state.pending.as_ref().map(Typed::from).unwrap_or_default();
        state.pending = None;
        if !store::replace_setup_state(conn, link.id, &link.payload, &state.to_payload(), true)? {
            return Err(SetupError::Busy);
        }
        Ok(typed)
    })
}

/// Stores a new code for `pending` (with a fresh 10-minute clock and tries) and emails it.
fn new_code(
    conn: &mut DbConn,
    link: &store::SetupLinkRow,
    mut state: LinkState,
    mut pending: PendingOwner,
    now: NaiveDateTime,
) -> Result<(), SetupError> {
    if state.codes_sent >= CODES_PER_LINK {
        return Err(SetupError::TooManyCodes);
    }
    let (code, salt) = codes::new_email_code();
    pending.code_hash = codes::email_code_hash(&salt, &code);
    pending.code_salt = salt;
    pending.code_expires_at = now + chrono::Duration::minutes(codes::EMAIL_CODE_MINUTES);
    let org = match (&pending.org_name, link.org_id) {
        (Some(name), _) => name.clone(),
        (None, Some(org_id)) => store::name_of(conn, org_id)?,
        (None, None) => "your organization".to_owned(),
    };
    let message = mail::Simple {
        first_name: &pending.first_name,
        paragraphs: vec![
            format!("Your Gatehouse setup code is {code}"),
            format!(
                "Type it on the setup page to confirm this address and finish setting up {org}. \
                 It works for {} minutes.",
                codes::EMAIL_CODE_MINUTES
            ),
        ],
        link: None,
        footer: "If you are not setting up Gatehouse, ignore this email: nothing is created without the code.",
    };
    let email = message.email(
        link.org_id,
        None,
        "setup_code",
        &pending.email,
        "Your Gatehouse setup code",
    );
    state.codes_sent += 1;
    state.pending = Some(pending);
    if !store::replace_setup_state(conn, link.id, &link.payload, &state.to_payload(), true)? {
        return Err(SetupError::Busy);
    }
    mail::store::enqueue(conn, &email, now)?;
    Ok(())
}

/// How a typed code was taken.
#[derive(Debug, Clone)]
pub enum Confirmed {
    /// The organization (if the link had none) and its Owner exist; the Owner's id.
    Owner(i64),
    /// Wrong code; the try was counted.
    Wrong { tries_left: i32 },
    /// The code ran out of tries or time: a new one must be sent.
    CodeUsedUp,
    /// Someone took the address between the two steps; the code is void and the form comes
    /// back (with what was typed).
    EmailTaken(Typed),
}

/// Second step: checks the code; the right one uses the link once and creates the
/// organization (if the link has none) and its Owner, audited as setup and as a sign-in.
pub fn confirm(
    conn: &mut DbConn,
    secret: &str,
    code: &str,
    meta: &Origin,
    now: NaiveDateTime,
) -> Result<Confirmed, SetupError> {
    write_tx(conn, |conn| {
        let link = store::setup_link(conn, &tokens::hash_token(secret), now)?
            .ok_or(SetupError::InvalidLink)?;
        let mut state = LinkState::parse(&link.payload);
        let pending = state.pending.clone().ok_or(SetupError::NoCode)?;
        if pending.code_expires_at <= now {
            return Ok(Confirmed::CodeUsedUp);
        }
        // The try counts before the code is compared (one guarded statement), so concurrent
        // tries cannot get past the limit.
        let Some(tries) = store::count_setup_try(conn, link.id, codes::EMAIL_CODE_TRIES)? else {
            return Ok(Confirmed::CodeUsedUp);
        };
        let typed: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        if codes::email_code_hash(&pending.code_salt, &typed) != pending.code_hash {
            let tries_left = codes::EMAIL_CODE_TRIES - tries;
            return Ok(if tries_left > 0 {
                Confirmed::Wrong { tries_left }
            } else {
                Confirmed::CodeUsedUp
            });
        }
        if users_store::email_taken(conn, &pending.email)? {
            state.pending = None;
            store::replace_setup_state(conn, link.id, &link.payload, &state.to_payload(), true)?;
            return Ok(Confirmed::EmailTaken(Typed::from(&pending)));
        }
        // The link is spent: what it held (the password's hash among it) goes with it.
        if !store::replace_setup_state(conn, link.id, &link.payload, "", false)?
            || !crate::auth::store::consume_token(conn, link.id, now)?
        {
            return Err(SetupError::InvalidLink);
        }
        let owner = NewOwner {
            org_name: pending.org_name.clone(),
            first_name: pending.first_name,
            last_name: pending.last_name,
            email: pending.email,
            password_hash: pending.password_hash,
        };
        Ok(Confirmed::Owner(create_owner(
            conn,
            link.org_id,
            &owner,
            meta,
            now,
        )?))
    })
}

/// Creates the organization (when `org_id` is none) and its Owner, whose address the code
/// just proved.
fn create_owner(
    conn: &mut DbConn,
    org_id: Option<i64>,
    owner: &NewOwner,
    meta: &Origin,
    now: NaiveDateTime,
) -> Result<i64, SetupError> {
    let org_id = match org_id {
        Some(org_id) => org_id,
        None => {
            let name = owner.org_name.as_deref().unwrap_or("My organization");
            store::create(conn, name, super::DEFAULT_SEATS, now)?
        }
    };
    // The Owner's domain becomes the first sign-up domain, unless it is a public mail service
    // or another organization's.
    if store::signup_domains_of(conn, org_id)?.is_empty() {
        if let Some(domain) = domains::first_signup_domain(&owner.email) {
            domains::claim(conn, org_id, &domain, now)?;
        }
    }
    let user_id = insert_with_role(conn, org_id, owner, OWNER, now)?;
    let actor = Actor::user(user_id, &owner.email);
    let details = serde_json::json!({
        "organization": owner.org_name,
        "owner": { "email": owner.email, "first_name": owner.first_name, "last_name": owner.last_name },
        "email_confirmed": "emailed code",
    });
    audit::record(
        conn,
        Event {
            org_id: Some(org_id),
            actor: &actor,
            action: action::ORG_SETUP,
            target: Some((user_id, &owner.email)),
            details,
            meta,
        },
        now,
    )?;
    crate::auth::service::record_link_sign_in(
        conn,
        org_id,
        (user_id, &owner.email),
        "setup",
        meta,
        now,
    )?;
    Ok(user_id)
}
