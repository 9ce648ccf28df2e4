//! The invite grid as posted: `first_name_N`, `last_name_N`, `email_N`, `role_N` (repeated),
//! `product_N` (repeated) for row N.

use std::collections::BTreeMap;

use crate::users::{is_valid_email, normalize_email};

#[derive(Debug, Clone, Default)]
pub struct RawRow {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub role_ids: Vec<i64>,
    pub product_ids: Vec<i64>,
    /// "Copy roles and permissions from…": the email of a user whose permission overrides the
    /// invitee gets too (their roles were ticked in the row when it was copied).
    pub copy_from: String,
}

impl RawRow {
    /// A row nobody typed into is skipped, not an error.
    pub fn is_blank(&self) -> bool {
        self.first_name.trim().is_empty()
            && self.last_name.trim().is_empty()
            && self.email.trim().is_empty()
    }
}

/// Messages per row and field.
#[derive(Debug, Clone, Default)]
pub struct RowErrors {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub roles: Option<String>,
    pub licenses: Option<String>,
}

impl RowErrors {
    pub fn is_empty(&self) -> bool {
        self.first_name.is_none()
            && self.last_name.is_none()
            && self.email.is_none()
            && self.roles.is_none()
            && self.licenses.is_none()
    }
}

/// Rows in grid order (row numbers as posted, gaps closed).
pub fn parse_grid(pairs: &[(String, String)]) -> Vec<RawRow> {
    let mut rows: BTreeMap<usize, RawRow> = BTreeMap::new();
    for (name, value) in pairs {
        let Some((field, index)) = name.rsplit_once('_') else {
            continue;
        };
        let Ok(index) = index.parse::<usize>() else {
            continue;
        };
        if index >= super::MAX_ROWS * 2 {
            continue;
        }
        let row = rows.entry(index).or_default();
        match field {
            "first_name" => row.first_name = value.clone(),
            "last_name" => row.last_name = value.clone(),
            "email" => row.email = value.clone(),
            "role" => row.role_ids.extend(value.parse::<i64>().ok()),
            "product" => row.product_ids.extend(value.parse::<i64>().ok()),
            "copy_from" => row.copy_from = value.trim().to_owned(),
            _ => {}
        }
    }
    rows.into_values().collect()
}

/// Checks each row on its own and against the others (no database): every field mandatory,
/// email syntax, no email twice, only roles the inviter holds. Returns one `RowErrors` per row.
pub fn check_rows(rows: &[RawRow], allowed_roles: &[i64], products: &[i64]) -> Vec<RowErrors> {
    let mut seen: Vec<String> = Vec::new();
    rows.iter()
        .map(|row| {
            let mut errors = RowErrors::default();
            if row.is_blank() {
                return errors;
            }
            if row.first_name.trim().is_empty() {
                errors.first_name = Some("Enter a first name.".into());
            } else if let Some(problem) = crate::users::single_line_problem(row.first_name.trim()) {
                errors.first_name = Some(problem.into());
            }
            if row.last_name.trim().is_empty() {
                errors.last_name = Some("Enter a last name.".into());
            } else if let Some(problem) = crate::users::single_line_problem(row.last_name.trim()) {
                errors.last_name = Some(problem.into());
            }
            if row.first_name.chars().count() > 100 || row.last_name.chars().count() > 100 {
                errors.last_name = Some("Names are limited to 100 characters.".into());
            }
            let email = normalize_email(&row.email);
            if email.is_empty() {
                errors.email = Some("Enter an email address.".into());
            } else if !is_valid_email(&email) {
                errors.email = Some("Enter an email address like name@example.com.".into());
            } else if seen.contains(&email) {
                errors.email = Some("This email is already in another row.".into());
            }
            seen.push(email);
            if row.role_ids.is_empty() {
                errors.roles = Some("Choose at least one role.".into());
            } else if row.role_ids.iter().any(|r| !allowed_roles.contains(r)) {
                errors.roles = Some("You can only give roles within your own access.".into());
            }
            if row.product_ids.is_empty() {
                errors.licenses = Some("Choose at least one license.".into());
            } else if row.product_ids.iter().any(|p| !products.contains(p)) {
                errors.licenses = Some("Choose from the products listed.".into());
            }
            errors
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_grid_parses_by_row_number_and_checks_each_rule() {
        let rows = parse_grid(&pairs(&[
            ("first_name_0", "Ada"),
            ("last_name_0", "Lovelace"),
            ("email_0", "ada@x.io"),
            ("role_0", "1"),
            ("product_0", "7"),
            ("first_name_1", ""),
            ("last_name_1", ""),
            ("email_1", ""),
            ("first_name_2", "Bob"),
            ("email_2", "ADA@x.io"),
            ("role_2", "9"),
        ]));
        assert_eq!(rows.len(), 3);
        assert!(rows[1].is_blank());
        let errors = check_rows(&rows, &[1], &[7]);
        assert!(errors[0].is_empty() && errors[1].is_empty());
        assert_eq!(errors[2].last_name.as_deref(), Some("Enter a last name."));
        assert_eq!(
            errors[2].email.as_deref(),
            Some("This email is already in another row.")
        );
        assert_eq!(
            errors[2].roles.as_deref(),
            Some("You can only give roles within your own access.")
        );
        assert_eq!(
            errors[2].licenses.as_deref(),
            Some("Choose at least one license.")
        );
    }
}
