//! Writing an import: all lines or none, audited.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{LineError, RecordLine};
use crate::audit::Origin;
use crate::audit::{self, action, Actor, Event};
use crate::db::schema::{owned_records, users};
use crate::db::{write_tx, DbConn};

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Imported {
    pub created: usize,
    /// Existing records that got a new owner.
    pub reassigned: usize,
    pub unchanged: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("some lines cannot be imported")]
    Lines(Vec<LineError>),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

impl ImportError {
    /// The lines to report (a database failure never reaches the form: handlers sort it out
    /// first with `web::errors::triage`).
    pub fn into_lines(self) -> Vec<LineError> {
        match self {
            ImportError::Lines(lines) => lines,
            ImportError::Database(_) => Vec::new(),
        }
    }
}

/// Owner emails and the user each names (`None`: no such user in the organization).
pub type Owners = HashMap<String, Option<i64>>;

/// The owner of each line's email (`None`: no such user in the organization), and a problem
/// for every line whose owner is unknown. Read-only, so a report can list these beside the
/// lines that did not parse.
pub fn owners_of(
    conn: &mut DbConn,
    org_id: i64,
    lines: &[RecordLine],
) -> QueryResult<(Owners, Vec<LineError>)> {
    let mut owners = Owners::new();
    let mut problems = Vec::new();
    for line in lines {
        if !owners.contains_key(&line.owner_email) {
            let id = users::table
                .filter(users::org_id.eq(org_id))
                .filter(users::email.eq(&line.owner_email))
                .select(users::id)
                .first::<i64>(conn)
                .optional()?;
            owners.insert(line.owner_email.clone(), id);
        }
        if owners[&line.owner_email].is_none() {
            problems.push(LineError {
                line: line.line,
                text: format!("{},{},{}", line.kind, line.reference, line.owner_email),
                message: format!(
                    "No user of your organization has the email {}.",
                    line.owner_email
                ),
            });
        }
    }
    Ok((owners, problems))
}

/// Imports the checked lines: each owner must be a user of the organization. A record that
/// exists already (same kind and reference) gets the new owner.
pub fn import(
    conn: &mut DbConn,
    actor: &Actor,
    org_id: i64,
    lines: &[RecordLine],
    meta: &Origin,
    now: NaiveDateTime,
) -> Result<Imported, ImportError> {
    write_tx(conn, |conn| {
        let (owners, problems) = owners_of(conn, org_id, lines)?;
        if !problems.is_empty() {
            return Err(ImportError::Lines(problems));
        }
        let named: Vec<i64> = owners.values().copied().flatten().collect();
        crate::users::store::reference_all(conn, &named)?;
        let mut done = Imported::default();
        // New records belong to the organization's first workspace.
        let workspace = crate::workspaces::store::first_active(conn, org_id)?;
        for line in lines {
            let owner = owners[&line.owner_email];
            let existing: Option<(i64, Option<i64>)> = owned_records::table
                .filter(owned_records::org_id.eq(org_id))
                .filter(owned_records::kind.eq(line.kind))
                .filter(owned_records::reference.eq(&line.reference))
                .select((owned_records::id, owned_records::owner_id))
                .first(conn)
                .optional()?;
            match existing {
                Some((_, current)) if current == owner => done.unchanged += 1,
                Some((id, _)) => {
                    diesel::update(owned_records::table.find(id))
                        .set((
                            owned_records::owner_id.eq(owner),
                            owned_records::updated_at.eq(now),
                        ))
                        .execute(conn)?;
                    done.reassigned += 1;
                }
                None => {
                    diesel::insert_into(owned_records::table)
                        .values((
                            owned_records::org_id.eq(org_id),
                            owned_records::kind.eq(line.kind),
                            owned_records::reference.eq(&line.reference),
                            owned_records::owner_id.eq(owner),
                            owned_records::workspace_id.eq(workspace),
                            owned_records::created_at.eq(now),
                            owned_records::updated_at.eq(now),
                        ))
                        .execute(conn)?;
                    done.created += 1;
                }
            }
        }
        audit::record(
            conn,
            Event {
                org_id: Some(org_id),
                actor,
                action: action::RECORDS_IMPORTED,
                target: None,
                details: serde_json::json!({
                    "lines": lines.len(),
                    "created": done.created,
                    "reassigned": done.reassigned,
                    "unchanged": done.unchanged,
                }),
                meta,
            },
            now,
        )?;
        Ok(done)
    })
}
