//! A user's links to providers (by the provider's subject), and the sign-ins under way.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{identity_providers, sso_requests, user_identities};
use crate::db::DbConn;

#[derive(Debug, Clone, Queryable)]
pub struct Identity {
    pub id: i64,
    pub user_id: i64,
    pub provider_id: i64,
    pub provider_name: String,
    pub subject: String,
    pub email: String,
    pub created_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
}

type IdentityColumns = (
    user_identities::id,
    user_identities::user_id,
    user_identities::provider_id,
    identity_providers::name,
    user_identities::subject,
    user_identities::email,
    user_identities::created_at,
    user_identities::last_used_at,
);

const IDENTITY: IdentityColumns = (
    user_identities::id,
    user_identities::user_id,
    user_identities::provider_id,
    identity_providers::name,
    user_identities::subject,
    user_identities::email,
    user_identities::created_at,
    user_identities::last_used_at,
);

/// A user's links to providers.
pub fn identities_of(conn: &mut DbConn, user_id: i64) -> QueryResult<Vec<Identity>> {
    user_identities::table
        .inner_join(identity_providers::table)
        .filter(user_identities::user_id.eq(user_id))
        .order(user_identities::id)
        .select(IDENTITY)
        .load(conn)
}

pub fn identity_by_subject(
    conn: &mut DbConn,
    provider_id: i64,
    subject: &str,
) -> QueryResult<Option<Identity>> {
    user_identities::table
        .inner_join(identity_providers::table)
        .filter(user_identities::provider_id.eq(provider_id))
        .filter(user_identities::subject.eq(subject))
        .select(IDENTITY)
        .first(conn)
        .optional()
}

pub fn insert_identity(
    conn: &mut DbConn,
    (org_id, user_id, provider_id): (i64, i64, i64),
    (subject, email): (&str, &str),
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(user_identities::table)
        .values((
            user_identities::org_id.eq(org_id),
            user_identities::user_id.eq(user_id),
            user_identities::provider_id.eq(provider_id),
            user_identities::subject.eq(subject),
            user_identities::email.eq(email),
            user_identities::created_at.eq(now),
            user_identities::last_used_at.eq(now),
        ))
        .execute(conn)
}

pub fn touch_identity(conn: &mut DbConn, id: i64, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(user_identities::table.find(id))
        .set(user_identities::last_used_at.eq(now))
        .execute(conn)
}

/// Removes every link to a provider; how many there were.
pub fn delete_links_to(conn: &mut DbConn, provider_id: i64) -> QueryResult<i64> {
    let removed =
        diesel::delete(user_identities::table.filter(user_identities::provider_id.eq(provider_id)))
            .execute(conn)?;
    Ok(i64::try_from(removed).unwrap_or(i64::MAX))
}

/// Removes one of a user's links (0: it was not theirs, or is gone).
pub fn delete_identity(conn: &mut DbConn, user_id: i64, id: i64) -> QueryResult<usize> {
    diesel::delete(
        user_identities::table
            .filter(user_identities::id.eq(id))
            .filter(user_identities::user_id.eq(user_id)),
    )
    .execute(conn)
}

/// A sign-in under way.
#[derive(Debug, Clone, Queryable)]
pub struct Request {
    pub id: i64,
    pub provider_id: i64,
    pub purpose: String,
    pub user_id: Option<i64>,
    pub invite: Option<String>,
    pub nonce: String,
    pub pkce_verifier: String,
    pub next: String,
}

pub struct NewRequest<'a> {
    pub state_hash: &'a str,
    pub provider_id: i64,
    pub purpose: &'a str,
    pub user_id: Option<i64>,
    pub invite: Option<&'a str>,
    pub nonce: &'a str,
    pub pkce_verifier: &'a str,
    pub next: &'a str,
}

pub fn insert_request(
    conn: &mut DbConn,
    request: &NewRequest<'_>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    // Old ones go as new ones come: the table holds minutes of sign-ins, not years.
    diesel::delete(sso_requests::table.filter(sso_requests::expires_at.lt(now))).execute(conn)?;
    diesel::insert_into(sso_requests::table)
        .values((
            sso_requests::state_hash.eq(request.state_hash),
            sso_requests::provider_id.eq(request.provider_id),
            sso_requests::purpose.eq(request.purpose),
            sso_requests::user_id.eq(request.user_id),
            sso_requests::invite.eq(request.invite),
            sso_requests::nonce.eq(request.nonce),
            sso_requests::pkce_verifier.eq(request.pkce_verifier),
            sso_requests::next.eq(request.next),
            sso_requests::created_at.eq(now),
            sso_requests::expires_at
                .eq(now + chrono::Duration::minutes(crate::sso::REQUEST_MINUTES)),
        ))
        .execute(conn)
}

/// What an answer's state finds.
pub enum Taken {
    /// The sign-in it started, now used.
    Fresh(Request),
    /// A sign-in whose answer came already (a replayed code), or expired.
    Spent(Request),
    Unknown,
}

/// Takes the sign-in this state started, once: a second answer with the same state finds it
/// spent (kept until it expires, so the replay is attributed to its provider).
pub fn take_request(conn: &mut DbConn, state_hash: &str, now: NaiveDateTime) -> QueryResult<Taken> {
    let found: Option<(Request, NaiveDateTime)> = sso_requests::table
        .filter(sso_requests::state_hash.eq(state_hash))
        .select((
            (
                sso_requests::id,
                sso_requests::provider_id,
                sso_requests::purpose,
                sso_requests::user_id,
                sso_requests::invite,
                sso_requests::nonce,
                sso_requests::pkce_verifier,
                sso_requests::next,
            ),
            sso_requests::expires_at,
        ))
        .first(conn)
        .optional()?;
    let Some((request, expires_at)) = found else {
        return Ok(Taken::Unknown);
    };
    let taken = diesel::update(
        sso_requests::table
            .find(request.id)
            .filter(sso_requests::used_at.is_null()),
    )
    .set(sso_requests::used_at.eq(now))
    .execute(conn)?;
    Ok(if taken == 1 && expires_at > now {
        Taken::Fresh(request)
    } else {
        Taken::Spent(request)
    })
}
