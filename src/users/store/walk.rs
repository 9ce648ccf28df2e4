//! How the list's filters on a group or a user field find their users: walking the sort
//! index and keeping the matches, or starting from the matches (a small set on SQLite).

use diesel::prelude::*;

use crate::db::sql::{Bind, Sql};
use crate::db::{Backend, DbConn};
use crate::fields;
use crate::users::forms::{ListQuery, SortKey};

/// How a filter on a group (or a field's value) finds its users.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Walk {
    /// Walk the sort index and keep each user in the group: a page of a big group is found
    /// after a short walk.
    SortIndex,
    /// Start from the group's members and sort them: a small group would leave the walk
    /// above going through the whole organization for a page it never fills.
    Members,
}

/// Below this many members a group filter starts from the members (SQLite, whose planner
/// cannot tell a group of 5 from one of 25,000; PostgreSQL's statistics can). At 100,000
/// users: 5 members took 266 ms walking the index and 3 ms from the members; 25,000 took
/// 6 ms walking and 32 ms from the members.
const SMALL_GROUP: i64 = 4_000;

/// How the filter's group is best found on this connection.
pub fn group_walk(conn: &mut DbConn, query: &ListQuery) -> QueryResult<Walk> {
    let (Some(group_id), Backend::Sqlite) = (query.group_id, crate::db::backend_of(conn)) else {
        return Ok(Walk::SortIndex);
    };
    // Counts at most SMALL_GROUP index entries, inside SQLite: never a scan of a big group,
    // and no rows carried out (loading them cost more than the count).
    let mut probe = Sql::new();
    probe.push("SELECT COUNT(*) AS n FROM (SELECT 1 FROM group_members WHERE group_id = ");
    probe.bind(Bind::Int(group_id));
    probe.push(&format!(" LIMIT {SMALL_GROUP}) probe"));
    let members = count(conn, probe)?;
    Ok(if members < SMALL_GROUP {
        Walk::Members
    } else {
        Walk::SortIndex
    })
}

/// What the inner query of a page walks for its ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Drive {
    /// The users' sort index.
    Users,
    /// In name order, a workspace's memberships: each keeps its user's name_key, so the walk
    /// never reads the organization's other users.
    Workspace(i64),
    /// In name order, a group's memberships, the same way (a workspace, when both filter,
    /// drives: it is the page's place).
    Group(i64),
    /// In name order, the holders of a field's value (field id, value key), the same way.
    Field(i64, String),
}

impl Drive {
    pub fn of(query: &ListQuery, field: Option<&FieldMatch>) -> Drive {
        match (query.sort.key, query.workspace_id, query.group_id, field) {
            (SortKey::Name, Some(workspace_id), _, _) => Drive::Workspace(workspace_id),
            (SortKey::Name, None, Some(group_id), _) => Drive::Group(group_id),
            (SortKey::Name, None, None, Some(FieldMatch::Equals { field_id, key, .. })) => {
                Drive::Field(*field_id, key.clone())
            }
            _ => Drive::Users,
        }
    }

    /// The inner query's start, up to the organization's id: `FROM (SELECT u.id FROM … AND
    /// u.org_id = `.
    pub fn push_from(&self, sql: &mut Sql) {
        match self {
            Drive::Workspace(workspace_id) => {
                sql.push(
                    "FROM (SELECT u.id FROM workspace_members fw JOIN users u ON u.id = fw.user_id \
                     WHERE fw.workspace_id = ",
                );
                sql.bind(Bind::Int(*workspace_id));
            }
            Drive::Group(group_id) => {
                sql.push(
                    "FROM (SELECT u.id FROM group_members fg JOIN users u ON u.id = fg.user_id \
                     WHERE fg.group_id = ",
                );
                sql.bind(Bind::Int(*group_id));
            }
            Drive::Field(field_id, key) => {
                sql.push(
                    "FROM (SELECT u.id FROM user_field_values fv JOIN users u ON u.id = fv.user_id \
                     WHERE fv.field_id = ",
                );
                sql.bind(Bind::Int(*field_id)).push(" AND fv.value_key = ");
                sql.bind(Bind::Text(key.clone()));
            }
            Drive::Users => {
                sql.push("FROM (SELECT u.id FROM users u WHERE u.org_id = ");
                return;
            }
        }
        sql.push(" AND u.org_id = ");
    }

    /// What the inner query walks, in the sort order: the membership's copy of the name, or
    /// the users' own sort `column`; then the id.
    pub fn walked<'a>(&self, column: &'a str) -> (&'a str, &'a str) {
        match self {
            Drive::Workspace(_) => ("fw.name_key", "fw.user_id"),
            Drive::Group(_) => ("fg.name_key", "fg.user_id"),
            Drive::Field(..) => ("fv.name_key", "fv.user_id"),
            Drive::Users => (column, "u.id"),
        }
    }
}

/// How the group and field filters find their users (a filter that drives the walk needs no
/// probe).
pub fn filters_walk(
    conn: &mut DbConn,
    org_id: i64,
    query: &ListQuery,
) -> QueryResult<(Walk, Option<FieldMatch>)> {
    let by_name = query.sort.key == SortKey::Name && query.workspace_id.is_none();
    let walk = match (by_name, query.group_id) {
        (true, Some(_)) => Walk::SortIndex,
        _ => group_walk(conn, query)?,
    };
    let field_drives = by_name && query.group_id.is_none();
    Ok((walk, field_match(conn, org_id, query, !field_drives)?))
}

/// A field filter as the query compares it.
#[derive(Debug, Clone)]
pub enum FieldMatch {
    /// Users holding this value (its `value_key`).
    Equals {
        field_id: i64,
        key: String,
        walk: Walk,
    },
    /// Users without a value.
    Empty { field_id: i64 },
    /// Nobody: a secret's value is never a filter (it would tell the secret).
    Nothing,
}

impl FieldMatch {
    pub fn push_to(&self, sql: &mut Sql) {
        match self {
            FieldMatch::Equals {
                field_id,
                key,
                walk,
            } => {
                sql.push(match walk {
                    Walk::SortIndex => " AND EXISTS (SELECT 1 FROM user_field_values fv WHERE fv.user_id = u.id AND fv.field_id = ",
                    Walk::Members => " AND u.id IN (SELECT fv.user_id FROM user_field_values fv WHERE fv.field_id = ",
                });
                sql.bind(Bind::Int(*field_id)).push(" AND fv.value_key = ");
                sql.bind(Bind::Text(key.clone())).push(")");
            }
            FieldMatch::Empty { field_id } => {
                sql.push(" AND NOT EXISTS (SELECT 1 FROM user_field_values fv WHERE fv.user_id = u.id AND fv.field_id = ");
                sql.bind(Bind::Int(*field_id)).push(")");
            }
            FieldMatch::Nothing => {
                sql.push(" AND 1 = 0");
            }
        }
    }
}

/// The query's field filter, its value compared as the field stores it (an option's label
/// becomes its code, an email lower case).
pub fn field_match(
    conn: &mut DbConn,
    org_id: i64,
    query: &ListQuery,
    probe_size: bool,
) -> QueryResult<Option<FieldMatch>> {
    let Some(filter) = &query.field else {
        return Ok(None);
    };
    let field_id = filter.field_id;
    let Some(field) = fields::store::find(conn, org_id, field_id)? else {
        // Another organization's field, or one deleted since: nobody holds it here.
        return Ok(Some(if filter.equals.is_some() {
            FieldMatch::Nothing
        } else {
            FieldMatch::Empty { field_id }
        }));
    };
    if field.is_secret() {
        return Ok(Some(FieldMatch::Nothing));
    }
    let Some(typed) = &filter.equals else {
        return Ok(Some(FieldMatch::Empty { field_id }));
    };
    let stored = fields::check_value(&field, std::slice::from_ref(typed))
        .ok()
        .and_then(|values| values.into_iter().next())
        .unwrap_or_else(|| typed.clone());
    let key = fields::value_key(&stored);
    let walk = match crate::db::backend_of(conn) {
        // PostgreSQL plans by its statistics; a value that drives the walk needs no probe.
        Backend::Postgres => Walk::SortIndex,
        Backend::Sqlite if !probe_size => Walk::SortIndex,
        Backend::Sqlite => {
            let mut probe = Sql::new();
            probe.push(
                "SELECT COUNT(*) AS n FROM (SELECT 1 FROM user_field_values WHERE field_id = ",
            );
            probe.bind(Bind::Int(field_id)).push(" AND value_key = ");
            probe.bind(Bind::Text(key.clone()));
            probe.push(&format!(" LIMIT {SMALL_GROUP}) probe"));
            if count(conn, probe)? < SMALL_GROUP {
                Walk::Members
            } else {
                Walk::SortIndex
            }
        }
    };
    Ok(Some(FieldMatch::Equals {
        field_id,
        key,
        walk,
    }))
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// The one number a `SELECT COUNT(*) AS n …` answers.
fn count(conn: &mut DbConn, sql: Sql) -> QueryResult<i64> {
    Ok(crate::db::sql::load::<Count>(conn, sql)?
        .first()
        .map_or(0, |c| c.n))
}

/// Three letters or digits in a row: a trigram the index can look up.
pub(super) fn has_trigram(term: &str) -> bool {
    let mut run = 0;
    term.chars().any(|c| {
        run = if c.is_alphanumeric() { run + 1 } else { 0 };
        run >= 3
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_trigram_is_three_letters_or_digits_in_a_row() {
        for term in ["northwind", "son12", ".1234@", "ab1", "é à ébc"] {
            assert!(super::has_trigram(term), "{term}");
        }
        for term in ["a.b", "@@@", "ab cd", "x y", ".12.", ""] {
            assert!(!super::has_trigram(term), "{term}");
        }
    }
}
