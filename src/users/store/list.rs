//! The list's query: one keyset query per page (users with their roles, licenses and
//! groups); search goes through the trigram index of each backend.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text, Timestamp};

use crate::db::sql::{like_escape, load, Bind, Sql};
use crate::db::{Backend, DbConn};
use crate::users::forms::{Cursor, LastActive, ListQuery, Page, SortKey};

use super::walk::{filters_walk, Drive, FieldMatch, Walk};
pub const PAGE_SIZE: usize = 50;

#[derive(Debug, Clone, QueryableByName)]
pub struct UserListRow {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub email: String,
    #[diesel(sql_type = Text)]
    pub first_name: String,
    #[diesel(sql_type = Text)]
    pub last_name: String,
    #[diesel(sql_type = Text)]
    pub name_key: String,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub lock_reason: Option<String>,
    #[diesel(sql_type = Nullable<Timestamp>)]
    pub locked_at: Option<NaiveDateTime>,
    #[diesel(sql_type = Integer)]
    pub failed_logins: i32,
    #[diesel(sql_type = Nullable<Timestamp>)]
    pub last_failed_login_at: Option<NaiveDateTime>,
    #[diesel(sql_type = Nullable<Text>)]
    pub last_failed_login_ip: Option<String>,
    /// Only in the export (`Columns::Export`).
    #[diesel(sql_type = Nullable<Timestamp>)]
    pub last_login_at: Option<NaiveDateTime>,
    #[diesel(sql_type = Nullable<Timestamp>)]
    pub last_active_at: Option<NaiveDateTime>,
    /// Only in the export (`Columns::Export`).
    #[diesel(sql_type = Nullable<Timestamp>)]
    pub created_at: Option<NaiveDateTime>,
    /// Role names, comma-separated, by name (kept on the user row).
    #[diesel(sql_type = Nullable<Text>)]
    pub role_names: Option<String>,
    /// Per-user permission overrides (`+users.invite,-audit.view`), for what the row offers.
    #[diesel(sql_type = Nullable<Text>)]
    pub overrides: Option<String>,
    /// Product names of the user's licenses, comma-separated, by name (kept on the user row).
    #[diesel(sql_type = Nullable<Text>)]
    pub license_names: Option<String>,
    /// Ids of the user's groups, comma-separated (named by `groups::GroupNames`; kept on the
    /// user row).
    #[diesel(sql_type = Nullable<Text>)]
    pub group_ids: Option<String>,
    /// An email to this user failed and is waiting for its retry.
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub mail_retrying: bool,
    /// An authenticator app is set up (Reset MFA is offered).
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub has_mfa: bool,
    /// A tenant superuser: every permission in the organization.
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub superuser: bool,
    /// Administers only some divisions and teams.
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub scoped: bool,
    /// A console tab of theirs holds a live connection (on any instance).
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub live: bool,
    #[diesel(sql_type = Nullable<Text>)]
    pub username: Option<String>,
    /// Product access only: never signs into the console.
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub product_only: bool,
}

pub const TIMESTAMP_FORMAT: &str = "%Y-%m-%d %H:%M:%S%.f";

/// What the list's `active_sort` column holds for someone never active.
pub const NEVER_ACTIVE: NaiveDateTime = chrono::DateTime::UNIX_EPOCH.naive_utc();

/// Which columns a list query reads: what the page shows, or all the export writes (each
/// timestamp costs a parse per row, and the page is the hottest query there is).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Columns {
    Page,
    Export,
}

impl UserListRow {
    /// The list's Last active sort key (`users.active_sort`).
    pub fn active_sort(&self) -> NaiveDateTime {
        self.last_active_at.unwrap_or(NEVER_ACTIVE)
    }

    /// This row's position in the given sort order, for a cursor.
    pub fn cursor(&self, sort: crate::users::forms::Sort) -> Cursor {
        let key = match sort.key {
            SortKey::Name => self.name_key.clone(),
            SortKey::Email => self.email.clone(),
            SortKey::LastActive => self.active_sort().format(TIMESTAMP_FORMAT).to_string(),
        };
        Cursor {
            sort,
            key,
            id: self.id,
        }
    }
}

/// The columns of a list row, up to (not including) `FROM`: the user's own (their roles,
/// licenses and groups are kept on the row by triggers, migration 000031), then their
/// overrides, mail and presence state, each a correlated subquery on one user's rows.
fn row_columns(backend: Backend, columns: Columns) -> String {
    let overrides_agg = match backend {
        Backend::Sqlite => {
            "group_concat(CASE WHEN o.granted THEN '+' ELSE '-' END || o.permission, ',')"
        }
        Backend::Postgres => {
            "string_agg(CASE WHEN o.granted THEN '+' ELSE '-' END || o.permission, ',')"
        }
    };
    let export_only = match columns {
        Columns::Page => "NULL AS last_login_at, u.last_active_at, NULL AS created_at",
        Columns::Export => "u.last_login_at, u.last_active_at, u.created_at",
    };
    format!(
        "SELECT u.id, u.email, u.first_name, u.last_name, u.name_key, u.status, u.lock_reason, u.locked_at, \
         u.failed_logins, u.last_failed_login_at, u.last_failed_login_ip, {export_only}, \
         u.totp_secret IS NOT NULL AS has_mfa, u.role_names, u.license_names, u.group_ids, \
         EXISTS (SELECT 1 FROM superusers su WHERE su.user_id = u.id) AS superuser, \
         EXISTS (SELECT 1 FROM admin_scopes sc WHERE sc.user_id = u.id) AS scoped, \
         (SELECT {overrides_agg} FROM user_permission_overrides o WHERE o.user_id = u.id) AS overrides, \
         EXISTS (SELECT 1 FROM email_outbox eo WHERE eo.user_id = u.id AND eo.status = 'pending' AND eo.attempts > 0) AS mail_retrying, \
         EXISTS (SELECT 1 FROM presence pr WHERE pr.user_id = u.id) AS live, \
         (SELECT un.username FROM usernames un WHERE un.user_id = u.id) AS username, \
         EXISTS (SELECT 1 FROM product_only_users po WHERE po.user_id = u.id) AS product_only "
    )
}

/// The SQL of one list page.
fn list_sql(
    backend: Backend,
    org_id: i64,
    query: &ListQuery,
    limit: usize,
    columns: Columns,
    (walk, field): (Walk, Option<&FieldMatch>),
) -> Sql {
    let mut sql = Sql::new();
    // The inner query finds the page's ids through the indexes; only those rows then get their
    // roles, licenses and mail state (a sort of all matches never carries the aggregates).
    let drive = Drive::of(query, field);
    sql.push(&row_columns(backend, columns));
    // PostgreSQL: a search of the whole organization starts from its matches (see
    // `push_matches_from`); anything else from the drive's index.
    let from_matches = backend == Backend::Postgres
        && matches!(drive, Drive::Users)
        && query.search.chars().count() >= 3;
    if from_matches {
        push_matches_from(&mut sql, org_id, &query.search);
    } else {
        drive.push_from(&mut sql);
    }
    sql.bind(Bind::Int(org_id));
    if query.active_only {
        sql.push(" AND u.status <> 'inactive'");
    }
    if let Some(scope) = &query.scope {
        scope.push_condition(&mut sql, "u.id", "u.division_id");
    }
    if let Some(role_id) = query.role_id {
        sql.push(
            " AND EXISTS (SELECT 1 FROM user_roles fr WHERE fr.user_id = u.id AND fr.role_id = ",
        );
        sql.bind(Bind::Int(role_id)).push(")");
    }
    if let (Some(group_id), false) = (query.group_id, matches!(drive, Drive::Group(_))) {
        sql.push(match walk {
            Walk::SortIndex => " AND EXISTS (SELECT 1 FROM group_members fg WHERE fg.user_id = u.id AND fg.group_id = ",
            Walk::Members => " AND u.id IN (SELECT fg.user_id FROM group_members fg WHERE fg.group_id = ",
        });
        sql.bind(Bind::Int(group_id)).push(")");
    }
    if let (Some(workspace_id), false) = (query.workspace_id, matches!(drive, Drive::Workspace(_)))
    {
        sql.push(" AND EXISTS (SELECT 1 FROM workspace_members fw WHERE fw.workspace_id = ");
        sql.bind(Bind::Int(workspace_id))
            .push(" AND fw.user_id = u.id)");
    }
    if let (Some(field), false) = (field, matches!(drive, Drive::Field(..))) {
        field.push_to(&mut sql);
    }
    push_last_active(&mut sql, query);
    if !from_matches {
        push_search(&mut sql, backend, org_id, &query.search);
    }

    let column = match query.sort.key {
        SortKey::Name => "u.name_key",
        SortKey::Email => "u.email",
        SortKey::LastActive => "u.active_sort",
    };
    // What the inner query walks: the membership's copy of the name when one drives.
    let (walked, walked_id) = drive.walked(column);
    // Walking backwards (a previous page) flips the comparison and the order; the caller
    // reverses the rows again.
    let backwards = matches!(query.page, Page::Before(_));
    let descending = query.sort.descending != backwards;
    push_cursor(&mut sql, query, (walked, walked_id), descending);
    let direction = if descending { "DESC" } else { "ASC" };
    sql.push(&format!(
        " ORDER BY {walked} {direction}, {walked_id} {direction} LIMIT {limit}) page \
         JOIN users u ON u.id = page.id ORDER BY {column} {direction}, u.id {direction}"
    ));
    sql
}

/// Where the page starts: after (or, walking back, before) the cursor's row.
fn push_cursor(
    sql: &mut Sql,
    query: &ListQuery,
    (walked, walked_id): (&str, &str),
    descending: bool,
) {
    if let Page::After(cursor) | Page::Before(cursor) = &query.page {
        let key = match query.sort.key {
            SortKey::LastActive => {
                match NaiveDateTime::parse_from_str(&cursor.key, TIMESTAMP_FORMAT) {
                    Ok(time) => Bind::Time(time),
                    Err(_) => Bind::Time(NaiveDateTime::MIN),
                }
            }
            _ => Bind::Text(cursor.key.clone()),
        };
        // A row value: both backends turn it into one range scan of the (org, sort, id) index.
        let op = if descending { "<" } else { ">" };
        sql.push(&format!(" AND ({walked}, {walked_id}) {op} ("));
        sql.bind(key)
            .push(", ")
            .bind(Bind::Int(cursor.id))
            .push(")");
    }
}

/// Last active: a range of active_sort, which (org_id, active_sort, id) serves directly when
/// the list is sorted by Last active and as a filter beside the other sort indexes.
fn push_last_active(sql: &mut Sql, query: &ListQuery) {
    let as_of = query
        .as_of
        .unwrap_or_else(|| chrono::Utc::now().naive_utc());
    match query.last_active {
        LastActive::Any => {}
        LastActive::Within7Days => {
            sql.push(" AND u.active_sort >= ");
            sql.bind(Bind::Time(as_of - chrono::Duration::days(7)));
        }
        LastActive::Idle90Days => {
            sql.push(" AND u.active_sort < ");
            sql.bind(Bind::Time(as_of - chrono::Duration::days(90)));
        }
    }
}

/// PostgreSQL, a search of three characters and more over the whole organization: the page is
/// found among the matches alone, each read once from the trigram index's bitmap with the
/// columns the filters, the cursor and the order need, then sorted (top-N). Taking the matches'
/// ids into `u.id IN (…)` read each match's row twice and kept the statement from being
/// prepared once (100,000 users, 500 matches: 7–8 ms to run and 2.5–3 ms to plan, against
/// 3.7 ms and nothing; 2026-12-07). The generic plan starts from the trigram index, which
/// suits a term with three letters or digits in a row; any other term (`a.b`, `@@@`) gives the
/// index no trigram to look up, and is planned for its own value, as before.
fn push_matches_from(sql: &mut Sql, org_id: i64, term: &str) {
    sql.cache = super::walk::has_trigram(term);
    sql.push(
        "FROM (WITH u AS MATERIALIZED (SELECT s.id, s.org_id, s.status, s.division_id, \
         s.active_sort, s.name_key, s.email FROM users s WHERE s.org_id = ",
    );
    sql.bind(Bind::Int(org_id)).push(" AND s.search_text LIKE ");
    sql.bind(Bind::Text(format!("%{}%", like_escape(term))))
        .push(" ESCAPE '\\') SELECT u.id FROM u WHERE u.org_id = ");
}

/// The search term: three characters and more through the trigram index of each backend,
/// one or two as the start of a word.
fn push_search(sql: &mut Sql, backend: Backend, org_id: i64, term: &str) {
    if term.chars().count() >= 3 {
        match backend {
            Backend::Sqlite => {
                // FTS5 trigram: a quoted phrase matches as a substring, driven by the index.
                sql.push(" AND u.id IN (SELECT rowid FROM users_fts WHERE users_fts MATCH ");
                sql.bind(Bind::Text(format!("\"{}\"", term.replace('"', "\"\""))))
                    .push(")");
            }
            Backend::Postgres => {
                // The matches come from the trigram index in a CTE of their own: left to
                // itself the planner may fold the LIKE into a walk of the sort index that
                // filters row by row (slower, and blind to the index).
                sql.cache = false;
                sql.push(
                    " AND u.id IN (WITH matches AS MATERIALIZED (SELECT s.id FROM users s WHERE s.org_id = ",
                );
                sql.bind(Bind::Int(org_id)).push(" AND s.search_text LIKE ");
                sql.bind(Bind::Text(format!("%{}%", like_escape(term))))
                    .push(" ESCAPE '\\') SELECT id FROM matches)");
            }
        }
    } else if !term.is_empty() {
        // One or two characters: too short for trigrams; match the start of any word while
        // walking the sort index, which finds a page of matches after a short scan.
        sql.push(" AND (' ' || u.search_text) LIKE ");
        sql.bind(Bind::Text(format!("% {}%", like_escape(term))))
            .push(" ESCAPE '\\'");
    }
}

/// One row of the list (after an edit), if the user belongs to the organization.
pub fn list_row(conn: &mut DbConn, org_id: i64, user_id: i64) -> QueryResult<Option<UserListRow>> {
    let mut sql = Sql::new();
    sql.push(&row_columns(crate::db::backend_of(conn), Columns::Page))
        .push("FROM users u WHERE u.org_id = ");
    sql.bind(Bind::Int(org_id)).push(" AND u.id = ");
    sql.bind(Bind::Int(user_id));
    Ok(load::<UserListRow>(conn, sql)?.into_iter().next())
}

/// One page of the list plus whether more rows follow in the walking direction.
pub fn list_page(
    conn: &mut DbConn,
    org_id: i64,
    query: &ListQuery,
) -> QueryResult<(Vec<UserListRow>, bool)> {
    list_chunk(conn, org_id, query, PAGE_SIZE, Columns::Page)
}

/// Up to `size` rows from where `query` points, and whether more follow (the export walks
/// the whole filter this way, a chunk at a time).
pub fn list_chunk(
    conn: &mut DbConn,
    org_id: i64,
    query: &ListQuery,
    size: usize,
    columns: Columns,
) -> QueryResult<(Vec<UserListRow>, bool)> {
    let (walk, field) = filters_walk(conn, org_id, query)?;
    let sql = list_sql(
        crate::db::backend_of(conn),
        org_id,
        query,
        size + 1,
        columns,
        (walk, field.as_ref()),
    );
    let mut rows = load::<UserListRow>(conn, sql)?;
    let more = rows.len() > size;
    rows.truncate(size);
    if matches!(query.page, Page::Before(_)) {
        rows.reverse();
    }
    Ok((rows, more))
}

/// The database's plan for a list page, one line per step (for the query-plan tests and for
/// anyone checking an index is used).
pub fn explain_list(conn: &mut DbConn, org_id: i64, query: &ListQuery) -> QueryResult<Vec<String>> {
    let (walk, field) = filters_walk(conn, org_id, query)?;
    let sql = list_sql(
        crate::db::backend_of(conn),
        org_id,
        query,
        PAGE_SIZE + 1,
        Columns::Page,
        (walk, field.as_ref()),
    );
    crate::db::sql::explain(conn, sql)
}
