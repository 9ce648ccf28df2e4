//! Setup of an organization and its Owner, and the command-line ways in.

use chrono::NaiveDateTime;

use super::store;
use crate::audit::Origin;
use crate::audit::{self, action, Actor, Event};
use crate::auth::permissions::{ADMIN, OWNER};
use crate::auth::{store as auth_store, tokens};
use crate::db::{write_tx, DbConn};
use crate::users::{self, status, store as users_store};

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("This setup link is invalid, expired or already used.")]
    InvalidLink,
    #[error("This email address already has an account.")]
    EmailTaken,
    #[error("No code was sent for this setup link yet.")]
    NoCode,
    #[error("This setup link has sent as many codes as it may.")]
    TooManyCodes,
    #[error("This setup link was used in another window at the same moment.")]
    Busy,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// On a fresh install (no organization yet), a new one-time setup link secret. Links printed
/// by earlier starts stop working: only the newest printed link is valid.
pub fn first_run_link(
    conn: &mut DbConn,
    now: NaiveDateTime,
) -> diesel::QueryResult<Option<String>> {
    write_tx(conn, |conn| {
        if store::count(conn)? > 0 {
            return Ok(None);
        }
        auth_store::retire_unbound_tokens(conn, tokens::kind::SETUP, now)?;
        let secret = tokens::random_token();
        let expires = now + chrono::Duration::days(super::SETUP_LINK_DAYS);
        auth_store::insert_token(
            conn,
            tokens::kind::SETUP,
            None,
            None,
            &tokens::hash_token(&secret),
            expires,
            now,
        )?;
        Ok(Some(secret))
    })
}

/// `gatehouse org create NAME`: the organization and a setup link for its Owner.
pub fn create_org(
    conn: &mut DbConn,
    name: &str,
    now: NaiveDateTime,
) -> diesel::QueryResult<(i64, String)> {
    write_tx(conn, |conn| {
        let org_id = store::create(conn, name, super::DEFAULT_SEATS, now)?;
        let secret = tokens::random_token();
        let expires = now + chrono::Duration::days(super::SETUP_LINK_DAYS);
        auth_store::insert_token(
            conn,
            tokens::kind::SETUP,
            Some(org_id),
            None,
            &tokens::hash_token(&secret),
            expires,
            now,
        )?;
        let actor = Actor::system("command line");
        let details = serde_json::json!({ "name": name });
        let meta = Origin::default();
        audit::record(
            conn,
            Event {
                org_id: Some(org_id),
                actor: &actor,
                action: action::ORG_CREATED,
                target: None,
                details,
                meta: &meta,
            },
            now,
        )?;
        Ok((org_id, secret))
    })
}

/// A validated setup form (or an Admin made on the command line).
pub struct NewOwner {
    pub org_name: Option<String>,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub password_hash: String,
}

pub(super) fn insert_with_role(
    conn: &mut DbConn,
    org_id: i64,
    person: &NewOwner,
    role: &str,
    now: NaiveDateTime,
) -> Result<i64, SetupError> {
    let mut new_user = users_store::NewUser::new(
        org_id,
        &person.email,
        &person.first_name,
        &person.last_name,
        status::ACTIVE,
        now,
    );
    new_user.password_hash = Some(&person.password_hash);
    new_user.password_changed_at = Some(now);
    let user_id = users_store::insert_user(conn, &new_user).map_err(|e| {
        if crate::db::is_unique_violation(&e) {
            SetupError::EmailTaken
        } else {
            SetupError::Database(e)
        }
    })?;
    let role_id = users_store::role_id_by_name(conn, org_id, role)?;
    users_store::add_role(conn, user_id, role_id)?;
    if role == crate::auth::permissions::OWNER {
        use crate::workspaces::{store::join_organization, Level};
        join_organization(conn, org_id, user_id, Level::Owner, now)?;
    }
    Ok(user_id)
}

#[derive(Debug, thiserror::Error)]
pub enum CreateAdminError {
    #[error("no organization is called `{0}` (use its name or slug)")]
    NoSuchOrg(String),
    #[error("{0} already has an account")]
    EmailTaken(String),
    #[error(
        "{0} already has an Owner: make an Admin, and let the Owner hand over ownership if need be"
    )]
    HasOwner(String),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// `gatehouse create-admin`: an Admin in an existing organization, or (`owner`) the Owner of
/// one that has none yet (made by `gatehouse org create`; its setup link stops working).
pub fn create_admin(
    conn: &mut DbConn,
    org_key: &str,
    (person, owner): (&NewOwner, bool),
    now: NaiveDateTime,
) -> Result<i64, CreateAdminError> {
    write_tx(conn, |conn| {
        let org_id = store::id_by_slug_or_name(conn, org_key)?
            .ok_or_else(|| CreateAdminError::NoSuchOrg(org_key.to_owned()))?;
        let role = if owner { OWNER } else { ADMIN };
        if owner {
            if store::has_owner(conn, org_id)? {
                return Err(CreateAdminError::HasOwner(org_key.to_owned()));
            }
            store::retire_setup_links(conn, org_id, now)?;
        }
        let user_id = insert_with_role(conn, org_id, person, role, now).map_err(|e| match e {
            SetupError::EmailTaken => CreateAdminError::EmailTaken(person.email.clone()),
            SetupError::Database(e) => CreateAdminError::Database(e),
            _ => CreateAdminError::Database(diesel::result::Error::RollbackTransaction),
        })?;
        let actor = Actor::system("command line");
        let details = serde_json::json!({ "role": role, "email": person.email });
        let meta = Origin::default();
        audit::record(
            conn,
            Event {
                org_id: Some(org_id),
                actor: &actor,
                action: action::USER_CREATED,
                target: Some((user_id, &person.email)),
                details,
                meta: &meta,
            },
            now,
        )?;
        Ok(user_id)
    })
}

/// Normalizes and checks a person's details; shared by the setup form and the CLI.
pub fn check_person(first_name: &str, last_name: &str, email: &str) -> Vec<(&'static str, String)> {
    let mut problems = Vec::new();
    for (field, value, missing) in [
        ("first_name", first_name, "Enter a first name."),
        ("last_name", last_name, "Enter a last name."),
    ] {
        if value.trim().is_empty() {
            problems.push((field, missing.to_owned()));
        } else if let Some(problem) = users::single_line_problem(value.trim()) {
            problems.push((field, problem.to_owned()));
        }
    }
    if first_name.chars().count() > 100 || last_name.chars().count() > 100 {
        problems.push((
            "last_name",
            "Names are limited to 100 characters.".to_owned(),
        ));
    }
    if !users::is_valid_email(&users::normalize_email(email)) {
        problems.push((
            "email",
            "Enter an email address like name@example.com.".to_owned(),
        ));
    }
    problems
}
