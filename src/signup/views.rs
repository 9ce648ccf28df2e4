//! Sign-up pages.

use askama::Template;

use crate::validation::FieldErrors;

#[derive(Template)]
#[template(path = "signup/form.html")]
pub struct SignupPage {
    pub csrf: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "signup/check_email.html")]
pub struct CheckEmailPage {
    pub email: String,
}

#[derive(Template)]
#[template(path = "signup/verify.html")]
pub struct VerifyPage {
    pub csrf: String,
    pub token: String,
    pub org: String,
    pub name: String,
    pub email: String,
    pub errors: FieldErrors,
    /// The shortest password the organization accepts.
    pub min_length: usize,
}

#[derive(Template)]
#[template(path = "signup/invalid.html")]
pub struct VerifyInvalidPage {
    pub message: String,
}
