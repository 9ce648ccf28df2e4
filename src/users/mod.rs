//! Users: the User Management list and the user records other features create.

pub mod actions;
pub mod authority;
pub mod bulk;
pub mod export;
pub mod filters;
pub mod forms;
pub mod import;
pub mod import_users;
pub mod product_access;
pub mod routes;
pub mod scope;
pub mod store;
pub mod username;
pub mod views;

/// The name sort key: last name, then first name, case-folded.
pub fn name_key(first_name: &str, last_name: &str) -> String {
    format!(
        "{}\u{1f}{}",
        last_name.trim().to_lowercase(),
        first_name.trim().to_lowercase()
    )
}

/// What Search User matches: "first last email", case-folded.
pub fn search_text(first_name: &str, last_name: &str, email: &str) -> String {
    format!(
        "{} {} {}",
        first_name.trim(),
        last_name.trim(),
        email.trim()
    )
    .to_lowercase()
}

/// Emails are compared and stored case-folded: one address, one account, install-wide.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// What is wrong with a single-line text (a name, a title), if anything: every control
/// character is refused, tabs and line breaks included (`web::input` refuses the others on
/// every route before this).
pub fn single_line_problem(value: &str) -> Option<&'static str> {
    value.chars().any(char::is_control).then_some(
        "Use one line of plain text: tabs, line breaks and control characters are not accepted.",
    )
}

/// A deliberately simple syntax check; delivery is what proves an address.
pub fn is_valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && local.len() <= 64
        && email.len() <= 254
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && !email
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == ',' || c == '<' || c == '>')
        && !domain.contains('@')
}

pub mod status {
    pub const INVITED: &str = "invited";
    pub const ACTIVE: &str = "active";
    pub const INACTIVE: &str = "inactive";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_syntax_accepts_ordinary_addresses_and_refuses_the_rest() {
        assert!(is_valid_email("ada.lovelace+x@example.co.uk"));
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "ada@@example.com",
            "a da@example.com",
            "ada@example..com",
        ] {
            assert!(!is_valid_email(bad), "{bad}");
        }
    }

    #[test]
    fn names_sort_by_last_then_first_ignoring_case() {
        assert!(name_key("Zoe", "adams") < name_key("Ann", "Baker"));
        assert!(name_key("Ann", "Baker") < name_key("Bob", "Baker"));
    }
}
