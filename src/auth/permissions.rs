//! Permissions and the built-in roles every organization starts with (DESIGN section 2).

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    UsersView,
    UsersManage,
    UsersInvite,
    LicensesManage,
    AuditView,
    SettingsManage,
}

impl Permission {
    pub const ALL: [Permission; 6] = [
        Permission::UsersView,
        Permission::UsersManage,
        Permission::UsersInvite,
        Permission::LicensesManage,
        Permission::AuditView,
        Permission::SettingsManage,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Permission::UsersView => "users.view",
            Permission::UsersManage => "users.manage",
            Permission::UsersInvite => "users.invite",
            Permission::LicensesManage => "licenses.manage",
            Permission::AuditView => "audit.view",
            Permission::SettingsManage => "settings.manage",
        }
    }

    pub fn parse(name: &str) -> Option<Permission> {
        Permission::ALL.into_iter().find(|p| p.as_str() == name)
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// A set of permissions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Permissions(u8);

impl Permissions {
    pub fn has(self, permission: Permission) -> bool {
        self.0 & permission.bit() != 0
    }

    pub fn with(self, permission: Permission) -> Self {
        Permissions(self.0 | permission.bit())
    }

    pub fn without(self, permission: Permission) -> Self {
        Permissions(self.0 & !permission.bit())
    }

    /// The union of the roles' sets, with per-user overrides (`+users.invite,-audit.view`)
    /// applied on top.
    pub fn from_roles_and_overrides(
        roles: impl IntoIterator<Item = Permissions>,
        overrides: &str,
    ) -> Self {
        let set = roles.into_iter().fold(Permissions::default(), |all, role| {
            Permissions(all.0 | role.0)
        });
        set.overridden(overrides)
    }

    /// Grants and denials (`+users.invite,-audit.view`) applied on top of this set.
    pub fn overridden(self, overrides: &str) -> Self {
        let mut set = self;
        for entry in overrides
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
        {
            let (grant, name) = entry.split_at(1);
            if let Some(permission) = Permission::parse(name) {
                set = if grant == "+" {
                    set.with(permission)
                } else {
                    set.without(permission)
                };
            }
        }
        set
    }

    /// Roles' permissions (comma-separated names) with per-user grants and denials applied.
    pub fn from_names(role_permissions: &str, overrides: &str) -> Self {
        role_permissions
            .split(',')
            .filter_map(Permission::parse)
            .fold(Permissions::default(), Permissions::with)
            .overridden(overrides)
    }
}

pub const OWNER: &str = "Owner";
pub const ADMIN: &str = "Admin";
pub const MANAGER: &str = "Manager";
pub const SUPERVISOR: &str = "Supervisor";
pub const AGENT: &str = "Agent";

/// The roles a new organization gets, with their default permissions.
pub fn builtin_roles() -> Vec<(&'static str, Vec<Permission>)> {
    use Permission::*;
    vec![
        (OWNER, Permission::ALL.to_vec()),
        (ADMIN, Permission::ALL.to_vec()),
        (MANAGER, vec![UsersView, AuditView]),
        (SUPERVISOR, vec![]),
        (AGENT, vec![]),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_grant_and_deny_on_top_of_roles() {
        let set = Permissions::from_names("users.view,audit.view", "+users.invite,-audit.view");
        assert!(set.has(Permission::UsersView));
        assert!(set.has(Permission::UsersInvite));
        assert!(!set.has(Permission::AuditView));
        assert!(!set.has(Permission::SettingsManage));
    }
}
