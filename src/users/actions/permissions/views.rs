//! The Edit permissions dialog.

use askama::Template;

pub struct RoleBox {
    pub id: i64,
    pub name: String,
    pub checked: bool,
    /// Shown but not changeable by this editor.
    pub locked: bool,
}

pub struct PermissionRow {
    pub name: &'static str,
    pub description: &'static str,
    /// The roles (of the ticked ones) that give it.
    pub from_roles: Vec<String>,
    /// "", "grant" or "deny".
    pub choice: &'static str,
    pub effective: bool,
    /// The editor does not hold it, so cannot change its override.
    pub locked: bool,
}

#[derive(Template)]
#[template(path = "users/_permissions.html")]
pub struct PermissionsDialog {
    pub user_id: i64,
    pub name: String,
    pub version: i32,
    pub roles: Vec<RoleBox>,
    pub permissions: Vec<PermissionRow>,
    pub copy_from: String,
    /// A message above the form (copied from someone, a refusal, a concurrent change).
    pub notice: Option<String>,
    pub error: Option<String>,
    /// One's own access cannot be changed: the dialog only shows it.
    pub read_only: bool,
    /// The user's effective Supervisor chat access, in words.
    pub chat_access: String,
}
