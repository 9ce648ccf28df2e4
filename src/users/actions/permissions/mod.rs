//! Edit permissions: a user's roles and per-user grant/deny overrides, shown as the effective
//! permissions they add up to; "Copy roles and permissions from…" another user.

pub mod routes;
pub mod service;
pub mod views;

use crate::auth::permissions::Permission;

/// What each permission lets a person do, in the dialog's words.
pub fn describe(permission: Permission) -> &'static str {
    permission.describe()
}

/// A per-user override of what the roles give.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Override {
    Grant,
    Deny,
}

impl Override {
    pub fn parse(text: &str) -> Option<Override> {
        match text {
            "grant" => Some(Override::Grant),
            "deny" => Some(Override::Deny),
            _ => None,
        }
    }
}
