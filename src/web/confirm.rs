//! The one confirmation dialog of the console: a question, what will happen, and the button
//! that posts the action (the POST checks everything again).

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
