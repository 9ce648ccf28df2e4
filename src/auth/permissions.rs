//! Permissions and the built-in roles every organization starts with (DESIGN section 2).
//!
//! Console permissions are a fixed catalogue, each guarding one kind of act. Product
//! permissions (Broadcast in Omnichannel, Auto dial in the Dialer …) are the organization's
//! own: each takes one of `PRODUCT_SLOTS` numbered slots, stored as `product:{slot}`, so a set
//! of both fits one `u128` and the rules compare sets without asking the database.

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Permission {
    UsersView,
    UsersInvite,
    UsersEdit,
    UsersAccess,
    LicensesManage,
    UsersStatus,
    UsersDelete,
    UsersCredentials,
    DirectoryManage,
    AuditView,
    SettingsManage,
    RolesManage,
}

/// How many product permissions an organization may define (slots `0..PRODUCT_SLOTS`).
pub const PRODUCT_SLOTS: u8 = 96;
const CONSOLE_BITS: u32 = 32;

impl Permission {
    pub const ALL: [Permission; 12] = [
        Permission::UsersView,
        Permission::UsersInvite,
        Permission::UsersEdit,
        Permission::UsersAccess,
        Permission::LicensesManage,
        Permission::UsersStatus,
        Permission::UsersDelete,
        Permission::UsersCredentials,
        Permission::DirectoryManage,
        Permission::AuditView,
        Permission::SettingsManage,
        Permission::RolesManage,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Permission::UsersView => "users.view",
            Permission::UsersInvite => "users.invite",
            Permission::UsersEdit => "users.edit",
            Permission::UsersAccess => "users.access",
            Permission::LicensesManage => "licenses.manage",
            Permission::UsersStatus => "users.status",
            Permission::UsersDelete => "users.delete",
            Permission::UsersCredentials => "users.credentials",
            Permission::DirectoryManage => "directory.manage",
            Permission::AuditView => "audit.view",
            Permission::SettingsManage => "settings.manage",
            Permission::RolesManage => "roles.manage",
        }
    }

    /// The permission's name in the console.
    pub fn label(self) -> &'static str {
        match self {
            Permission::UsersView => "View users",
            Permission::UsersInvite => "Invite users",
            Permission::UsersEdit => "Edit profiles",
            Permission::UsersAccess => "Manage roles of others",
            Permission::LicensesManage => "Manage licenses",
            Permission::UsersStatus => "Activate and deactivate",
            Permission::UsersDelete => "Delete users",
            Permission::UsersCredentials => "Reset credentials",
            Permission::DirectoryManage => "Manage groups and fields",
            Permission::AuditView => "View audit",
            Permission::SettingsManage => "Manage settings",
            Permission::RolesManage => "Manage roles",
        }
    }

    /// What the permission lets a person do.
    pub fn describe(self) -> &'static str {
        match self {
            Permission::UsersView => "See User Management, last active, and export",
            Permission::UsersInvite => {
                "Invite and create users; resend, revoke and confirm invitations"
            }
            Permission::UsersEdit => {
                "Edit names, phone, division, groups and user fields; import changes"
            }
            Permission::UsersAccess => "Give and take other users' roles and permissions",
            Permission::LicensesManage => "Assign licenses and change each product's seats",
            Permission::UsersStatus => "Activate, deactivate and unblock users",
            Permission::UsersDelete => "Delete users and hand on what they own",
            Permission::UsersCredentials => {
                "Reset passwords and MFA; change email addresses and sign-in addresses"
            }
            Permission::DirectoryManage => "Define user fields, groups and divisions",
            Permission::AuditView => "See the activity log",
            Permission::SettingsManage => "Change sign-up, security and inactivity settings",
            Permission::RolesManage => "Create and edit roles and product permissions",
        }
    }

    pub fn parse(name: &str) -> Option<Permission> {
        Permission::ALL.into_iter().find(|p| p.as_str() == name)
    }

    fn bit(self) -> u128 {
        1 << (self as u32)
    }
}

/// The stored name of a product permission slot.
pub fn product_name(slot: u8) -> String {
    format!("product:{slot}")
}

/// The slot of a stored product permission name.
pub fn parse_product(name: &str) -> Option<u8> {
    name.strip_prefix("product:")
        .and_then(|s| s.parse().ok())
        .filter(|slot| *slot < PRODUCT_SLOTS)
}

fn product_bit(slot: u8) -> u128 {
    1 << (CONSOLE_BITS + u32::from(slot))
}

/// A set of permissions, console and product.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Permissions(u128);

impl Permissions {
    /// Every console permission (product permissions are the organization's: add them).
    pub fn all_console() -> Self {
        Permission::ALL
            .into_iter()
            .fold(Permissions::default(), Permissions::with)
    }

    pub fn has(self, permission: Permission) -> bool {
        self.0 & permission.bit() != 0
    }

    pub fn with(self, permission: Permission) -> Self {
        Permissions(self.0 | permission.bit())
    }

    pub fn without(self, permission: Permission) -> Self {
        Permissions(self.0 & !permission.bit())
    }

    pub fn has_product(self, slot: u8) -> bool {
        slot < PRODUCT_SLOTS && self.0 & product_bit(slot) != 0
    }

    pub fn with_product(self, slot: u8) -> Self {
        if slot < PRODUCT_SLOTS {
            Permissions(self.0 | product_bit(slot))
        } else {
            self
        }
    }

    pub fn union(self, other: Permissions) -> Self {
        Permissions(self.0 | other.0)
    }

    /// Every permission of `other` is in this set.
    pub fn covers(self, other: Permissions) -> bool {
        other.0 & !self.0 == 0
    }

    /// What `other` holds that this set does not.
    pub fn missing(self, other: Permissions) -> Permissions {
        Permissions(other.0 & !self.0)
    }

    /// What this set and `other` both hold.
    pub fn within(self, other: Permissions) -> Self {
        Permissions(self.0 & other.0)
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Some permission is in both sets.
    pub fn meets(self, other: Permissions) -> bool {
        self.0 & other.0 != 0
    }

    /// The stored names of the set: console permissions in catalogue order, then products.
    pub fn names(self) -> Vec<String> {
        Permission::ALL
            .into_iter()
            .filter(|p| self.has(*p))
            .map(|p| p.as_str().to_owned())
            .chain(
                (0..PRODUCT_SLOTS)
                    .filter(|s| self.has_product(*s))
                    .map(product_name),
            )
            .collect()
    }

    /// The set of one stored name (empty for an unknown name).
    pub fn of_name(name: &str) -> Self {
        Permissions::default().with_name(name)
    }

    /// Holds the permission of this stored name (console or product).
    pub fn has_name(self, name: &str) -> bool {
        let one = Permissions::of_name(name);
        !one.is_empty() && self.covers(one)
    }

    /// Adds a stored name (console or product); unknown names are ignored.
    pub fn with_name(self, name: &str) -> Self {
        match (Permission::parse(name), parse_product(name)) {
            (Some(p), _) => self.with(p),
            (_, Some(slot)) => self.with_product(slot),
            _ => self,
        }
    }

    fn without_name(self, name: &str) -> Self {
        match (Permission::parse(name), parse_product(name)) {
            (Some(p), _) => self.without(p),
            (_, Some(slot)) => Permissions(self.0 & !product_bit(slot)),
            _ => self,
        }
    }

    /// The union of the roles' sets, with per-user overrides (`+users.invite,-audit.view`)
    /// applied on top.
    pub fn from_roles_and_overrides(
        roles: impl IntoIterator<Item = Permissions>,
        overrides: &str,
    ) -> Self {
        roles
            .into_iter()
            .fold(Permissions::default(), Permissions::union)
            .overridden(overrides)
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
            set = if grant == "+" {
                set.with_name(name)
            } else {
                set.without_name(name)
            };
        }
        set
    }

    /// Roles' permissions (comma-separated names) with per-user grants and denials applied.
    pub fn from_names(role_permissions: &str, overrides: &str) -> Self {
        role_permissions
            .split(',')
            .fold(Permissions::default(), Permissions::with_name)
            .overridden(overrides)
    }
}

pub const OWNER: &str = "Owner";
pub const ADMIN: &str = "Admin";
pub const MANAGER: &str = "Manager";
pub const SUPERVISOR: &str = "Supervisor";
pub const AGENT: &str = "Agent";

/// The roles a new organization gets, with their default permissions and description.
pub fn builtin_roles() -> Vec<(&'static str, Vec<Permission>, &'static str)> {
    use Permission::*;
    vec![
        (
            OWNER,
            Permission::ALL.to_vec(),
            "Holds every permission; only the Owner changes the Owner's credentials.",
        ),
        (
            ADMIN,
            Permission::ALL.to_vec(),
            "Runs the console: people, roles, licenses and settings.",
        ),
        (
            MANAGER,
            vec![UsersView, AuditView],
            "Watches who is active and online, and the activity log.",
        ),
        (SUPERVISOR, vec![], "Leads agents in the products."),
        (
            AGENT,
            vec![],
            "Works in the products; signs in to My account only.",
        ),
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

    #[test]
    fn product_permissions_share_the_set_with_console_ones() {
        let set = Permissions::from_names("users.view,product:0,product:95", "-product:0");
        assert!(set.has(Permission::UsersView));
        assert!(!set.has_product(0));
        assert!(set.has_product(95));
        assert_eq!(set.names(), vec!["users.view", "product:95"]);
        assert!(!Permissions::all_console().covers(set));
        assert!(Permissions::all_console().with_product(95).covers(set));
        assert_eq!(parse_product("product:96"), None);
        assert_eq!(
            Permissions::default().with_product(96),
            Permissions::default()
        );
    }
}
