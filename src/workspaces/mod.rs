//! Workspaces inside an organization: Settings → Workspaces creates, renames and archives
//! them; each has members with an access level. A new organization has one workspace, and
//! everyone who joins the organization joins its first active workspace.

pub mod members;
pub mod routes;
pub mod service;
pub mod store;
pub mod switcher;
pub mod views;

/// A member's access level in a workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Owner,
    Manager,
    Agent,
}

impl Level {
    pub const ALL: [Level; 3] = [Level::Owner, Level::Manager, Level::Agent];

    /// What the database and forms hold.
    pub fn code(self) -> &'static str {
        match self {
            Level::Owner => "owner",
            Level::Manager => "manager",
            Level::Agent => "agent",
        }
    }

    pub fn parse(code: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|level| level.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Level::Owner => "Owner",
            Level::Manager => "Manager",
            Level::Agent => "Agent",
        }
    }
}

/// Someone's place in a workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub level: Level,
    /// Always empty for an Owner.
    pub restrictions: Vec<Restriction>,
}

impl Membership {
    pub fn new(level: Level, mut restrictions: Vec<Restriction>) -> Self {
        if level == Level::Owner {
            restrictions.clear();
        }
        restrictions.sort();
        restrictions.dedup();
        Membership {
            level,
            restrictions,
        }
    }

    pub fn can(&self, withheld: Restriction) -> bool {
        !self.restrictions.contains(&withheld)
    }
}

/// What an organization can withhold from a workspace's Managers (an Owner has no
/// restriction; an Agent manages nobody, so theirs only wait for a promotion).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Restriction {
    /// Export the workspace's users as CSV.
    NoExport,
    /// Bring in someone new to the organization (ADD USER of an unknown address).
    NoInvite,
    /// Revoke anyone's access.
    NoRevoke,
}

impl Restriction {
    pub const ALL: [Restriction; 3] = [
        Restriction::NoExport,
        Restriction::NoInvite,
        Restriction::NoRevoke,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Restriction::NoExport => "no_export",
            Restriction::NoInvite => "no_invite",
            Restriction::NoRevoke => "no_revoke",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Restriction::NoExport => "Cannot export",
            Restriction::NoInvite => "Cannot invite people new to the organization",
            Restriction::NoRevoke => "Cannot revoke access",
        }
    }

    pub fn parse(code: &str) -> Option<Restriction> {
        Restriction::ALL.into_iter().find(|r| r.code() == code)
    }

    /// What `workspace_members.restrictions` holds: codes separated by commas.
    pub fn decode(stored: &str) -> Vec<Restriction> {
        let mut all: Vec<Restriction> = stored.split(',').filter_map(Restriction::parse).collect();
        all.sort();
        all.dedup();
        all
    }

    pub fn encode(restrictions: &[Restriction]) -> String {
        let mut codes: Vec<&str> = restrictions.iter().map(|r| r.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        codes.join(",")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_round_trip() {
        for level in Level::ALL {
            assert_eq!(Level::parse(level.code()), Some(level));
        }
        assert_eq!(Level::parse("admin"), None);
    }

    #[test]
    fn restrictions_round_trip_sorted_and_once() {
        let stored = Restriction::encode(&[
            Restriction::NoRevoke,
            Restriction::NoExport,
            Restriction::NoRevoke,
        ]);
        assert_eq!(stored, "no_export,no_revoke");
        assert_eq!(
            Restriction::decode(&format!("{stored},unknown,")),
            vec![Restriction::NoExport, Restriction::NoRevoke]
        );
        assert!(Restriction::decode("").is_empty());
    }
}
