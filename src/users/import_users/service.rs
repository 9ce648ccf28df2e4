//! Writing an import of users: each line through Create User, in one transaction; a check
//! runs the very same and rolls back.

use chrono::NaiveDateTime;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::{parse, LineError, Names, UserLine};
use crate::audit::{self, action, Actor, Event, Origin};
use crate::db::{write_tx, DbConn};
use crate::users::actions::create::service::{create_once, CreateError, Creator};

#[derive(Debug, thiserror::Error)]
pub enum ImportUsersError {
    #[error("some lines cannot be imported")]
    Lines(Vec<LineError>),
    /// A check went through every line: this many would be created (nothing was written).
    #[error("checked")]
    Checked(usize),
    #[error(transparent)]
    Database(#[from] DieselError),
}

/// Whether the lines are only checked or written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Check,
    Import,
}

/// The names lines refer to, from the organization.
pub fn names(conn: &mut DbConn, org_id: i64) -> diesel::QueryResult<Names> {
    Ok(Names {
        roles: crate::users::store::org_roles(conn, org_id)?,
        products: crate::licenses::store::products(conn, org_id)?
            .into_iter()
            .map(|p| (p.id, p.name))
            .collect(),
        divisions: crate::users::actions::edit::store::divisions(conn, org_id)?,
        groups: crate::groups::store::all(conn, org_id)?
            .into_iter()
            .map(|g| (g.id, g.kind(), g.name))
            .collect(),
        fields: crate::fields::store::all(conn, org_id)?,
    })
}

/// The field names of Create User's messages as a line's report says them.
fn column(field: &str) -> String {
    match field {
        "first_name" => "first_name".into(),
        "licenses" => "licenses".into(),
        "groups" => "tags/skill_groups/teams".into(),
        other => other.strip_prefix("field.").unwrap_or(other).to_owned(),
    }
}

/// Creates every line's user, or none: answers how many.
pub fn import(
    conn: &mut DbConn,
    creator: &Creator<'_>,
    lines: &[UserLine],
    mode: Mode,
    meta: &Origin,
    now: NaiveDateTime,
) -> Result<usize, ImportUsersError> {
    write_tx(conn, |conn| {
        let mut problems = Vec::new();
        let mut created = 0;
        for line in lines {
            // Each line in a savepoint of its own: a refused line leaves no trace, and the
            // next line sees the ones before it (an email twice is caught on its second line).
            match create_once(conn, creator, &line.form, meta, now) {
                Ok(_) => created += 1,
                Err(CreateError::Invalid(errors)) => problems.push(LineError {
                    line: line.line,
                    email: line.form.email.clone(),
                    message: errors
                        .iter()
                        .map(|(field, message)| format!("{}: {message}", column(field)))
                        .collect::<Vec<_>>()
                        .join(" "),
                }),
                Err(CreateError::Database(DieselError::DatabaseError(
                    DatabaseErrorKind::UniqueViolation,
                    _,
                ))) => problems.push(LineError {
                    line: line.line,
                    email: line.form.email.clone(),
                    message: "email: Someone else took this address or a unique value meanwhile. Check again.".into(),
                }),
                Err(CreateError::Database(e)) => return Err(e.into()),
            }
        }
        if !problems.is_empty() {
            return Err(ImportUsersError::Lines(problems));
        }
        if mode == Mode::Check {
            // Rolls back everything the check wrote.
            return Err(ImportUsersError::Checked(created));
        }
        let actor = Actor::user(creator.editor.id, &creator.editor.email);
        let event = Event {
            org_id: Some(creator.editor.org_id),
            actor: &actor,
            action: action::USERS_IMPORTED,
            target: None,
            details: serde_json::json!({ "created": created }),
            meta,
        };
        audit::record(conn, event, now)?;
        Ok(created)
    })
}

/// What a pasted import came to.
#[derive(Debug)]
pub enum Outcome {
    /// Written: this many users were created.
    Imported(usize),
    /// Checked and clean: this many would be created.
    Ready(usize),
    /// Nothing written: every bad line with its reason, or a problem with the whole text.
    Refused {
        errors: Vec<LineError>,
        problem: Option<String>,
    },
}

/// Parses the pasted text against the organization's names, then checks or imports it. Lines
/// that parsed are checked even when others did not, so the report lists every bad line at
/// once; a text with a bad line imports nothing.
pub fn import_text(
    conn: &mut DbConn,
    creator: &Creator<'_>,
    text: &str,
    mode: Mode,
    meta: &Origin,
    now: NaiveDateTime,
) -> diesel::QueryResult<Outcome> {
    let names = names(conn, creator.editor.org_id)?;
    let refused = |errors, problem: Option<&str>| Outcome::Refused {
        errors,
        problem: problem.map(str::to_owned),
    };
    let (lines, mut bad) = match parse(text, &names) {
        Ok(parsed) => parsed,
        Err(problem) => return Ok(refused(Vec::new(), Some(&problem))),
    };
    if lines.is_empty() && bad.is_empty() {
        return Ok(refused(
            Vec::new(),
            Some("There are no users below the first line."),
        ));
    }
    let mode = if bad.is_empty() { mode } else { Mode::Check };
    Ok(match import(conn, creator, &lines, mode, meta, now) {
        Ok(created) if bad.is_empty() => Outcome::Imported(created),
        Err(ImportUsersError::Checked(ready)) if bad.is_empty() => Outcome::Ready(ready),
        Ok(_) | Err(ImportUsersError::Checked(_)) => refused(bad, None),
        Err(ImportUsersError::Lines(more)) => {
            bad.extend(more);
            refused(bad, None)
        }
        Err(ImportUsersError::Database(e)) => return Err(e),
    })
}
