//! The first-run / new-organization setup form.

use serde::Deserialize;

use crate::auth::password;
use crate::users;
use crate::validation::FieldErrors;

#[derive(Debug, Default, Deserialize)]
pub struct SetupForm {
    #[serde(default)]
    pub token: String,
    #[serde(default)]
    pub org_name: String,
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub last_name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub password_confirm: String,
}

/// The form, checked; the password still in clear until it is hashed off the executor.
pub struct ValidSetup {
    pub org_name: Option<String>,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub password: String,
}

impl SetupForm {
    /// `needs_org_name`: first-run setup also names the organization.
    pub fn validate(&self, needs_org_name: bool) -> Result<ValidSetup, FieldErrors> {
        let mut errors = FieldErrors::default();
        let org_name = if needs_org_name {
            let name = errors.required("org_name", &self.org_name, "your organization's name");
            if name.chars().count() > 100 {
                errors.add("org_name", "Use at most 100 characters.");
            }
            Some(name)
        } else {
            None
        };
        for (field, message) in
            super::service::check_person(&self.first_name, &self.last_name, &self.email)
        {
            errors.add(field, message);
        }
        let email = users::normalize_email(&self.email);
        let mut personal = vec![
            self.first_name.as_str(),
            self.last_name.as_str(),
            email.as_str(),
        ];
        if let Some(name) = &org_name {
            personal.push(name);
        }
        password::check_new(
            &self.password,
            &self.password_confirm,
            password::MIN_LENGTH,
            &personal,
            &mut errors,
        );
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(ValidSetup {
            org_name,
            first_name: self.first_name.trim().to_owned(),
            last_name: self.last_name.trim().to_owned(),
            email,
            password: self.password.clone(),
        })
    }
}
