//! What the layout needs on every console page: who is signed in, the navigation they may
//! use, and the CSRF token for forms and htmx.

use actix_web::HttpRequest;

use super::CurrentUser;
use crate::auth::permissions::Permission;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    Users,
    Activity,
    Settings,
    Account,
}

pub struct Shell {
    pub nav: Nav,
    pub user_name: String,
    pub user_email: String,
    pub initials: String,
    pub csrf: String,
    pub can_view_users: bool,
    pub can_view_audit: bool,
    pub can_manage_settings: bool,
    pub htmx_headers: String,
    /// The role requires a second factor and no authenticator app is set up yet: offer one.
    pub offer_totp: bool,
}

impl Shell {
    pub fn new(req: &HttpRequest, user: &CurrentUser, nav: Nav) -> Self {
        let csrf = super::csrf::token(req);
        Self {
            nav,
            user_name: user.display_name(),
            user_email: user.email.clone(),
            initials: initials(&user.first_name, &user.last_name),
            htmx_headers: serde_json::json!({ super::csrf::HEADER: csrf }).to_string(),
            csrf,
            can_view_users: user.can(Permission::UsersView),
            can_view_audit: user.can(Permission::AuditView),
            can_manage_settings: user.can(Permission::SettingsManage)
                || user.can(Permission::LicensesManage),
            offer_totp: user.mfa_required && !user.has_totp && nav != Nav::Account,
        }
    }

    pub fn is(&self, nav: Nav) -> bool {
        self.nav == nav
    }
}

/// "Ada Lovelace" → "AL".
pub fn initials(first_name: &str, last_name: &str) -> String {
    first_name
        .chars()
        .take(1)
        .chain(last_name.chars().take(1))
        .flat_map(char::to_uppercase)
        .collect()
}
