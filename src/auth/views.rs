//! Sign-in page.

use askama::Template;

#[derive(Template)]
#[template(path = "auth/login.html")]
pub struct LoginPage {
    pub csrf: String,
    pub email: String,
    pub next: String,
    pub error: Option<String>,
    pub notice: Option<String>,
}

/// The emailed unblock link: a button first, then the outcome.
#[derive(Template)]
#[template(path = "auth/unblock.html")]
pub struct UnblockPage {
    pub csrf: String,
    pub token: String,
    /// `None`: not pressed yet; `Some(true)`: unblocked; `Some(false)`: link unusable.
    pub done: Option<bool>,
}
