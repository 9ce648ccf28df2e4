//! My account: the signed-in person's own email, password, two-step verification and sessions.

pub mod email;
pub mod mfa;
pub mod routes;
pub mod service;
