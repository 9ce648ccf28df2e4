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
