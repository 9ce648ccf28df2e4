//! Organizations: first-run setup, `gatehouse org create`, and what every new one starts with.

pub mod catalog;
pub mod domains;
pub mod forms;
pub mod routes;
pub mod service;
pub mod setup;
pub mod store;
pub mod views;

/// Products every new organization gets, with this many seats each (editable in Settings).
pub const DEFAULT_PRODUCTS: [&str; 3] = ["Dialer", "Omnichannel", "CRM"];
pub const DEFAULT_SEATS: i32 = 3;

/// How long a setup link stays valid.
pub const SETUP_LINK_DAYS: i64 = 7;

/// "Acme Corp." → "acme-corp".
pub fn slugify(name: &str) -> String {
    let mut slug = String::new();
    for c in name.to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-').to_owned();
    if slug.is_empty() {
        "org".into()
    } else {
        slug
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(slugify("Acme Corp."), "acme-corp");
        assert_eq!(slugify("  "), "org");
    }
}
