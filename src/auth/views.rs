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
    /// "Sign in with …" buttons: (provider id, name).
    pub providers: Vec<(i64, String)>,
    /// After signing out of a session that came through a provider: (its name, its
    /// end-session URL).
    pub end_session: Option<(String, String)>,
}

impl LoginPage {
    /// The page with an error and nothing else (a refused sign-in through a provider).
    pub fn refused(req: &actix_web::HttpRequest, message: &str) -> LoginPage {
        LoginPage {
            csrf: crate::web::csrf::token(req),
            email: String::new(),
            next: String::new(),
            error: Some(message.to_owned()),
            notice: None,
            providers: Vec::new(),
            end_session: None,
        }
    }
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

#[derive(Template)]
#[template(path = "auth/forgot.html")]
pub struct ForgotPage {
    pub csrf: String,
    pub email: String,
    /// Set once the form was sent: the same words whether or not the address has an account.
    pub sent: bool,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "auth/reset.html")]
pub struct ResetPage {
    pub csrf: String,
    pub token: String,
    pub name: String,
    pub email: String,
    pub errors: crate::validation::FieldErrors,
    /// `false`: the link is unusable and the page says so.
    pub valid: bool,
    pub min_length: usize,
}
