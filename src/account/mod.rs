//! My account: the signed-in person's own password and sessions.

pub mod routes;
pub mod service;
