//! Edit permissions: a user's roles and per-user grant/deny overrides, shown as the effective
//! permissions they add up to; "Copy roles and permissions from…" another user.

pub mod routes;
pub mod service;
pub mod views;

use crate::auth::permissions::Permission;

/// What each permission lets a person do, in the dialog's words.
pub fn describe(permission: Permission) -> &'static str {
    match permission {
        Permission::UsersView => "See User Management, last active, and export",
        Permission::UsersManage => {
            "Edit, activate, deactivate, delete and unblock users; reset passwords and MFA"
        }
        Permission::UsersInvite => "Invite users",
        Permission::LicensesManage => "Change the seats of each product",
        Permission::AuditView => "See the activity log",
        Permission::SettingsManage => "Change the organization's settings",
    }
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
