//! Organizations: first-run setup, `gatehouse org create`, and what every new one starts with.

pub mod catalog;
pub mod forms;
pub mod routes;
pub mod service;
pub mod store;
pub mod views;

/// Products every new organization gets, with this many seats each (editable in Settings).
pub const DEFAULT_PRODUCTS: [&str; 3] = ["Dialer", "Omnichannel", "CRM"];
pub const DEFAULT_SEATS: i32 = 3;

/// How long a setup link stays valid.
pub const SETUP_LINK_DAYS: i64 = 7;

/// Mail domains anyone can register; never offered as an organization's sign-up domain.
const PUBLIC_MAIL_DOMAINS: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "outlook.com",
    "hotmail.com",
    "live.com",
    "yahoo.com",
    "icloud.com",
    "me.com",
    "aol.com",
    "proton.me",
    "protonmail.com",
    "gmx.com",
    "gmx.de",
    "web.de",
    "mail.com",
    "yandex.com",
    "zoho.com",
];

/// The Owner's domain becomes the first sign-up domain unless it is a public mail service.
pub fn signup_domain_for(email: &str) -> String {
    let domain = email
        .rsplit_once('@')
        .map(|(_, d)| d.to_lowercase())
        .unwrap_or_default();
    if PUBLIC_MAIL_DOMAINS.contains(&domain.as_str()) {
        String::new()
    } else {
        domain
    }
}

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
    fn slugs_and_signup_domains() {
        assert_eq!(slugify("Acme Corp."), "acme-corp");
        assert_eq!(slugify("  "), "org");
        assert_eq!(signup_domain_for("ada@Acme.io"), "acme.io");
        assert_eq!(signup_domain_for("ada@gmail.com"), "");
    }
}
