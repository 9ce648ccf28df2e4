//! The Edit User dialog and the row it refreshes.

use askama::Template;

use super::forms::EditForm;
use crate::groups::store::Group;
use crate::groups::Kind;
use crate::licenses::store::Product;
use crate::users::views::UserRow;
use crate::validation::FieldErrors;

pub struct RoleChoice {
    pub id: i64,
    pub name: String,
    pub checked: bool,
    /// Shown but not changeable (beyond the editor's access, the Owner role, or one's own).
    pub locked: bool,
}

pub struct LicenseChoice {
    pub id: i64,
    pub name: String,
    pub checked: bool,
    /// Seats left, counting this user's own seat as theirs.
    pub left: i32,
    pub seats: i32,
    /// The editor may not change licenses (licenses.manage).
    pub locked: bool,
}

/// One kind of group as an Available / Selected pair.
pub struct GroupPicker {
    pub kind: Kind,
    /// (id, name, selected), by name.
    pub options: Vec<(i64, String, bool)>,
}

impl GroupPicker {
    /// A picker per kind that has groups; `selected` as posted or held.
    pub fn all(groups: Vec<Group>, selected: Option<&[i64]>) -> Vec<GroupPicker> {
        let selected = selected.unwrap_or_default();
        Kind::ALL
            .into_iter()
            .map(|kind| GroupPicker {
                kind,
                options: groups
                    .iter()
                    .filter(|g| g.kind() == kind)
                    .map(|g| (g.id, g.name.clone(), selected.contains(&g.id)))
                    .collect(),
            })
            .filter(|picker| !picker.options.is_empty())
            .collect()
    }

    pub fn any_selected(&self) -> bool {
        self.options.iter().any(|(_, _, selected)| *selected)
    }

    pub fn any_available(&self) -> bool {
        self.options.iter().any(|(_, _, selected)| !*selected)
    }
}

#[derive(Template)]
#[template(path = "users/_edit.html")]
pub struct EditDialog {
    pub user_id: i64,
    /// The user's links to identity providers, and whether this editor may remove them (the
    /// authority that resets the user's password).
    pub sso_links: Vec<crate::sso::views::LinkLine>,
    pub sso_unlink: bool,
    /// Make Tenant SuperUser is ticked.
    pub superuser: bool,
    /// Shown for anyone but the Owner (who holds everything already).
    pub superuser_offered: bool,
    /// Only the Owner may change it.
    pub superuser_editable: bool,
    pub group_pickers: Vec<GroupPicker>,
    /// The organization's fields, one section each.
    pub field_sections: Vec<crate::fields::views::FieldSection>,
    pub form: EditForm,
    pub roles: Vec<RoleChoice>,
    pub licenses: Vec<LicenseChoice>,
    pub divisions: Vec<(i64, String)>,
    /// No Active toggle on one's own account or the Owner's.
    pub show_active: bool,
    /// Email and login IP allowlist are shown but not changeable (the Owner's, to others).
    pub credentials_locked: bool,
    /// Why, when the credentials are locked.
    pub credentials_note: String,
    /// A new email address waiting for its confirmation.
    pub pending_email: Option<crate::account::email::PendingEmail>,
    pub pending: bool,
    /// The user is active in the database right now.
    pub was_active: bool,
    pub errors: FieldErrors,
    /// A message above the form (a concurrent change).
    pub alert: Option<String>,
    /// Asking to confirm a deactivation before saving.
    pub confirm_deactivate: bool,
    pub timezones: Vec<String>,
}

impl EditDialog {
    /// Supervisor chat access shows while the Supervisor role is ticked.
    pub fn supervisor_checked(&self) -> bool {
        self.roles
            .iter()
            .any(|r| r.checked && r.name == crate::auth::permissions::SUPERVISOR)
    }

    /// The divisions to tick for Assigned divisions only: (id, name, ticked).
    pub fn chat_divisions(&self) -> Vec<(i64, &str, bool)> {
        let ticked = self.form.chat_division_ids.as_deref().unwrap_or(&[]);
        self.divisions
            .iter()
            .map(|(id, name)| (*id, name.as_str(), ticked.contains(id)))
            .collect()
    }

    pub fn division_selected(&self, id: &i64) -> bool {
        self.form.division == id.to_string()
    }

    pub fn languages(&self) -> &'static [(&'static str, &'static str)] {
        super::LANGUAGES
    }
}

/// One refreshed list row.
#[derive(Template)]
#[template(path = "users/_row.html")]
pub struct RowFragment {
    pub row: UserRow,
    pub can_invite: bool,
    pub can_manage: bool,
    pub can_create: bool,
    pub can_view_audit: bool,
}

impl LicenseChoice {
    pub fn from_product(product: &Product, checked: bool) -> Self {
        Self {
            id: product.id,
            name: product.name.clone(),
            checked,
            left: product.available(),
            seats: product.seats,
            locked: false,
        }
    }
}
