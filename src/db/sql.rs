//! Dynamic SQL whose parameters Diesel binds itself, for list queries whose shape depends on
//! the filters (the activity log). Each distinct statement is prepared once per connection and
//! reused, unless `cache` is turned off where the plan must see a value (a LIKE pattern on
//! PostgreSQL whose shape decides the plan: one with no trigram, or one beside a filter the
//! planner might rather walk in order).

use chrono::NaiveDateTime;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};
use diesel::sqlite::Sqlite;

use super::DbConn;

#[derive(Debug, Clone)]
pub enum Bind {
    Int(i64),
    Text(String),
    Time(NaiveDateTime),
}

#[derive(Debug, Clone)]
enum Part {
    Text(String),
    Bind(Bind),
    /// ` IN (…ids)` as one parameter, so the statement is the same whatever the count and is
    /// prepared once per connection (Diesel's `eq_any` binds one parameter per id and
    /// prepares the statement again on every call: 10% of a workspace page's CPU).
    /// The ids, and the same as a JSON array (SQLite's form of the parameter).
    Ids(Vec<i64>, String),
}

#[derive(Debug, Clone)]
pub struct Sql {
    parts: Vec<Part>,
    pub cache: bool,
}

impl Default for Sql {
    fn default() -> Self {
        Self::new()
    }
}

impl Sql {
    pub fn new() -> Self {
        Self {
            parts: Vec::with_capacity(16),
            cache: true,
        }
    }

    pub fn push(&mut self, fragment: &str) -> &mut Self {
        match self.parts.last_mut() {
            Some(Part::Text(text)) => text.push_str(fragment),
            _ => self.parts.push(Part::Text(fragment.to_owned())),
        }
        self
    }

    pub fn bind(&mut self, value: Bind) -> &mut Self {
        self.parts.push(Part::Bind(value));
        self
    }

    /// Appends another statement piece (its text and binds, in order).
    pub fn append(&mut self, other: &Sql) -> &mut Self {
        for part in &other.parts {
            match part {
                Part::Text(text) => {
                    self.push(text);
                }
                Part::Bind(value) => {
                    self.bind(value.clone());
                }
                Part::Ids(ids, json) => self.parts.push(Part::Ids(ids.clone(), json.clone())),
            }
        }
        self.cache &= other.cache;
        self
    }

    /// `column IN (ids)`, the list bound as one parameter (a JSON array read by `json_each`
    /// on SQLite, a `bigint[]` on PostgreSQL).
    pub fn any_of(&mut self, column: &str, ids: &[i64]) -> &mut Self {
        self.push(column);
        let json = format!(
            "[{}]",
            ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
        );
        self.parts.push(Part::Ids(ids.to_vec(), json));
        self
    }

    pub fn prefixed(mut self, prefix: &str) -> Self {
        self.parts.insert(0, Part::Text(prefix.to_owned()));
        self
    }
}

/// How each backend takes a list of ids as one parameter.
fn ids_sqlite<'b>(
    (_, json): (&'b Vec<i64>, &'b String),
    out: &mut diesel::query_builder::AstPass<'_, 'b, Sqlite>,
) -> QueryResult<()> {
    out.push_sql(" IN (SELECT value FROM json_each(");
    out.push_bind_param::<Text, String>(json)?;
    out.push_sql("))");
    Ok(())
}

fn ids_pg<'b>(
    (ids, _): (&'b Vec<i64>, &'b String),
    out: &mut diesel::query_builder::AstPass<'_, 'b, Pg>,
) -> QueryResult<()> {
    out.push_sql(" = ANY(");
    out.push_bind_param::<diesel::sql_types::Array<BigInt>, Vec<i64>>(ids)?;
    out.push_sql(")");
    Ok(())
}

macro_rules! sql_fragment_for {
    ($backend:ty, $ids:ident) => {
        impl diesel::query_builder::QueryFragment<$backend> for Sql {
            fn walk_ast<'b>(
                &'b self,
                mut out: diesel::query_builder::AstPass<'_, 'b, $backend>,
            ) -> QueryResult<()> {
                if !self.cache {
                    out.unsafe_to_cache_prepared();
                }
                for part in &self.parts {
                    match part {
                        Part::Text(text) => out.push_sql(text),
                        Part::Bind(Bind::Int(v)) => out.push_bind_param::<BigInt, i64>(v)?,
                        Part::Bind(Bind::Text(v)) => out.push_bind_param::<Text, String>(v)?,
                        Part::Bind(Bind::Time(v)) => {
                            out.push_bind_param::<Timestamp, NaiveDateTime>(v)?
                        }
                        Part::Ids(ids, json) => $ids((ids, json), &mut out)?,
                    }
                }
                Ok(())
            }
        }
    };
}
sql_fragment_for!(Sqlite, ids_sqlite);
sql_fragment_for!(Pg, ids_pg);

impl diesel::query_builder::QueryId for Sql {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl diesel::query_builder::Query for Sql {
    type SqlType = diesel::sql_types::Untyped;
}

impl<Conn> RunQueryDsl<Conn> for Sql {}

/// Runs the statement on whichever backend the connection is.
pub fn load<T>(conn: &mut DbConn, sql: Sql) -> QueryResult<Vec<T>>
where
    T: diesel::deserialize::FromSqlRow<diesel::sql_types::Untyped, Sqlite>
        + diesel::deserialize::FromSqlRow<diesel::sql_types::Untyped, Pg>
        + 'static,
{
    match conn {
        DbConn::Sqlite(c) => sql.load::<T>(c),
        DbConn::Pg(c) => sql.load::<T>(c),
    }
}

/// Runs a statement that returns no rows; the number of rows it touched.
pub fn execute(conn: &mut DbConn, sql: Sql) -> QueryResult<usize> {
    match conn {
        DbConn::Sqlite(c) => sql.execute(c),
        DbConn::Pg(c) => sql.execute(c),
    }
}

/// Escapes LIKE wildcards; patterns use `ESCAPE '\'`.
pub fn like_escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

#[derive(Debug, QueryableByName)]
struct PlanLine {
    #[diesel(sql_type = Text)]
    detail: String,
}

#[derive(Debug, QueryableByName)]
struct PgPlanLine {
    #[diesel(sql_type = Text)]
    #[diesel(column_name = "QUERY PLAN")]
    line: String,
}

/// The database's plan for a statement, one line per step (query-plan tests).
pub fn explain(conn: &mut DbConn, sql: Sql) -> QueryResult<Vec<String>> {
    match super::backend_of(conn) {
        super::Backend::Sqlite => Ok(load::<PlanLine>(conn, sql.prefixed("EXPLAIN QUERY PLAN "))?
            .into_iter()
            .map(|l| l.detail)
            .collect()),
        super::Backend::Postgres => Ok(load::<PgPlanLine>(conn, sql.prefixed("EXPLAIN "))?
            .into_iter()
            .map(|l| l.line)
            .collect()),
    }
}
