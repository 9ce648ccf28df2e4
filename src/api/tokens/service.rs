//! Making and revoking API tokens, audited; what a presented secret is worth.

use chrono::NaiveDateTime;
use diesel::QueryResult;

use super::store::{self, NewToken, TokenRow};
use super::{Scopes, SECRET_PREFIX};
use crate::audit::{self, action, Actor, Event, Origin};
use crate::auth::permissions::Permissions;
use crate::auth::tokens;
use crate::db::{write_tx, DbConn};
use crate::validation::FieldErrors;

/// How long a new token may work: these many days, or until revoked (`None`).
pub const EXPIRY_CHOICES: [Option<i64>; 5] = [Some(7), Some(30), Some(90), Some(365), None];

/// A token asked for.
#[derive(Debug, Clone, Default)]
pub struct TokenRequest {
    pub name: String,
    pub scopes: Scopes,
    /// Days until it stops working; `None`: until revoked.
    pub expires_days: Option<i64>,
    /// On the maker's own account rather than the organization's.
    pub personal: bool,
}

/// Who makes a token: it never holds more than they do.
#[derive(Debug, Clone)]
pub struct Maker {
    pub id: i64,
    pub org_id: i64,
    pub email: String,
    pub permissions: Permissions,
    /// Who the audit log names: the maker, or the command line acting for the Owner.
    pub actor: Actor,
}

/// A token just made: the secret is shown this once.
#[derive(Debug, Clone)]
pub struct Made {
    pub id: i64,
    pub secret: String,
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("some fields need attention")]
    Invalid(FieldErrors),
    #[error("That token does not exist, or belongs to another organization.")]
    NotFound,
    /// The token's maker is beyond the revoker's access.
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// Checks a request against the maker's permissions: a name, at least one scope, and no
/// scope that would give nothing the maker holds.
pub fn check(request: &TokenRequest, maker: &Maker) -> Result<(), FieldErrors> {
    let mut errors = FieldErrors::default();
    let name = errors.required("name", &request.name, "a name");
    if name.chars().count() > 60 {
        errors.add("name", "Use at most 60 characters.");
    }
    if request.scopes.0.is_empty() {
        errors.add("scopes", "Choose at least one scope.");
    } else if let Some(scope) = request
        .scopes
        .0
        .iter()
        .find(|s| !maker.permissions.meets(s.permissions()))
    {
        errors.add(
            "scopes",
            format!(
                "“{}” needs permissions you do not hold: a token never holds more than its maker.",
                scope.label()
            ),
        );
    }
    if !EXPIRY_CHOICES.contains(&request.expires_days) {
        errors.add("expires", "Choose an expiry from the list.");
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// Makes a token for `maker`, audited; the secret is in the answer only.
pub fn create(
    conn: &mut DbConn,
    maker: &Maker,
    request: &TokenRequest,
    meta: &Origin,
    now: NaiveDateTime,
) -> Result<Made, TokenError> {
    check(request, maker).map_err(TokenError::Invalid)?;
    let secret = format!("{SECRET_PREFIX}{}", tokens::random_token());
    let prefix: String = secret.chars().take(SECRET_PREFIX.len() + 6).collect();
    let name = request.name.trim();
    let scopes = request.scopes.to_stored();
    let expires_at = request
        .expires_days
        .map(|days| now + chrono::Duration::days(days));
    write_tx(conn, |conn| {
        let new = NewToken {
            org_id: maker.org_id,
            user_id: maker.id,
            name,
            personal: request.personal,
            scopes: &scopes,
            hash: &tokens::hash_token(&secret),
            prefix: &prefix,
            expires_at,
        };
        let id = store::insert(conn, &new, now)?;
        let details = serde_json::json!({
            "token_id": id, "name": name, "scopes": scopes, "personal": request.personal,
            "prefix": prefix, "expires_at": expires_at,
        });
        record(conn, maker, (action::API_TOKEN_CREATED, details), meta, now)?;
        Ok(Made {
            id,
            secret: secret.clone(),
        })
    })
}

/// Revokes a token, audited: on one's own page (`own`) one's own personal tokens; in Settings
/// any of the organization's, but another person's only when the revoker may reset their
/// credentials (the Owner's by the Owner alone, a scoped administrator's people only).
/// Revoking a revoked token changes nothing and says nothing.
pub fn revoke(
    conn: &mut DbConn,
    by: &crate::users::authority::Editor,
    (id, own): (i64, bool),
    meta: &Origin,
    now: NaiveDateTime,
) -> Result<TokenRow, TokenError> {
    use crate::users::authority::{self, Act, Denied};
    write_tx(conn, |conn| {
        let token = store::find(conn, by.org_id, id)?
            .filter(|t| !own || (t.personal && t.user_id == by.id))
            .ok_or(TokenError::NotFound)?;
        if token.user_id != by.id {
            match authority::ensure(conn, by, token.user_id, Act::Credentials) {
                Ok(_) => {}
                Err(Denied::NotFound) => return Err(TokenError::NotFound),
                Err(Denied::Refused(refusal)) => {
                    return Err(TokenError::Refused(refusal.to_string()))
                }
                Err(Denied::Database(e)) => return Err(e.into()),
            }
        }
        let by = &Maker {
            id: by.id,
            org_id: by.org_id,
            email: by.email.clone(),
            permissions: by.permissions,
            actor: Actor::user(by.id, &by.email),
        };
        if store::revoke(conn, id, now)? {
            let details = serde_json::json!({
                "token_id": id, "name": token.name, "prefix": token.prefix,
                "maker": token.maker, "personal": token.personal,
            });
            record(conn, by, (action::API_TOKEN_REVOKED, details), meta, now)?;
        }
        Ok(token)
    })
}

fn record(
    conn: &mut DbConn,
    by: &Maker,
    (what, details): (&str, serde_json::Value),
    meta: &Origin,
    now: NaiveDateTime,
) -> QueryResult<()> {
    audit::record(
        conn,
        Event {
            org_id: Some(by.org_id),
            actor: &by.actor,
            action: what,
            target: None,
            details,
            meta,
        },
        now,
    )
}

/// Why a presented secret is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    Unknown,
    Revoked,
    Expired,
}

/// The token a secret belongs to, if it may be used now (the maker's standing is checked by
/// the caller, who loads them as a request would).
pub fn usable(
    conn: &mut DbConn,
    secret: &str,
    now: NaiveDateTime,
) -> QueryResult<Result<TokenRow, Refused>> {
    if !secret.starts_with(SECRET_PREFIX) || secret.len() > 200 {
        return Ok(Err(Refused::Unknown));
    }
    let Some(token) = store::by_hash(conn, &tokens::hash_token(secret))? else {
        return Ok(Err(Refused::Unknown));
    };
    Ok(if token.revoked_at.is_some() {
        Err(Refused::Revoked)
    } else if token.expires_at.is_some_and(|at| at <= now) {
        Err(Refused::Expired)
    } else {
        Ok(token)
    })
}

/// A personal token keeps to its maker's login IP allowlist (the organization's tokens serve
/// identity providers and products, from wherever they run).
pub fn allowed_from(conn: &mut DbConn, token: &TokenRow, ip: &str) -> QueryResult<bool> {
    if !token.personal {
        return Ok(true);
    }
    use crate::db::schema::users;
    use diesel::prelude::*;
    let allowlist: String = users::table
        .find(token.user_id)
        .select(users::ip_allowlist)
        .first(conn)?;
    Ok(crate::auth::store::ip_allowed(&allowlist, ip))
}

/// Notes the use (at most once a minute per token, or when the address changes).
pub fn note_use(
    conn: &mut DbConn,
    token: &TokenRow,
    ip: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let stale = token
        .last_used_at
        .is_none_or(|at| now - at >= chrono::Duration::minutes(1));
    if stale || token.last_used_ip.as_deref() != Some(ip) {
        store::touch(conn, token.id, ip, now)?;
    }
    Ok(())
}

/// For the command line: the organization (by slug or name) and its Owner, who makes the
/// token (the operator acts for them; the audit log says "command line").
pub fn owner_as_maker(conn: &mut DbConn, org: &str) -> QueryResult<Option<Maker>> {
    let Some(org_id) = crate::orgs::store::id_by_slug_or_name(conn, org)? else {
        return Ok(None);
    };
    Ok(store::active_owner(conn, org_id)?.map(|(id, email)| Maker {
        id,
        org_id,
        email,
        permissions: Permissions::all_console(),
        actor: Actor::system("command line"),
    }))
}
