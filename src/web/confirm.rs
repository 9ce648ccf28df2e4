//! The one confirmation dialog of the console: a question, what will happen, and the button
//! that posts the action (the POST checks everything again); and the one rename dialog.

use askama::Template;

#[derive(Template)]
#[template(path = "_confirm.html")]
pub struct ConfirmDialog {
    /// Where the button posts.
    pub action_url: String,
    pub title: String,
    pub message: String,
    pub button: &'static str,
    pub danger: bool,
    /// Another way to do it, offered beside (Reset Password: a temporary password instead of
    /// the emailed link); its answer replaces the dialog.
    pub alternative: Option<Alternative>,
}

pub struct Alternative {
    pub action_url: String,
    pub heading: &'static str,
    pub message: String,
    pub button: &'static str,
}

/// Renaming something that has a name (a group, a division): one field, its error beside it.
#[derive(Template)]
#[template(path = "_rename.html")]
pub struct RenameDialog {
    pub action_url: String,
    /// "Rename Tag “VIP”".
    pub title: String,
    /// As typed.
    pub name: String,
    pub errors: crate::validation::FieldErrors,
}
