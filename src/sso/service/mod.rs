//! Single sign-on's use cases: the providers and the policy (Settings → Sign-in), and what a
//! checked ID token leads to — the linked person, a new link by OAuth Email or email, a person
//! created through auto sign-up, or a refusal with its reason — each written with its audit
//! row in one transaction.

mod join;
mod sign_in;

pub use sign_in::*;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::store::{self, Policy, Provider, ProviderFields};
use crate::audit::{self, action, Actor, Event, Origin};
use crate::db::{write_tx, DbConn};
use crate::validation::FieldErrors;

#[derive(Debug, thiserror::Error)]
pub enum SsoError {
    #[error("some fields need attention")]
    Invalid(FieldErrors),
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

fn record(
    conn: &mut DbConn,
    (actor, org_id): (&Actor, i64),
    (what, target, details): (&str, Option<(i64, &str)>, serde_json::Value),
    (meta, now): (&Origin, NaiveDateTime),
) -> QueryResult<()> {
    audit::record(
        conn,
        Event {
            org_id: Some(org_id),
            actor,
            action: what,
            target,
            details,
            meta,
        },
        now,
    )
}

/// What the audit log shows of a provider (never its secret).
fn described(fields: &ProviderFields) -> serde_json::Value {
    serde_json::json!({
        "name": fields.name,
        "preset": fields.preset,
        "issuer": fields.issuer,
        "client_id": fields.client_id,
        "scopes": fields.scopes,
        "email_claim": fields.email_claim,
        "trust_mfa": fields.trust_mfa,
        "enabled": fields.enabled,
    })
}

pub fn fields_of(provider: &Provider) -> ProviderFields {
    ProviderFields {
        name: provider.name.clone(),
        preset: provider.preset.clone(),
        issuer: provider.issuer.clone(),
        client_id: provider.client_id.clone(),
        client_secret: None,
        scopes: provider.scopes.clone(),
        email_claim: provider.email_claim.clone(),
        trust_mfa: provider.trust_mfa,
        enabled: provider.enabled,
    }
}

/// Adds a provider (`id` none) or changes one; the secret changes only when one was typed.
pub fn save_provider(
    conn: &mut DbConn,
    (actor, org_id): (&Actor, i64),
    id: Option<i64>,
    fields: &ProviderFields,
    (meta, now): (&Origin, NaiveDateTime),
) -> Result<i64, SsoError> {
    write_tx(conn, |conn| {
        let id = match id {
            None => {
                let id = store::insert_provider(conn, org_id, fields, now)?;
                let details = described(fields);
                record(
                    conn,
                    (actor, org_id),
                    (action::SSO_PROVIDER_ADDED, None, details),
                    (meta, now),
                )?;
                id
            }
            Some(id) => {
                let before = store::provider(conn, org_id, id)?.ok_or(SsoError::NotFound)?;
                store::update_provider(conn, id, fields, now)?;
                let mut details = serde_json::json!({
                    "before": described(&fields_of(&before)),
                    "after": described(fields),
                });
                if fields.client_secret.is_some() {
                    details["client_secret"] = "changed".into();
                }
                if before.issuer != fields.issuer || before.client_id != fields.client_id {
                    // Subjects belong to an issuer (and, with some providers, to a client):
                    // another one's could name someone else.
                    details["links_removed"] = store::delete_links_to(conn, id)?.into();
                }
                if !fields.enabled && end_require_sso(conn, org_id)? {
                    details["require_sso"] = "turned off (no provider enabled)".into();
                }
                record(
                    conn,
                    (actor, org_id),
                    (action::SSO_PROVIDER_CHANGED, None, details),
                    (meta, now),
                )?;
                id
            }
        };
        Ok(id)
    })
}

/// Without an enabled provider nobody but the Owners could sign in: Require SSO ends. Says
/// whether it was on.
fn end_require_sso(conn: &mut DbConn, org_id: i64) -> QueryResult<bool> {
    if store::providers(conn, org_id)?.iter().any(|p| p.enabled) {
        return Ok(false);
    }
    let mut policy = store::policy(conn, org_id)?;
    if !policy.required {
        return Ok(false);
    }
    policy.required = false;
    store::save_policy(conn, org_id, &policy)?;
    Ok(true)
}

/// Removes a provider and every link to it; says how many people were linked.
pub fn remove_provider(
    conn: &mut DbConn,
    (actor, org_id): (&Actor, i64),
    id: i64,
    (meta, now): (&Origin, NaiveDateTime),
) -> Result<(Provider, i64), SsoError> {
    use crate::db::schema::user_identities;
    write_tx(conn, |conn| {
        let provider = store::provider(conn, org_id, id)?.ok_or(SsoError::NotFound)?;
        let linked: i64 = user_identities::table
            .filter(user_identities::provider_id.eq(id))
            .count()
            .get_result(conn)?;
        diesel::delete(user_identities::table.filter(user_identities::provider_id.eq(id)))
            .execute(conn)?;
        store::delete_provider(conn, id)?;
        let mut details = serde_json::json!({ "name": provider.name, "links_removed": linked });
        if end_require_sso(conn, org_id)? {
            details["require_sso"] = "turned off (no provider left)".into();
        }
        record(
            conn,
            (actor, org_id),
            (action::SSO_PROVIDER_REMOVED, None, details),
            (meta, now),
        )?;
        Ok((provider, linked))
    })
}

/// Saves the policy, checked: a role and licenses of this organization (never Owner), and
/// Require SSO only with an enabled provider.
pub fn save_policy(
    conn: &mut DbConn,
    (actor, org_id, held): (&Actor, i64, crate::auth::permissions::Permissions),
    policy: &Policy,
    (meta, now): (&Origin, NaiveDateTime),
) -> Result<(), SsoError> {
    write_tx(conn, |conn| {
        let mut errors = FieldErrors::default();
        // Nobody hands newcomers a role they could not grant themselves.
        let roles = crate::orgs::catalog::grantable_roles(conn, org_id, held)?;
        if let Some(role) = policy.role_id {
            if !roles
                .iter()
                .any(|(id, name)| *id == role && name != crate::auth::permissions::OWNER)
            {
                errors.add("role", "Choose one of the roles you may grant.");
            }
        }
        let products = crate::licenses::store::products(conn, org_id)?;
        if policy
            .product_ids
            .iter()
            .any(|p| !products.iter().any(|x| x.id == *p))
        {
            errors.add("products", "Choose among the organization's products.");
        }
        if policy.required && !store::providers(conn, org_id)?.iter().any(|p| p.enabled) {
            errors.add(
                "required",
                "Add and enable an identity provider first: otherwise nobody but the Owners could sign in.",
            );
        }
        if !errors.is_empty() {
            return Err(SsoError::Invalid(errors));
        }
        let before = store::policy(conn, org_id)?;
        store::save_policy(conn, org_id, policy)?;
        let details = serde_json::json!({
            "before": { "require_sso": before.required, "role_id": before.role_id, "product_ids": before.product_ids },
            "after": { "require_sso": policy.required, "role_id": policy.role_id, "product_ids": policy.product_ids },
        });
        record(
            conn,
            (actor, org_id),
            (action::SSO_POLICY_CHANGED, None, details),
            (meta, now),
        )?;
        Ok(())
    })
}

/// An issuer Gatehouse will talk to: HTTPS, or plain HTTP on this machine (development).
fn issuer_ok(issuer: &str) -> bool {
    match url::Url::parse(issuer) {
        Ok(url) if url.scheme() == "https" => url.host_str().is_some(),
        Ok(url) if url.scheme() == "http" => {
            matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"))
        }
        _ => false,
    }
}

/// The provider form checked: messages beside each field; the issuer filled from the preset
/// and the tenant when left blank.
pub fn check_form(
    form: &super::views::ProviderForm,
    creating: bool,
) -> Result<ProviderFields, FieldErrors> {
    let mut errors = FieldErrors::default();
    let preset = super::preset(&form.preset);
    if form.name.is_empty() || form.name.chars().count() > 60 {
        errors.add(
            "name",
            "Enter the name on the button, such as Okta (at most 60 characters).",
        );
    }
    let issuer = if form.issuer.is_empty() && !preset.issuer.is_empty() {
        if preset.issuer.contains("{tenant}") {
            if form.tenant.is_empty() {
                errors.add("tenant", format!("Enter the {}.", preset.tenant_hint));
            }
            preset
                .issuer
                .replace("{tenant}", form.tenant.trim_start_matches("https://"))
        } else {
            preset.issuer.to_owned()
        }
    } else {
        form.issuer.trim_end_matches('/').to_owned()
    };
    if errors.get("tenant").is_none() && !issuer_ok(&issuer) {
        errors.add(
            "issuer",
            "Enter the issuer URL, such as https://acme.okta.com (HTTPS).",
        );
    }
    if form.client_id.is_empty() || form.client_id.len() > 300 {
        errors.add(
            "client_id",
            "Enter the client ID the provider gave Gatehouse.",
        );
    }
    if form.client_secret.len() > 500 {
        errors.add("client_secret", "Use at most 500 characters.");
    }
    if creating && form.client_secret.is_empty() && preset.code != "generic" {
        errors.add(
            "client_secret",
            "Enter the client secret the provider gave Gatehouse.",
        );
    }
    let scopes = form.scopes.split_whitespace().collect::<Vec<_>>().join(" ");
    if !scopes.split(' ').any(|s| s == "openid") || scopes.len() > 300 {
        errors.add(
            "scopes",
            "List the scopes separated by spaces, openid among them.",
        );
    }
    // Blank: the provider's usual claim (Entra's sign-in name, everyone else's `email`).
    let email_claim = if form.email_claim.is_empty() {
        preset.email_claim.to_owned()
    } else {
        form.email_claim.clone()
    };
    let claim_ok = email_claim.len() <= 100
        && email_claim
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_:.-/".contains(c));
    if !claim_ok {
        errors.add(
            "email_claim",
            "Enter the name of the claim that holds the email, such as email.",
        );
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(ProviderFields {
        name: form.name.clone(),
        preset: preset.code.to_owned(),
        issuer,
        client_id: form.client_id.clone(),
        client_secret: (!form.client_secret.is_empty()).then(|| form.client_secret.clone()),
        scopes,
        email_claim,
        trust_mfa: form.trust_mfa,
        enabled: form.enabled,
    })
}
