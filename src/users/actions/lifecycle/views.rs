//! The Delete dialog.

use askama::Template;

#[derive(Template)]
#[template(path = "users/_delete.html")]
pub struct DeleteDialog {
    pub user_id: i64,
    pub name: String,
    pub first_name: String,
    pub email: String,
    /// Product names of the seats that are freed.
    pub licenses: Vec<String>,
    /// "12 contacts, 1 lead" (empty: nothing owned).
    pub owned: String,
    /// What was typed as the new owner (after a refusal).
    pub reassign_email: String,
    pub leave_unassigned: bool,
    pub reassign_error: Option<String>,
    /// Offer Deactivate instead (the user is active now).
    pub can_deactivate: bool,
}

impl DeleteDialog {
    /// "their Dialer seat is freed", "their Dialer and CRM seats are freed".
    pub fn seats_freed(&self) -> String {
        match self.licenses.as_slice() {
            [] => String::new(),
            [one] => format!("their {one} seat is freed"),
            [init @ .., last] => format!("their {} and {last} seats are freed", init.join(", ")),
        }
    }

    pub fn owned_legend(&self) -> String {
        format!("{} owns {}. Give them to", self.first_name, self.owned)
    }

    pub fn field_id(&self) -> &'static str {
        "d-owner"
    }
}

/// Suggestions for a "new owner" email field: active users matching what was typed.
#[derive(Template)]
#[template(
    source = "{% for (email, name) in people %}<option value=\"{{ email }}\">{{ name }}</option>{% endfor %}",
    ext = "html"
)]
pub struct PeopleOptions {
    pub people: Vec<(String, String)>,
}
