//! Deactivating, reactivating and deleting users (one at a time from a row, or many at once
//! from the bulk actions bar), with the rules every path shares: nobody acts on themselves,
//! the Owner is never deactivated or deleted, seats are freed, sessions end, and the audit
//! event is written in the same transaction.

pub mod routes;
pub mod service;
pub mod store;
pub mod views;

/// Kinds of owned records, in the order the dialogs list them: (stored kind, singular, plural).
pub const RECORD_KINDS: [(&str, &str, &str); 3] = [
    ("contact", "contact", "contacts"),
    ("lead", "lead", "leads"),
    ("client", "client", "clients"),
];

/// "12 contacts, 1 lead" (empty when nothing is owned).
pub fn describe_owned(counts: &[(String, i64)]) -> String {
    RECORD_KINDS
        .iter()
        .filter_map(|(kind, one, many)| {
            let n = counts
                .iter()
                .find(|(k, _)| k == kind)
                .map_or(0, |(_, n)| *n);
            (n > 0).then(|| format!("{n} {}", if n == 1 { one } else { many }))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn owned_records_are_counted_in_words() {
        let counts = vec![("lead".to_owned(), 1), ("contact".to_owned(), 12)];
        assert_eq!(super::describe_owned(&counts), "12 contacts, 1 lead");
        assert_eq!(super::describe_owned(&[]), "");
    }
}
