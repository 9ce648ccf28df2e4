//! The second step of signing in: an authenticator app (TOTP) with recovery codes, or a code
//! emailed at sign-in for people whose role requires a second factor and who have no app yet.

pub mod codes;
pub mod routes;
pub mod service;
pub mod store;
pub mod views;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// A code from an authenticator app (or a recovery code).
    Totp,
    /// A code emailed at sign-in.
    Email,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Totp => "totp",
            Method::Email => "email",
        }
    }

    pub fn parse(text: &str) -> Option<Method> {
        match text {
            "totp" => Some(Method::Totp),
            "email" => Some(Method::Email),
            _ => None,
        }
    }
}
