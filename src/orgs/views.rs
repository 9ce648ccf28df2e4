//! Setup pages.

use askama::Template;

use crate::web::form_errors::FieldErrors;

#[derive(Template)]
#[template(path = "orgs/setup.html")]
pub struct SetupPage {
    pub csrf: String,
    pub token: String,
    /// `None`: first run, the form asks for the organization's name.
    pub org_name: Option<String>,
    pub form_org_name: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "orgs/setup_invalid.html")]
pub struct SetupInvalidPage;
