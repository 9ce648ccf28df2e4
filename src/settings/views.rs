//! The Settings page.

use askama::Template;

use super::forms::SecurityForm;
use crate::licenses::store::Product;
use crate::validation::FieldErrors;
use crate::web::shell::{Nav, Shell};

#[derive(Template)]
#[template(path = "settings/page.html")]
pub struct SettingsPage {
    pub shell: Shell,
    pub notice: Option<String>,
    pub can_manage_settings: bool,
    pub can_manage_licenses: bool,
    pub signup_domains: String,
    pub invite_days: String,
    pub errors: FieldErrors,
    pub products: Vec<Product>,
    /// Seat values as typed, by product id (after a refused save).
    pub seat_inputs: Vec<(i64, String)>,
    pub seat_errors: Vec<(i64, String)>,
    pub security: SecurityForm,
    pub security_errors: FieldErrors,
    /// The organization's role names, for "Require two-step verification for".
    pub roles: Vec<String>,
    /// The organization's permissions (stored name, label), console then products.
    pub permissions: Vec<(String, String)>,
    pub preview: InactivityPreview,
}

/// The dry run of the inactivity rule: who a limit would block now.
#[derive(Template)]
#[template(path = "settings/_inactivity_preview.html")]
pub struct InactivityPreview {
    pub days: i32,
    pub count: i64,
    /// (name, email, quiet since)
    pub rows: Vec<(String, String, String)>,
}

impl SettingsPage {
    pub fn seats_value(&self, product: &Product) -> String {
        self.seat_inputs
            .iter()
            .find(|(id, _)| *id == product.id)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| product.seats.to_string())
    }

    pub fn mfa_role_checked(&self, role: &str) -> bool {
        self.security.mfa_roles.iter().any(|r| r == role)
    }

    pub fn mfa_permission_checked(&self, name: &str) -> bool {
        self.security.mfa_permissions.iter().any(|p| p == name)
    }

    pub fn seat_error(&self, product: &Product) -> Option<&str> {
        self.seat_errors
            .iter()
            .find(|(id, _)| *id == product.id)
            .map(|(_, e)| e.as_str())
    }
}
