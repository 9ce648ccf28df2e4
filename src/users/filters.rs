//! The filter bar of User Management (what is set now and what it offers) and the bulk
//! actions bar.

/// The filter bar: what is set now and the roles to choose from.
pub struct Filters {
    pub search: String,
    pub role_id: Option<i64>,
    pub active_only: bool,
    pub last_active: super::forms::LastActive,
    pub sort: String,
    pub roles: Vec<(i64, String)>,
    pub group_id: Option<i64>,
    /// The organization's groups by kind (kinds without any are left out).
    pub groups: Vec<GroupOptions>,
    /// The organization's fields a filter can name: (id, label), secrets left out.
    pub fields: Vec<(i64, String)>,
    /// The field filter now set.
    pub field: Option<super::forms::FieldFilter>,
    pub workspace_id: Option<i64>,
    /// The active workspaces to filter by (none when the organization has only one).
    pub workspaces: Vec<(i64, String)>,
}

/// One kind's groups in the filter's menu.
pub struct GroupOptions {
    pub heading: &'static str,
    pub options: Vec<(i64, String)>,
}

impl GroupOptions {
    pub fn of(groups: &[crate::groups::store::Group]) -> Vec<GroupOptions> {
        crate::groups::Kind::ALL
            .into_iter()
            .map(|kind| GroupOptions {
                heading: kind.heading(),
                options: groups
                    .iter()
                    .filter(|g| g.kind() == kind)
                    .map(|g| (g.id, g.name.clone()))
                    .collect(),
            })
            .filter(|kind| !kind.options.is_empty())
            .collect()
    }
}

impl Filters {
    /// The Last active menu: (value, label, selected).
    pub fn last_active_options(&self) -> Vec<(&'static str, &'static str, bool)> {
        super::forms::LastActive::OPTIONS
            .iter()
            .map(|(option, label)| (option.as_param(), *label, *option == self.last_active))
            .collect()
    }

    pub fn role_selected(&self, id: &i64) -> bool {
        self.role_id == Some(*id)
    }

    pub fn workspace_selected(&self, id: &i64) -> bool {
        self.workspace_id == Some(*id)
    }

    pub fn group_selected(&self, id: &i64) -> bool {
        self.group_id == Some(*id)
    }

    pub fn field_selected(&self, id: &i64) -> bool {
        self.field.as_ref().is_some_and(|f| f.field_id == *id)
    }

    /// The value the field filter compares, as typed.
    pub fn field_value(&self) -> &str {
        self.field
            .as_ref()
            .and_then(|f| f.equals.as_deref())
            .unwrap_or("")
    }

    pub fn field_empty(&self) -> bool {
        self.field.as_ref().is_some_and(|f| f.equals.is_none())
    }
}

/// What the bulk actions bar offers: roles within the viewer's access and the products.
pub struct BulkBar {
    pub roles: Vec<(i64, String)>,
    pub products: Vec<(i64, String)>,
    pub groups: Vec<GroupOptions>,
    /// User fields Set field offers (never a secret): (id, label).
    pub fields: Vec<(i64, String)>,
    /// Workspaces to add people to or take them out of (none when there is only one).
    pub workspaces: Vec<(i64, String)>,
}
