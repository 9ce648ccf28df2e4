//! The Create User form as posted.

use std::collections::BTreeSet;

use crate::fields::profile::Posted;

/// Everything the dialog posts; multi-valued fields (`role`, `product`, `group`) collected.
#[derive(Debug, Clone, Default)]
pub struct CreateForm {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub username: String,
    pub role_ids: BTreeSet<i64>,
    pub product_ids: BTreeSet<i64>,
    /// "" for no division.
    pub division: String,
    pub group_ids: BTreeSet<i64>,
    pub fields: Posted,
    /// Holds roles and licenses but never signs into the console.
    pub product_only: bool,
    /// Checked by the caller (`edit::forms::phone`); empty for none.
    pub phone: String,
    /// Provisioned by an identity provider (SCIM): active (`Some(true)`) or inactive at once,
    /// with no email to confirm; `None`: invited to confirm the account.
    pub provisioned: Option<bool>,
}

impl CreateForm {
    pub fn from_pairs(pairs: &[(String, String)]) -> CreateForm {
        let last = |name: &str| {
            pairs
                .iter()
                .rev()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let all = |name: &str| {
            pairs
                .iter()
                .filter(|(k, _)| k == name)
                .filter_map(|(_, v)| v.parse().ok())
                .collect()
        };
        CreateForm {
            first_name: last("first_name"),
            last_name: last("last_name"),
            email: last("email"),
            username: last("username"),
            role_ids: all("role"),
            product_ids: all("product"),
            division: last("division"),
            group_ids: all("group"),
            fields: Posted::from_pairs(pairs),
            product_only: last("product_only") == "1",
            phone: String::new(),
            provisioned: None,
        }
    }

    pub fn division_id(&self) -> Option<i64> {
        self.division.parse().ok()
    }
}
