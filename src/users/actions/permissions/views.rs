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
    /// The stored name (`users.invite`, `product:3`).
    pub name: String,
    /// "Invite users", "Omnichannel: Broadcast".
    pub label: String,
    pub description: String,
    /// The heading of the group this row starts ("Console", a product), if it starts one.
    pub section: Option<String>,
    /// The roles (of the ticked ones) that give it.
    pub from_roles: Vec<String>,
    /// "", "grant" or "deny".
    pub choice: &'static str,
    pub effective: bool,
    /// The editor does not hold it, so cannot change its override.
    pub locked: bool,
}

/// A division or team the administration may be limited to.
pub struct ScopeBox {
    pub id: i64,
    pub name: String,
    pub checked: bool,
    /// Outside the editor's own scope: shown, not changeable.
    pub locked: bool,
}

/// Whom the user administers: everyone, or the people of some divisions and teams.
pub struct ScopeChoice {
    pub everyone: bool,
    pub divisions: Vec<ScopeBox>,
    pub teams: Vec<ScopeBox>,
    /// The Owner and superusers administer everything; one's own scope is read-only too.
    pub locked: bool,
    /// The editor administers only part of the organization: "Everyone" is not theirs to give.
    pub everyone_locked: bool,
}

#[derive(Template)]
#[template(path = "users/_permissions.html")]
pub struct PermissionsDialog {
    pub user_id: i64,
    pub name: String,
    pub version: i32,
    pub roles: Vec<RoleBox>,
    pub permissions: Vec<PermissionRow>,
    pub preview: AccessPreview,
    pub copy_from: String,
    /// A message above the form (copied from someone, a refusal, a concurrent change).
    pub notice: Option<String>,
    pub error: Option<String>,
    /// One's own access cannot be changed: the dialog only shows it.
    pub read_only: bool,
    /// The user's effective Supervisor chat access, in words.
    pub chat_access: String,
    pub scope: ScopeChoice,
}

/// What the dialog's ticks would change in the user's effective permissions.
#[derive(Debug, Clone, Default)]
pub struct AccessPreview {
    pub grants: Vec<String>,
    pub revokes: Vec<String>,
}

impl AccessPreview {
    pub fn between(
        now: crate::auth::permissions::Permissions,
        then: crate::auth::permissions::Permissions,
        products: &[crate::licenses::product_permissions::ProductPermission],
    ) -> Self {
        AccessPreview {
            grants: crate::roles::labels_of(now.missing(then), products),
            revokes: crate::roles::labels_of(then.missing(now), products),
        }
    }
}

#[derive(Template)]
#[template(path = "users/_permissions_preview.html")]
pub struct PreviewFragment {
    pub preview: AccessPreview,
}
