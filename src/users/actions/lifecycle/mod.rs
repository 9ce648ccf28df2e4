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

/// "12 contacts, 1 lead", or, when they lie in several workspaces, "12 contacts in Acme;
/// 1 lead in Support" (empty when nothing is owned).
pub fn describe_owned_by_workspace(counts: &[(Option<String>, String, i64)]) -> String {
    let mut places: Vec<Option<&String>> = counts.iter().map(|(w, _, _)| w.as_ref()).collect();
    places.sort();
    places.dedup();
    let of = |place: Option<&String>| -> Vec<(String, i64)> {
        counts
            .iter()
            .filter(|(w, _, _)| w.as_ref() == place)
            .map(|(_, kind, n)| (kind.clone(), *n))
            .collect()
    };
    let totals = || -> Vec<(String, i64)> {
        counts.iter().map(|(_, kind, n)| (kind.clone(), *n)).fold(
            Vec::new(),
            |mut all, (kind, n)| {
                match all.iter_mut().find(|(k, _)| *k == kind) {
                    Some(total) => total.1 += n,
                    None => all.push((kind, n)),
                }
                all
            },
        )
    };
    // Per workspace only when at least two workspaces hold some (records from before
    // workspaces, with none, do not split a one-workspace count).
    match places.iter().filter(|p| p.is_some()).count() {
        0 | 1 => describe_owned(&totals()),
        _ => places
            .iter()
            .map(|place| match place {
                Some(name) => format!("{} in {name}", describe_owned(&of(*place))),
                None => format!("{} in no workspace", describe_owned(&of(None))),
            })
            .collect::<Vec<_>>()
            .join("; "),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn owned_records_are_counted_in_words() {
        let counts = vec![("lead".to_owned(), 1), ("contact".to_owned(), 12)];
        assert_eq!(super::describe_owned(&counts), "12 contacts, 1 lead");
        assert_eq!(super::describe_owned(&[]), "");
    }

    #[test]
    fn owned_records_are_counted_per_workspace_when_they_lie_in_several() {
        let acme = Some("Acme".to_owned());
        let support = Some("Support".to_owned());
        let one = vec![(acme.clone(), "contact".to_owned(), 2)];
        assert_eq!(super::describe_owned_by_workspace(&one), "2 contacts");
        let several = vec![
            (support, "lead".to_owned(), 1),
            (acme.clone(), "contact".to_owned(), 12),
            (acme, "lead".to_owned(), 3),
        ];
        assert_eq!(
            super::describe_owned_by_workspace(&several),
            "12 contacts, 3 leads in Acme; 1 lead in Support"
        );
        assert_eq!(super::describe_owned_by_workspace(&[]), "");
        let older = vec![
            (None, "contact".to_owned(), 3),
            (Some("Acme".to_owned()), "contact".to_owned(), 1),
        ];
        assert_eq!(super::describe_owned_by_workspace(&older), "4 contacts");
    }
}
