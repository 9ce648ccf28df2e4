//! Single sign-on with the organization's OpenID Connect providers (Settings → Sign-in): the
//! authorization code flow with PKCE, `state` and `nonce`; the ID token checked by the
//! `openidconnect` crate against the provider's keys (fetched again on an unknown `kid`);
//! people matched by the provider's subject once linked, else by their OAuth Email field or
//! their email; auto sign-up through the provider; "Require SSO" with the Owners' break-glass.

pub mod flow;
pub mod oidc;
pub mod routes;
pub mod service;
pub mod store;
pub mod views;

/// The user field whose value, set by an administrator, links a person's provider account
/// (the address of their Google account, say) on their first sign-in.
pub const OAUTH_EMAIL: &str = "oauth_email";

/// How long a sign-in may stay at the provider before its state is forgotten.
pub const REQUEST_MINUTES: i64 = 10;

/// A provider's starting point: what the preset fills in.
pub struct Preset {
    pub code: &'static str,
    pub label: &'static str,
    /// The issuer, `{tenant}` standing for what the admin types (Entra's tenant id, an Okta
    /// or Keycloak address).
    pub issuer: &'static str,
    /// What `{tenant}` means on the form.
    pub tenant_hint: &'static str,
    pub scopes: &'static str,
    pub email_claim: &'static str,
}

pub const PRESETS: &[Preset] = &[
    Preset {
        code: "generic",
        label: "OpenID Connect",
        issuer: "",
        tenant_hint: "",
        scopes: "openid email profile",
        email_claim: "email",
    },
    Preset {
        code: "google",
        label: "Google",
        issuer: "https://accounts.google.com",
        tenant_hint: "",
        scopes: "openid email profile",
        email_claim: "email",
    },
    Preset {
        code: "entra",
        label: "Microsoft Entra ID",
        issuer: "https://login.microsoftonline.com/{tenant}/v2.0",
        tenant_hint: "Directory (tenant) ID",
        scopes: "openid email profile",
        // Entra sends no email_verified: its sign-in name, set by the tenant's admins.
        email_claim: "preferred_username",
    },
    Preset {
        code: "okta",
        label: "Okta",
        issuer: "https://{tenant}",
        tenant_hint: "Okta domain, such as acme.okta.com",
        scopes: "openid email profile",
        email_claim: "email",
    },
    Preset {
        code: "salesforce",
        label: "Salesforce",
        issuer: "https://login.salesforce.com",
        tenant_hint: "",
        scopes: "openid email profile",
        email_claim: "email",
    },
    Preset {
        code: "keycloak",
        label: "Keycloak",
        issuer: "https://{tenant}",
        tenant_hint: "Keycloak address and realm, such as sso.acme.io/realms/acme",
        scopes: "openid email profile",
        email_claim: "email",
    },
];

pub fn preset(code: &str) -> &'static Preset {
    PRESETS
        .iter()
        .find(|p| p.code == code)
        .unwrap_or(&PRESETS[0])
}

/// Why a sign-in is under way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    SignIn,
    /// A signed-in person links their account (My account).
    Link,
    /// An administrator tries the provider (Settings → Sign-in → Test sign-in).
    Test,
    /// An invited person accepts by signing in with the provider.
    Invite,
}

impl Purpose {
    pub fn code(self) -> &'static str {
        match self {
            Purpose::SignIn => "sign_in",
            Purpose::Link => "link",
            Purpose::Test => "test",
            Purpose::Invite => "invite",
        }
    }

    pub fn parse(code: &str) -> Option<Purpose> {
        [
            Purpose::SignIn,
            Purpose::Link,
            Purpose::Test,
            Purpose::Invite,
        ]
        .into_iter()
        .find(|p| p.code() == code)
    }
}

/// The redirect URL to register with every provider.
pub fn redirect_url(base_url: &str) -> String {
    format!("{}/sso/callback", base_url.trim_end_matches('/'))
}

/// Whether the provider's `amr` (RFC 8176) says two factors were used: `mfa`, or a password
/// or key together with another method (an `otp` alone is one factor).
pub fn amr_has_mfa(amr: &[String]) -> bool {
    let factor = |m: &str| {
        matches!(
            m,
            "otp"
                | "hwk"
                | "swk"
                | "sms"
                | "fpt"
                | "face"
                | "iris"
                | "retina"
                | "vbm"
                | "sc"
                | "pin"
        )
    };
    let mut distinct: Vec<&str> = amr.iter().map(String::as_str).collect();
    distinct.sort_unstable();
    distinct.dedup();
    distinct.contains(&"mfa") || (distinct.len() >= 2 && distinct.iter().any(|m| factor(m)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_and_purposes_round_trip() {
        assert_eq!(preset("entra").label, "Microsoft Entra ID");
        assert_eq!(preset("nope").code, "generic");
        for p in [
            Purpose::SignIn,
            Purpose::Link,
            Purpose::Test,
            Purpose::Invite,
        ] {
            assert_eq!(Purpose::parse(p.code()), Some(p));
        }
        assert!(amr_has_mfa(&["pwd".into(), "otp".into()]));
        assert!(amr_has_mfa(&["mfa".into()]));
        assert!(!amr_has_mfa(&["pwd".into()]));
        assert!(!amr_has_mfa(&["otp".into()]));
    }
}
