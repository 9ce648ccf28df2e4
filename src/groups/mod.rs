//! Groups: tags, skill groups and teams an organization defines to sort its people. Settings →
//! Groups creates, renames and deletes them; Edit User, the list's chips and filter, bulk
//! actions and the CSV export use them.

pub mod members;
pub mod routes;
pub mod service;
pub mod store;
pub mod views;

/// The three kinds of group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Tag,
    Skill,
    Team,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Tag, Kind::Skill, Kind::Team];

    /// What the database and forms hold.
    pub fn code(self) -> &'static str {
        match self {
            Kind::Tag => "tag",
            Kind::Skill => "skill",
            Kind::Team => "team",
        }
    }

    pub fn parse(code: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|kind| kind.code() == code)
    }

    /// One of them: "Tag", "Skill group", "Team".
    pub fn label(self) -> &'static str {
        match self {
            Kind::Tag => "Tag",
            Kind::Skill => "Skill group",
            Kind::Team => "Team",
        }
    }

    /// A heading over all of them: "User Tags", "Skill Groups", "Teams".
    pub fn heading(self) -> &'static str {
        match self {
            Kind::Tag => "User Tags",
            Kind::Skill => "Skill Groups",
            Kind::Team => "Teams",
        }
    }
}

/// The longest group name.
pub const NAME_MAX: usize = 60;

/// A group's name, trimmed, checked: 1 to 60 characters, no control characters.
pub fn check_name(name: &str) -> Result<String, String> {
    let name = name.trim();
    if name.is_empty() {
        return Err("Enter a name.".into());
    }
    if name.chars().count() > NAME_MAX {
        return Err(format!("Use at most {NAME_MAX} characters."));
    }
    if name.chars().any(char::is_control) {
        return Err("Use letters, digits, spaces and punctuation only.".into());
    }
    Ok(name.to_owned())
}

/// The organization's groups by id, to name the ids the list's query aggregates per user.
#[derive(Debug, Default)]
pub struct GroupNames(std::collections::HashMap<i64, (Kind, String)>);

impl GroupNames {
    pub fn of(groups: &[store::Group]) -> GroupNames {
        GroupNames(
            groups
                .iter()
                .map(|g| (g.id, (g.kind(), g.name.clone())))
                .collect(),
        )
    }

    /// A user's groups from the list's comma-separated ids, by kind then name (ids of groups
    /// deleted meanwhile are left out).
    pub fn of_ids(&self, ids: Option<&str>) -> Vec<(Kind, String)> {
        let mut groups: Vec<(Kind, String)> = ids
            .unwrap_or("")
            .split(',')
            .filter_map(|id| self.0.get(&id.parse::<i64>().ok()?).cloned())
            .collect();
        groups.sort_by_cached_key(|(kind, name)| (*kind, name_key(name)));
        groups
    }
}

/// The case-insensitive key a name is unique by within its kind.
pub fn name_key(name: &str) -> String {
    name.to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_and_names_are_checked() {
        for kind in Kind::ALL {
            assert_eq!(Kind::parse(kind.code()), Some(kind));
        }
        assert_eq!(Kind::parse("division"), None);
        assert_eq!(check_name("  VIP  ").as_deref(), Ok("VIP"));
        assert!(check_name("   ").is_err());
        assert!(check_name(&"x".repeat(61)).is_err());
        assert!(check_name("a\u{7}b").is_err());
        assert_eq!(name_key("Spanish"), "spanish");
        let names = GroupNames::of(&[
            store::Group {
                id: 1,
                kind: "team".into(),
                name: "North".into(),
            },
            store::Group {
                id: 2,
                kind: "tag".into(),
                name: "vip".into(),
            },
            store::Group {
                id: 3,
                kind: "tag".into(),
                name: "Alpha".into(),
            },
        ]);
        assert_eq!(
            names.of_ids(Some("1,2,3,99")),
            vec![
                (Kind::Tag, "Alpha".to_owned()),
                (Kind::Tag, "vip".to_owned()),
                (Kind::Team, "North".to_owned())
            ]
        );
        assert!(names.of_ids(None).is_empty());
    }
}
