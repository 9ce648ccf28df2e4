//! Invite dialog, grid rows, the auto-signup controls and the public invite pages.

use askama::Template;

use super::forms::{RawRow, RowErrors};
use crate::licenses::store::Product;

pub struct GridRow {
    pub index: usize,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub role_ids: Vec<i64>,
    pub product_ids: Vec<i64>,
    pub copy_from: String,
    /// Said under the roles after a copy ("Roles of sue@acme.io, and their 1 permission …").
    pub copy_note: Option<String>,
    pub errors: RowErrors,
}

impl GridRow {
    pub fn blank(index: usize) -> Self {
        Self::from_raw(index, RawRow::default(), RowErrors::default())
    }

    pub fn from_raw(index: usize, raw: RawRow, errors: RowErrors) -> Self {
        Self {
            index,
            first_name: raw.first_name,
            last_name: raw.last_name,
            email: raw.email,
            role_ids: raw.role_ids,
            product_ids: raw.product_ids,
            copy_from: raw.copy_from,
            copy_note: None,
            errors,
        }
    }

    pub fn has_role(&self, id: &i64) -> bool {
        self.role_ids.contains(id)
    }

    pub fn has_product(&self, id: &i64) -> bool {
        self.product_ids.contains(id)
    }
}

/// Whether one more invitee could still get a seat, given what the grid already ticks.
pub fn seats_remain(products: &[Product], rows: &[RawRow]) -> bool {
    products.iter().any(|p| {
        let ticked = rows
            .iter()
            .filter(|r| r.product_ids.contains(&p.id))
            .count() as i32;
        p.available() > ticked
    })
}

#[derive(Template)]
#[template(path = "invites/_dialog.html")]
pub struct InviteDialog {
    pub products: Vec<Product>,
    pub roles: Vec<(i64, String)>,
    pub rows: Vec<GridRow>,
    pub add_row: AddRowButton,
}

#[derive(Template)]
#[template(path = "invites/_add_row.html")]
pub struct AddRowButton {
    pub next_index: usize,
    /// Seats remain after the ticked boxes, and there is room for another row.
    pub offered: bool,
    /// The grid is below its most rows (app.js shows the button again when a seat is unticked
    /// only then).
    pub room: bool,
    pub oob: bool,
}

#[derive(Template)]
#[template(path = "invites/_row.html")]
pub struct GridRowFragment {
    pub row: GridRow,
    pub products: Vec<Product>,
    pub roles: Vec<(i64, String)>,
    pub add_row: AddRowButton,
}

/// One row's Roles cell, after "Copy roles and permissions from…".
#[derive(Template)]
#[template(path = "invites/_roles_cell.html")]
pub struct RolesCell {
    pub row: GridRow,
    pub roles: Vec<(i64, String)>,
}

#[derive(Template)]
#[template(path = "invites/_signup_controls.html")]
pub struct SignupControls {
    pub allow_auto_signup: bool,
    pub can_change: bool,
    pub can_invite: bool,
    /// Create User: inviting with the whole profile (invite and manage users).
    pub can_create: bool,
}

#[derive(Template)]
#[template(path = "invites/_confirm_signup.html")]
pub struct ConfirmSignup {
    pub allow: bool,
}

#[derive(Template)]
#[template(path = "invites/accept.html")]
pub struct AcceptPage {
    pub csrf: String,
    pub token: String,
    pub org: String,
    pub name: String,
    pub email: String,
    pub error: Option<String>,
    /// The shortest password the organization accepts.
    pub min_length: usize,
    /// The organization's identity providers: accept by signing in with one instead.
    pub providers: Vec<(i64, String)>,
    /// Require SSO: no password to choose, only the providers' buttons.
    pub sso_required: bool,
}

#[derive(Template)]
#[template(path = "invites/invalid.html")]
pub struct InviteInvalidPage;
