//! Bulk actions: the same change for many users at once (the ticked rows, or everyone matching
//! the filter), confirmed with how many users will change, applied in one transaction with one
//! audit event per user.

pub mod routes;
pub mod service;
pub mod views;

/// What a bulk action does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    AddRole(i64),
    RemoveRole(i64),
    AddLicense(i64),
    RemoveLicense(i64),
    /// A tag, skill group or team.
    AddGroup(i64),
    RemoveGroup(i64),
    /// Workspace membership (as an Agent; out as Revoke Access, records unassigned).
    JoinWorkspace(i64),
    LeaveWorkspace(i64),
    /// A user field set to the value posted beside (`set_value`; empty clears it).
    SetField(i64),
    Activate,
    Deactivate,
    Delete,
}

impl Action {
    /// `role_add:3`, `license_remove:2`, `activate`, …
    pub fn parse(text: &str) -> Option<Action> {
        let (name, id) = match text.split_once(':') {
            Some((name, id)) => (name, id.parse::<i64>().ok()),
            None => (text, None),
        };
        Some(match (name, id) {
            ("role_add", Some(id)) => Action::AddRole(id),
            ("role_remove", Some(id)) => Action::RemoveRole(id),
            ("license_add", Some(id)) => Action::AddLicense(id),
            ("license_remove", Some(id)) => Action::RemoveLicense(id),
            ("group_add", Some(id)) => Action::AddGroup(id),
            ("group_remove", Some(id)) => Action::RemoveGroup(id),
            ("workspace_add", Some(id)) => Action::JoinWorkspace(id),
            ("workspace_remove", Some(id)) => Action::LeaveWorkspace(id),
            ("field_set", Some(id)) => Action::SetField(id),
            ("activate", None) => Action::Activate,
            ("deactivate", None) => Action::Deactivate,
            ("delete", None) => Action::Delete,
            _ => return None,
        })
    }

    pub fn as_param(self) -> String {
        match self {
            Action::AddRole(id) => format!("role_add:{id}"),
            Action::RemoveRole(id) => format!("role_remove:{id}"),
            Action::AddLicense(id) => format!("license_add:{id}"),
            Action::RemoveLicense(id) => format!("license_remove:{id}"),
            Action::AddGroup(id) => format!("group_add:{id}"),
            Action::RemoveGroup(id) => format!("group_remove:{id}"),
            Action::JoinWorkspace(id) => format!("workspace_add:{id}"),
            Action::LeaveWorkspace(id) => format!("workspace_remove:{id}"),
            Action::SetField(id) => format!("field_set:{id}"),
            Action::Activate => "activate".into(),
            Action::Deactivate => "deactivate".into(),
            Action::Delete => "delete".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Action;

    #[test]
    fn actions_round_trip_through_their_form_values() {
        for action in [
            Action::AddRole(3),
            Action::RemoveRole(4),
            Action::AddLicense(1),
            Action::RemoveLicense(2),
            Action::AddGroup(5),
            Action::RemoveGroup(6),
            Action::JoinWorkspace(7),
            Action::LeaveWorkspace(8),
            Action::SetField(7),
            Action::Activate,
            Action::Deactivate,
            Action::Delete,
        ] {
            assert_eq!(Action::parse(&action.as_param()), Some(action));
        }
        assert_eq!(Action::parse("role_add:x"), None);
        assert_eq!(Action::parse("explode"), None);
    }
}
