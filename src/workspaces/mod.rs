//! Workspaces inside an organization: Settings → Workspaces creates, renames and archives
//! them; each has members with an access level. A new organization has one workspace, and
//! everyone who joins the organization joins its first active workspace.

pub mod members;
pub mod routes;
pub mod service;
pub mod store;
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
}
