//! The Create User dialog.

use askama::Template;

use super::forms::CreateForm;
use crate::fields::views::FieldSection;
use crate::users::actions::edit::views::{GroupPicker, LicenseChoice};
use crate::validation::FieldErrors;

#[derive(Template)]
#[template(path = "users/_create.html")]
pub struct CreateDialog {
    pub form: CreateForm,
    /// The roles the creator may give: (id, name).
    pub roles: Vec<(i64, String)>,
    pub licenses: Vec<LicenseChoice>,
    pub divisions: Vec<(i64, String)>,
    pub group_pickers: Vec<GroupPicker>,
    pub field_sections: Vec<FieldSection>,
    pub username_required: bool,
    pub errors: FieldErrors,
}

impl CreateDialog {
    fn role_ticked(&self, id: &i64) -> bool {
        self.form.role_ids.contains(id)
    }

    fn division_selected(&self, id: &i64) -> bool {
        self.form.division == id.to_string()
    }
}
