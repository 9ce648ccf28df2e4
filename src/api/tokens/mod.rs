//! API tokens: secrets for machines. A token acts with its maker's permissions of the moment,
//! narrowed to its scopes; it stops when its maker is deactivated, blocked or deleted, when it
//! is revoked, or when it expires. Only the secret's SHA-256 is kept.

pub mod routes;
pub mod service;
pub mod store;
mod views;

use crate::auth::permissions::{Permission, Permissions};

/// What a token may be used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    UsersRead,
    UsersWrite,
    AuditRead,
    Scim,
    Webhooks,
}

impl Scope {
    pub const ALL: [Scope; 5] = [
        Scope::UsersRead,
        Scope::UsersWrite,
        Scope::AuditRead,
        Scope::Scim,
        Scope::Webhooks,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::UsersRead => "users:read",
            Scope::UsersWrite => "users:write",
            Scope::AuditRead => "audit:read",
            Scope::Scim => "scim",
            Scope::Webhooks => "webhooks",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Scope::UsersRead => "Read users",
            Scope::UsersWrite => "Write users",
            Scope::AuditRead => "Read the audit log",
            Scope::Scim => "SCIM provisioning",
            Scope::Webhooks => "Webhooks",
        }
    }

    pub fn parse(text: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|s| s.as_str() == text.trim())
    }

    /// The console permissions this scope lets a token use (of those its maker holds).
    pub fn permissions(self) -> Permissions {
        use Permission::*;
        let of = |list: &[Permission]| {
            list.iter()
                .fold(Permissions::default(), |all, p| all.with(*p))
        };
        match self {
            Scope::UsersRead => of(&[UsersView]),
            // Credentials: an email address is one (the Owner's stay the Owner's alone).
            Scope::UsersWrite => of(&[
                UsersView,
                UsersInvite,
                UsersEdit,
                UsersAccess,
                LicensesManage,
                UsersStatus,
                UsersDelete,
                UsersCredentials,
            ]),
            Scope::AuditRead => of(&[AuditView]),
            Scope::Scim => of(&[
                UsersView,
                UsersInvite,
                UsersEdit,
                UsersAccess,
                LicensesManage,
                UsersStatus,
                UsersDelete,
                UsersCredentials,
                DirectoryManage,
            ]),
            Scope::Webhooks => of(&[SettingsManage]),
        }
    }
}

/// A token's scopes, stored as `users:read,scim`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scopes(pub Vec<Scope>);

impl Scopes {
    /// Parses a comma list; `Err` names the first unknown scope.
    pub fn parse(text: &str) -> Result<Scopes, String> {
        let mut scopes = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let scope = Scope::parse(part).ok_or_else(|| {
                format!(
                    "“{part}” is not a scope; use {}.",
                    Scope::ALL.map(Scope::as_str).join(", ")
                )
            })?;
            if !scopes.contains(&scope) {
                scopes.push(scope);
            }
        }
        scopes.sort();
        Ok(Scopes(scopes))
    }

    pub fn has(&self, scope: Scope) -> bool {
        self.0.contains(&scope)
    }

    pub fn to_stored(&self) -> String {
        self.0
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Every console permission any of the scopes lets a token use.
    pub fn permissions(&self) -> Permissions {
        self.0
            .iter()
            .fold(Permissions::default(), |all, s| all.union(s.permissions()))
    }
}

/// The prefix every secret starts with (so scanners and people recognise one).
pub const SECRET_PREFIX: &str = "gh_";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_sorted_and_once_and_name_an_unknown_one() {
        let scopes = Scopes::parse("scim, users:read,scim").unwrap();
        assert_eq!(scopes.to_stored(), "users:read,scim");
        assert!(Scopes::parse("users:read,root")
            .unwrap_err()
            .contains("“root”"));
        assert!(Scopes::parse("").unwrap().0.is_empty());
    }

    #[test]
    fn read_users_gives_no_write_permission() {
        let read = Scopes::parse("users:read").unwrap().permissions();
        assert!(read.has(Permission::UsersView));
        assert!(!read.has(Permission::UsersEdit));
        assert!(!read.has(Permission::SettingsManage));
    }
}
