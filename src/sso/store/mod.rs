//! What single sign-on keeps: providers, links (identities), sign-ins under way, the policy.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{identity_providers, sso_settings};
use crate::db::DbConn;

mod links;

pub use links::*;

#[derive(Debug, Clone, Queryable)]
pub struct Provider {
    pub id: i64,
    pub org_id: i64,
    pub name: String,
    pub preset: String,
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    pub scopes: String,
    pub email_claim: String,
    pub trust_mfa: bool,
    pub enabled: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A provider as Settings saves it (the secret only when one was typed).
#[derive(Debug, Clone, Default)]
pub struct ProviderFields {
    pub name: String,
    pub preset: String,
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Option<String>,
    pub scopes: String,
    pub email_claim: String,
    pub trust_mfa: bool,
    pub enabled: bool,
}

type ProviderColumns = (
    identity_providers::id,
    identity_providers::org_id,
    identity_providers::name,
    identity_providers::preset,
    identity_providers::issuer,
    identity_providers::client_id,
    identity_providers::client_secret,
    identity_providers::scopes,
    identity_providers::email_claim,
    identity_providers::trust_mfa,
    identity_providers::enabled,
    identity_providers::created_at,
    identity_providers::updated_at,
);

const PROVIDER: ProviderColumns = (
    identity_providers::id,
    identity_providers::org_id,
    identity_providers::name,
    identity_providers::preset,
    identity_providers::issuer,
    identity_providers::client_id,
    identity_providers::client_secret,
    identity_providers::scopes,
    identity_providers::email_claim,
    identity_providers::trust_mfa,
    identity_providers::enabled,
    identity_providers::created_at,
    identity_providers::updated_at,
);

pub fn providers(conn: &mut DbConn, org_id: i64) -> QueryResult<Vec<Provider>> {
    identity_providers::table
        .filter(identity_providers::org_id.eq(org_id))
        .order(identity_providers::id)
        .select(PROVIDER)
        .load(conn)
}

/// A provider of the organization (another organization's: none).
pub fn provider(conn: &mut DbConn, org_id: i64, id: i64) -> QueryResult<Option<Provider>> {
    identity_providers::table
        .filter(identity_providers::org_id.eq(org_id))
        .filter(identity_providers::id.eq(id))
        .select(PROVIDER)
        .first(conn)
        .optional()
}

/// A provider by id alone (the public start of a sign-in).
pub fn provider_by_id(conn: &mut DbConn, id: i64) -> QueryResult<Option<Provider>> {
    identity_providers::table
        .find(id)
        .select(PROVIDER)
        .first(conn)
        .optional()
}

pub fn insert_provider(
    conn: &mut DbConn,
    org_id: i64,
    fields: &ProviderFields,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    diesel::insert_into(identity_providers::table)
        .values((
            identity_providers::org_id.eq(org_id),
            identity_providers::name.eq(&fields.name),
            identity_providers::preset.eq(&fields.preset),
            identity_providers::issuer.eq(&fields.issuer),
            identity_providers::client_id.eq(&fields.client_id),
            identity_providers::client_secret.eq(fields.client_secret.as_deref().unwrap_or("")),
            identity_providers::scopes.eq(&fields.scopes),
            identity_providers::email_claim.eq(&fields.email_claim),
            identity_providers::trust_mfa.eq(fields.trust_mfa),
            identity_providers::enabled.eq(fields.enabled),
            identity_providers::created_at.eq(now),
            identity_providers::updated_at.eq(now),
        ))
        .execute(conn)?;
    // The newest of the organization's providers: the one just written, in this transaction.
    identity_providers::table
        .filter(identity_providers::org_id.eq(org_id))
        .filter(identity_providers::name.eq(&fields.name))
        .filter(identity_providers::client_id.eq(&fields.client_id))
        .order(identity_providers::id.desc())
        .select(identity_providers::id)
        .first(conn)
}

pub fn update_provider(
    conn: &mut DbConn,
    id: i64,
    fields: &ProviderFields,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let target = identity_providers::table.find(id);
    if let Some(secret) = &fields.client_secret {
        diesel::update(target)
            .set(identity_providers::client_secret.eq(secret))
            .execute(conn)?;
    }
    diesel::update(target)
        .set((
            identity_providers::name.eq(&fields.name),
            identity_providers::preset.eq(&fields.preset),
            identity_providers::issuer.eq(&fields.issuer),
            identity_providers::client_id.eq(&fields.client_id),
            identity_providers::scopes.eq(&fields.scopes),
            identity_providers::email_claim.eq(&fields.email_claim),
            identity_providers::trust_mfa.eq(fields.trust_mfa),
            identity_providers::enabled.eq(fields.enabled),
            identity_providers::updated_at.eq(now),
        ))
        .execute(conn)
}

pub fn delete_provider(conn: &mut DbConn, id: i64) -> QueryResult<usize> {
    diesel::delete(identity_providers::table.find(id)).execute(conn)
}

/// The enabled providers of the organization that owns this sign-up domain, if any.
pub fn providers_for_domain(conn: &mut DbConn, domain: &str) -> QueryResult<Vec<Provider>> {
    use crate::db::schema::signup_domains;
    let Some(org_id) = signup_domains::table
        .filter(signup_domains::domain.eq(domain))
        .select(signup_domains::org_id)
        .first::<i64>(conn)
        .optional()?
    else {
        return Ok(Vec::new());
    };
    Ok(providers(conn, org_id)?
        .into_iter()
        .filter(|p| p.enabled)
        .collect())
}

/// The organization that holds this sign-up domain.
pub fn domain_owner(conn: &mut DbConn, domain: &str) -> QueryResult<Option<i64>> {
    use crate::db::schema::signup_domains;
    signup_domains::table
        .filter(signup_domains::domain.eq(domain))
        .select(signup_domains::org_id)
        .first(conn)
        .optional()
}

/// The organization's sign-in policy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    pub required: bool,
    pub role_id: Option<i64>,
    pub product_ids: Vec<i64>,
}

pub fn policy(conn: &mut DbConn, org_id: i64) -> QueryResult<Policy> {
    let row: Option<(bool, Option<i64>, String)> = sso_settings::table
        .find(org_id)
        .select((
            sso_settings::required,
            sso_settings::role_id,
            sso_settings::product_ids,
        ))
        .first(conn)
        .optional()?;
    Ok(
        row.map_or_else(Policy::default, |(required, role_id, products)| Policy {
            required,
            role_id,
            product_ids: products
                .split(',')
                .filter_map(|p| p.trim().parse().ok())
                .collect(),
        }),
    )
}

pub fn save_policy(conn: &mut DbConn, org_id: i64, policy: &Policy) -> QueryResult<()> {
    let products: Vec<String> = policy.product_ids.iter().map(i64::to_string).collect();
    diesel::delete(sso_settings::table.find(org_id)).execute(conn)?;
    diesel::insert_into(sso_settings::table)
        .values((
            sso_settings::org_id.eq(org_id),
            sso_settings::required.eq(policy.required),
            sso_settings::role_id.eq(policy.role_id),
            sso_settings::product_ids.eq(products.join(",")),
        ))
        .execute(conn)?;
    Ok(())
}

/// The "Sign in with …" buttons of the sign-in page: those of the organization named (by
/// slug), or, on an install with one organization, its own.
pub fn sign_in_buttons(conn: &mut DbConn, org: Option<&str>) -> QueryResult<Vec<(i64, String)>> {
    use crate::db::schema::organizations;
    let org_id = match org.filter(|o| !o.trim().is_empty()) {
        Some(slug) => organizations::table
            .filter(organizations::slug.eq(slug.trim()))
            .select(organizations::id)
            .first::<i64>(conn)
            .optional()?,
        None => {
            let two: Vec<i64> = organizations::table
                .select(organizations::id)
                .limit(2)
                .load(conn)?;
            (two.len() == 1).then(|| two[0])
        }
    };
    let Some(org_id) = org_id else {
        return Ok(Vec::new());
    };
    identity_providers::table
        .filter(identity_providers::org_id.eq(org_id))
        .filter(identity_providers::enabled.eq(true))
        .order(identity_providers::id)
        .select((identity_providers::id, identity_providers::name))
        .load(conn)
}
