//! Signing in and out, sessions, passwords, permissions.

pub mod forms;
pub mod inactivity;
pub mod password;
pub mod permissions;
pub mod rate_limit;
pub mod reset;
pub mod routes;
pub mod service;
pub mod session_store;
pub mod store;
pub mod temporary;
pub mod tokens;
pub mod views;
