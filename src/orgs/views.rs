//! Setup pages.

use askama::Template;

use crate::validation::FieldErrors;

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
    /// Said above the form (after "Use a different address").
    pub notice: Option<String>,
}

/// The second step: the code emailed to the address typed in the first.
#[derive(Template)]
#[template(path = "orgs/setup_code.html")]
pub struct SetupCodePage {
    pub csrf: String,
    pub token: String,
    /// The organization being set up (as named in the first step, or the link's).
    pub org_name: String,
    pub email: String,
    pub notice: Option<String>,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "orgs/setup_invalid.html")]
pub struct SetupInvalidPage;
