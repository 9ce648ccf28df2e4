//! Pages of the second step and of setting it up.

use askama::Template;

use crate::validation::FieldErrors;
use crate::web::shell::{Nav, Shell};

/// `/login/mfa`: the code after the password.
#[derive(Template)]
#[template(path = "mfa/login.html")]
pub struct SecondStepPage {
    pub csrf: String,
    /// "totp" or "email".
    pub method: &'static str,
    /// The address the code went to, partly hidden ("a•••@example.com").
    pub masked_email: String,
    pub error: Option<String>,
    pub notice: Option<String>,
}

/// Setting up an authenticator app: the QR code, the secret as text, and the code to confirm.
#[derive(Template)]
#[template(path = "mfa/enrol.html")]
pub struct EnrolPage {
    pub shell: Shell,
    /// Server-rendered SVG (no scripts or styles).
    pub qr_svg: String,
    /// The secret in groups of four, for typing by hand.
    pub secret_groups: String,
    pub errors: FieldErrors,
}

/// The recovery codes, shown once.
#[derive(Template)]
#[template(path = "mfa/recovery.html")]
pub struct RecoveryCodesPage {
    pub shell: Shell,
    pub codes: Vec<String>,
}

/// "ada@example.com" → "a••@example.com".
pub fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            let hidden = local.chars().count().saturating_sub(1).clamp(2, 6);
            format!("{first}{}@{domain}", "•".repeat(hidden))
        }
        None => email.to_owned(),
    }
}

/// "JBSWY3DPEHPK3PXP" → "JBSW Y3DP EHPK 3PXP".
pub fn group_secret(secret: &str) -> String {
    secret
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_masked_and_secrets_grouped() {
        assert_eq!(mask_email("ada@example.com"), "a••@example.com");
        assert_eq!(mask_email("a@x.io"), "a••@x.io");
        assert_eq!(group_secret("ABCDEFGHIJ"), "ABCD EFGH IJ");
    }
}
