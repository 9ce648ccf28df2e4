//! The Settings page.

use askama::Template;

use crate::invites::store::Product;
use crate::web::form_errors::FieldErrors;
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
}

impl SettingsPage {
    pub fn seats_value(&self, product: &Product) -> String {
        self.seat_inputs
            .iter()
            .find(|(id, _)| *id == product.id)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| product.seats.to_string())
    }

    pub fn seat_error(&self, product: &Product) -> Option<&str> {
        self.seat_errors
            .iter()
            .find(|(id, _)| *id == product.id)
            .map(|(_, e)| e.as_str())
    }
}
