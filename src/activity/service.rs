//! Turns what the viewer asked for into a `Filter`: emails become the organization's user ids,
//! dates become UTC instants at the viewer's own midnight.

use diesel::QueryResult;

use super::forms::{start_of_day, ActivityQuery, Filter, MIN_SEARCH};
use super::store;
use crate::db::DbConn;
use crate::users::scope::Scope;

/// The filter plus what the page should say about it.
#[derive(Debug, Clone, Default)]
pub struct Resolved {
    pub filter: Filter,
    /// Problems with the filter, shown above the table ("Nobody in your organization has …").
    pub notes: Vec<String>,
    /// "Ada Lovelace (ada@acme.io)" when the page shows one user's activity.
    pub subject: Option<String>,
    /// The viewer's time zone, in which dates are read.
    pub timezone: String,
    /// The page asked for one user the viewer's scope does not reach (answered 404, as
    /// another organization's user is).
    pub hidden: bool,
}

pub fn resolve(
    conn: &mut DbConn,
    org_id: i64,
    (viewer_id, scope): (i64, Option<&Scope>),
    query: &ActivityQuery,
) -> QueryResult<Resolved> {
    let timezone = store::timezone_of(conn, viewer_id)?;
    let mut resolved = Resolved {
        filter: Filter {
            org_id,
            action: (!query.action.is_empty()).then(|| query.action.clone()),
            scope: scope.cloned(),
            ..Filter::default()
        },
        timezone,
        ..Resolved::default()
    };
    // Someone outside the viewer's scope is not there for them, by id or by email.
    let reaches = |conn: &mut DbConn, id: i64| match scope {
        Some(scope) if id != viewer_id => crate::users::scope::contains(conn, scope, id),
        _ => Ok(true),
    };
    if let Some(user) = query.user {
        if !reaches(conn, user)? {
            resolved.hidden = true;
            return Ok(resolved);
        }
        match store::user_label(conn, org_id, user)? {
            Some((first, last, email)) => {
                resolved.subject = Some(format!("{first} {last} ({email})"));
                resolved.filter.user_id = Some(user);
            }
            // Deleted (or never here): the events that name the id in this organization
            // still show; other organizations' never do (every query keeps to the viewer's).
            None => {
                resolved.notes.push(
                    "That user is not in your organization (any more): only past events of your organization that name them are shown."
                        .into(),
                );
                resolved.filter.user_id = Some(user);
            }
        }
    }
    for (email, slot, role) in [
        (&query.actor, &mut resolved.filter.actor_id, "actor"),
        (&query.target, &mut resolved.filter.target_id, "target"),
    ] {
        if email.is_empty() {
            continue;
        }
        let found = match store::user_by_email(conn, org_id, email)? {
            Some(id) if !reaches(conn, id)? => None,
            found => found,
        };
        match found {
            Some(id) => *slot = Some(id),
            // A former member's division is gone with them: a scoped viewer does not see them.
            None if scope.is_some() => {
                resolved.notes.push(format!(
                    "Nobody you manage has the email {email} (the {role} filter). Check the address, or use Search to find events that mention it."
                ));
                resolved.filter.nothing = true;
            }
            None => match store::former_member_by_email(conn, org_id, email)? {
                Some(id) => {
                    resolved.notes.push(format!(
                        "{email} was deleted from your organization: their past events are shown."
                    ));
                    *slot = Some(id);
                }
                None => {
                    resolved.notes.push(format!(
                    "Nobody in your organization has the email {email} (the {role} filter). Check the address, or use Search to find events that mention it."
                ));
                    resolved.filter.nothing = true;
                }
            },
        }
    }
    read_dates_and_search(&mut resolved, query);
    Ok(resolved)
}

/// The dates, read at the viewer's midnight, and the search term, each with a note when it
/// cannot be used.
fn read_dates_and_search(resolved: &mut Resolved, query: &ActivityQuery) {
    let tz = resolved.timezone.clone();
    resolved.filter.since = query.from.map(|d| start_of_day(d, &tz));
    resolved.filter.until = query
        .to
        .and_then(|d| d.succ_opt())
        .map(|d| start_of_day(d, &tz));
    for (text, parsed, name) in [
        (&query.from_text, query.from, "From"),
        (&query.to_text, query.to, "To"),
    ] {
        if !text.is_empty() && parsed.is_none() {
            resolved.notes.push(format!(
                "{name} is not a date; use the form YYYY-MM-DD. It was left out."
            ));
        }
    }
    let term = query.search.trim();
    if term.chars().count() >= MIN_SEARCH {
        resolved.filter.search = Some(term.to_owned());
    } else if !term.is_empty() {
        resolved.notes.push(format!(
            "Search needs at least {MIN_SEARCH} characters; showing everything else that matches."
        ));
    }
}
