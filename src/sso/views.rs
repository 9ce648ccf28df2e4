//! Settings → Sign-in: the providers, the form (presets, a write-only secret), the policy;
//! Test sign-in's result; a user's links on My account and in Edit User.

use askama::Template;

use super::store::{Identity, Policy, Provider};
use crate::validation::FieldErrors;
use crate::web::shell::{Nav, Shell};

/// One provider in the list.
pub struct ProviderLine {
    pub id: i64,
    pub name: String,
    pub kind: &'static str,
    pub issuer: String,
    pub enabled: bool,
    pub trust_mfa: bool,
}

impl ProviderLine {
    pub fn of(provider: &Provider) -> Self {
        ProviderLine {
            id: provider.id,
            name: provider.name.clone(),
            kind: super::preset(&provider.preset).label,
            issuer: provider.issuer.clone(),
            enabled: provider.enabled,
            trust_mfa: provider.trust_mfa,
        }
    }
}

/// The provider form as typed (the secret never shown back).
#[derive(Debug, Clone, Default)]
pub struct ProviderForm {
    pub preset: String,
    pub name: String,
    pub tenant: String,
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    pub scopes: String,
    pub email_claim: String,
    pub trust_mfa: bool,
    pub enabled: bool,
}

impl ProviderForm {
    pub fn blank() -> Self {
        ProviderForm {
            preset: "generic".into(),
            scopes: "openid email profile".into(),
            email_claim: String::new(),
            enabled: true,
            ..ProviderForm::default()
        }
    }

    pub fn of(provider: &Provider) -> Self {
        ProviderForm {
            preset: provider.preset.clone(),
            name: provider.name.clone(),
            tenant: String::new(),
            issuer: provider.issuer.clone(),
            client_id: provider.client_id.clone(),
            client_secret: String::new(),
            scopes: provider.scopes.clone(),
            email_claim: provider.email_claim.clone(),
            trust_mfa: provider.trust_mfa,
            enabled: provider.enabled,
        }
    }

    pub fn from_pairs(pairs: &[(String, String)]) -> Self {
        let get = |name: &str| {
            pairs
                .iter()
                .rev()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.trim().to_owned())
                .unwrap_or_default()
        };
        ProviderForm {
            preset: get("preset"),
            name: get("name"),
            tenant: get("tenant"),
            issuer: get("issuer"),
            client_id: get("client_id"),
            client_secret: get("client_secret"),
            scopes: get("scopes"),
            email_claim: get("email_claim"),
            trust_mfa: get("trust_mfa") == "1",
            enabled: get("enabled") == "1",
        }
    }
}

pub struct Choice {
    pub id: i64,
    pub name: String,
    pub chosen: bool,
}

#[derive(Template)]
#[template(path = "sso/page.html")]
pub struct SignInPage {
    pub shell: Shell,
    pub redirect_url: String,
    pub sign_in_url: String,
    pub providers: Vec<ProviderLine>,
    /// Only the Owner changes how people sign in.
    pub can_change: bool,
    pub form: ProviderForm,
    pub errors: FieldErrors,
    pub required: bool,
    pub roles: Vec<Choice>,
    pub products: Vec<Choice>,
    pub policy_errors: FieldErrors,
    pub presets: &'static [super::Preset],
}

impl SignInPage {
    pub fn nav() -> Nav {
        Nav::Settings
    }

    pub fn choices(all: Vec<(i64, String)>, chosen: &[i64]) -> Vec<Choice> {
        all.into_iter()
            .map(|(id, name)| Choice {
                chosen: chosen.contains(&id),
                id,
                name,
            })
            .collect()
    }

    pub fn policy_choices(
        policy: &Policy,
        roles: Vec<(i64, String)>,
        products: Vec<(i64, String)>,
    ) -> (Vec<Choice>, Vec<Choice>) {
        let role: Vec<i64> = policy.role_id.into_iter().collect();
        (
            Self::choices(roles, &role),
            Self::choices(products, &policy.product_ids),
        )
    }
}

#[derive(Template)]
#[template(path = "sso/edit.html")]
pub struct EditProviderPage {
    pub shell: Shell,
    pub id: i64,
    pub form: ProviderForm,
    pub has_secret: bool,
    pub errors: FieldErrors,
    pub presets: &'static [super::Preset],
}

impl EditProviderPage {
    pub fn nav() -> Nav {
        Nav::Settings
    }
}

#[derive(Template)]
#[template(path = "sso/test.html")]
pub struct TestResultPage {
    pub shell: Shell,
    pub name: String,
    pub subject: String,
    pub email: String,
    pub email_verified: bool,
    pub amr: String,
    pub claims: String,
}

impl TestResultPage {
    pub fn nav() -> Nav {
        Nav::Settings
    }
}

/// A user's link as shown: the provider, the address, since when.
pub struct LinkLine {
    pub id: i64,
    pub provider: String,
    pub email: String,
    pub since: String,
}

impl LinkLine {
    pub fn of(identity: &Identity) -> Self {
        LinkLine {
            id: identity.id,
            provider: identity.provider_name.clone(),
            email: identity.email.clone(),
            since: identity.created_at.format("%Y-%m-%d").to_string(),
        }
    }
}
