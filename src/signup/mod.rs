//! Self sign-up: while an organization allows it, people with an email address in one of its
//! sign-up domains create their own account after confirming the address by an emailed link.

pub mod routes;
pub mod service;
pub mod views;

/// How long the confirmation link in the sign-up email stays valid.
pub const VERIFY_HOURS: i64 = 24;

/// "acme.io, Example.com  other.org" → ["acme.io", "example.com", "other.org"].
pub fn parse_domains(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .map(|d| d.trim().trim_start_matches('@').to_lowercase())
        .filter(|d| !d.is_empty())
        .collect()
}

/// A plausible domain name (letters, digits, hyphens, at least one dot).
pub fn is_valid_domain(domain: &str) -> bool {
    domain.len() <= 253
        && domain.contains('.')
        && domain.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_lists_are_split_case_folded_and_checked() {
        assert_eq!(
            parse_domains("acme.io, Example.com  @other.org"),
            vec!["acme.io", "example.com", "other.org"]
        );
        assert!(is_valid_domain("sub.example.co.uk"));
        assert!(
            !is_valid_domain("localhost") && !is_valid_domain("-x.com") && !is_valid_domain("a..b")
        );
    }
}
