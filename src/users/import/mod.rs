//! Import of owned records (contacts, leads, clients) from CSV: `kind,reference,owner email`.
//! Every line is checked first; one bad line and nothing is written, with a report per line.

pub mod routes;
pub mod service;

/// Lines accepted in one import (the form is limited to about a megabyte).
pub const MAX_LINES: usize = 20_000;

/// One checked line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordLine {
    pub line: usize,
    pub kind: &'static str,
    pub reference: String,
    pub owner_email: String,
}

/// A line that cannot be imported, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    pub line: usize,
    pub text: String,
    pub message: String,
}

/// Splits one CSV line into fields (quotes with doubled inner quotes, as spreadsheets write).
pub fn fields(line: &str) -> Result<Vec<String>, &'static str> {
    let mut out = Vec::new();
    let mut field = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    let mut at_start = true;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (false, '"') if at_start => {
                quoted = true;
                at_start = false;
            }
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (false, ',') => {
                out.push(std::mem::take(&mut field));
                at_start = true;
            }
            (_, c) => {
                field.push(c);
                at_start = false;
            }
        }
    }
    if quoted {
        return Err("a quoted field is not closed");
    }
    out.push(field);
    Ok(out)
}

fn kind_of(text: &str) -> Option<&'static str> {
    match text.trim().to_lowercase().trim_end_matches('s') {
        "contact" => Some("contact"),
        "lead" => Some("lead"),
        "client" => Some("client"),
        _ => None,
    }
}

/// Parses the whole text: the lines that look right, and the ones that do not (checks that
/// need the database, such as whether the owner exists, come later).
pub fn parse(text: &str) -> (Vec<RecordLine>, Vec<LineError>) {
    let mut good = Vec::new();
    let mut bad = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (index, raw) in text.lines().enumerate() {
        let number = index + 1;
        let line = raw.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let mut fail = |message: String| {
            bad.push(LineError {
                line: number,
                text: line.chars().take(200).collect(),
                message,
            })
        };
        let parts = match fields(line) {
            Ok(parts) => parts,
            Err(why) => {
                fail(format!("This line cannot be read: {why}."));
                continue;
            }
        };
        if number == 1
            && parts
                .first()
                .is_some_and(|f| f.trim().eq_ignore_ascii_case("kind"))
        {
            continue; // the header
        }
        if parts.len() != 3 {
            fail(format!(
                "Expected 3 fields (kind, reference, owner email), found {}.",
                parts.len()
            ));
            continue;
        }
        let Some(kind) = kind_of(&parts[0]) else {
            fail(format!(
                "`{}` is not a kind of record: use contact, lead or client.",
                parts[0].trim()
            ));
            continue;
        };
        let reference = parts[1].trim().to_owned();
        if reference.is_empty() || reference.chars().count() > 200 {
            fail("Give a reference of 1 to 200 characters.".into());
            continue;
        }
        let owner_email = crate::users::normalize_email(&parts[2]);
        if !crate::users::is_valid_email(&owner_email) {
            fail(format!("`{}` is not an email address.", parts[2].trim()));
            continue;
        }
        if !seen.insert((kind, reference.clone())) {
            fail(format!(
                "The {kind} {reference} appears earlier in the file."
            ));
            continue;
        }
        good.push(RecordLine {
            line: number,
            kind,
            reference,
            owner_email,
        });
    }
    if good.len() + bad.len() > MAX_LINES {
        bad.insert(
            0,
            LineError {
                line: 0,
                text: String::new(),
                message: format!("Import at most {MAX_LINES} lines at a time."),
            },
        );
    }
    (good, bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_follow_spreadsheet_quoting() {
        assert_eq!(fields("a,b,c").unwrap(), vec!["a", "b", "c"]);
        assert_eq!(
            fields(r#"lead,"Acme, Inc. ""West""",x@y.io"#).unwrap(),
            vec!["lead", r#"Acme, Inc. "West""#, "x@y.io"]
        );
        assert!(fields(r#""open,b"#).is_err());
    }

    #[test]
    fn every_bad_line_is_reported_with_its_number() {
        let text = "kind,reference,owner email\n\
                    contact,C-1,ada@acme.io\n\
                    gizmo,G-1,ada@acme.io\n\
                    lead,,ada@acme.io\n\
                    client,K-1,not-an-email\n\
                    contact,C-1,bob@acme.io\n\
                    Leads,L-9,Bob@Acme.io\n\
                    only,two";
        let (good, bad) = parse(text);
        assert_eq!(good.iter().map(|l| l.line).collect::<Vec<_>>(), vec![2, 7]);
        assert_eq!(good[1].kind, "lead");
        assert_eq!(good[1].owner_email, "bob@acme.io");
        assert_eq!(
            bad.iter().map(|e| e.line).collect::<Vec<_>>(),
            vec![3, 4, 5, 6, 8]
        );
        assert!(bad[0].message.contains("use contact, lead or client"));
        assert!(bad[3].message.contains("appears earlier"));
    }
}
