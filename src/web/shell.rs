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
    /// A workspace's own pages (reached through the header's switcher).
    Workspace,
}

pub struct Shell {
    pub nav: Nav,
    pub user_name: String,
    pub user_email: String,
    pub initials: String,
    pub csrf: String,
    pub can_view_users: bool,
    pub can_view_audit: bool,
    /// Some Settings tab is theirs (the nav link).
    pub can_manage_settings: bool,
    /// Where the Settings link leads: the first tab theirs.
    pub settings_href: &'static str,
    /// General and Security (settings.manage) or seats (licenses.manage).
    pub can_general: bool,
    pub can_manage_directory: bool,
    pub can_manage_roles: bool,
    /// Settings → General's own settings and API tokens (`settings.manage`).
    pub can_settings: bool,
    pub htmx_headers: String,
    /// The role requires a second factor and no authenticator app is set up yet: offer one.
    pub offer_totp: bool,
    /// The organization has several workspaces: the header loads the switcher.
    pub workspaces: bool,
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
            can_manage_settings: settings_tab_of(user).is_some(),
            settings_href: settings_tab_of(user).unwrap_or("/settings"),
            can_general: user.can(Permission::SettingsManage)
                || user.can(Permission::LicensesManage),
            can_manage_directory: user.can(Permission::DirectoryManage),
            can_manage_roles: user.can(Permission::RolesManage),
            can_settings: user.can(Permission::SettingsManage),
            offer_totp: user.mfa_required && !user.has_totp && nav != Nav::Account,
            workspaces: user.several_workspaces,
        }
    }

    pub fn is(&self, nav: Nav) -> bool {
        self.nav == nav
    }
}

/// The first Settings tab the user may open, if any.
pub fn settings_tab_of(user: &CurrentUser) -> Option<&'static str> {
    if user.can(Permission::SettingsManage) || user.can(Permission::LicensesManage) {
        Some("/settings")
    } else if user.can(Permission::DirectoryManage) {
        Some("/settings/fields")
    } else if user.can(Permission::RolesManage) {
        Some("/settings/roles")
    } else {
        None
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
