//! Activity queries: one keyset page of the audit log per request, driven by an index for each
//! filter (organization, action, actor, target, the date range as an id range) and, for the
//! search box, by each backend's trigram index.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};

use super::forms::{Filter, Page};
use crate::db::schema::{audit_events, products, roles, users};
use crate::db::sql::{self, Bind, Sql};
use crate::db::{Backend, DbConn};

pub const PAGE_SIZE: usize = 50;

/// One audit event as the activity page, the live stream and the exports show it.
#[derive(Debug, Clone, QueryableByName, Queryable)]
pub struct EventRecord {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub org_id: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub actor_id: Option<i64>,
    #[diesel(sql_type = Text)]
    pub actor_label: String,
    #[diesel(sql_type = Text)]
    pub action: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub target_id: Option<i64>,
    #[diesel(sql_type = Text)]
    pub target_label: String,
    #[diesel(sql_type = Text)]
    pub details: String,
    #[diesel(sql_type = Text)]
    pub ip: String,
    #[diesel(sql_type = Text)]
    pub user_agent: String,
    #[diesel(sql_type = Timestamp)]
    pub created_at: NaiveDateTime,
}

impl EventRecord {
    /// What the search box matches, as both backends' indexes hold it.
    pub fn search_text(&self) -> String {
        format!(
            "{} {} {} {}",
            self.actor_label, self.target_label, self.ip, self.details
        )
        .to_lowercase()
    }
}

const COLUMNS: &str = "e.id, e.org_id, e.actor_id, e.actor_label, e.action, e.target_id, \
     e.target_label, e.details, e.ip, e.user_agent, e.created_at";

/// The conditions of `filter` on `e` (everything but the user's two sides and the cursor).
fn conditions(backend: Backend, filter: &Filter) -> Sql {
    let mut sql = Sql::new();
    sql.push("e.org_id = ").bind(Bind::Int(filter.org_id));
    if let Some(scope) = &filter.scope {
        scope.push_user_condition(&mut sql, "e.target_id");
    }
    if let Some(actor) = filter.actor_id {
        sql.push(" AND e.actor_id = ").bind(Bind::Int(actor));
    }
    if let Some(target) = filter.target_id {
        sql.push(" AND e.target_id = ").bind(Bind::Int(target));
    }
    if let Some(action) = &filter.action {
        // PostgreSQL's generic plan would take every action as common and walk the primary
        // key past a rare one's few events (100 ms at a million): plan with the value.
        if backend == Backend::Postgres {
            sql.cache = false;
        }
        sql.push(" AND e.action = ")
            .bind(Bind::Text(action.clone()));
    }
    // Ids grow with time, so a date range is also an id range: each bound is the first event
    // at or after the date, found through (org_id, created_at), and the page then walks the
    // (org_id, id) index from there. The times are checked too, exactly.
    if let Some(since) = filter.since {
        sql.push(" AND e.created_at >= ").bind(Bind::Time(since));
        sql.push(" AND e.id >= (SELECT t.id FROM audit_events t WHERE t.org_id = ")
            .bind(Bind::Int(filter.org_id))
            .push(" AND t.created_at >= ")
            .bind(Bind::Time(since))
            .push(" ORDER BY t.created_at, t.id LIMIT 1)");
    }
    if let Some(until) = filter.until {
        sql.push(" AND e.created_at < ").bind(Bind::Time(until));
        sql.push(" AND e.id < COALESCE((SELECT t.id FROM audit_events t WHERE t.org_id = ")
            .bind(Bind::Int(filter.org_id))
            .push(" AND t.created_at >= ")
            .bind(Bind::Time(until))
            .push(" ORDER BY t.created_at, t.id LIMIT 1), 9223372036854775807)");
    }
    if let Some(term) = &filter.search {
        match backend {
            Backend::Sqlite => {
                sql.push(" AND e.id IN (SELECT rowid FROM audit_fts WHERE audit_fts MATCH ")
                    .bind(Bind::Text(format!("\"{}\"", term.replace('"', "\"\""))))
                    .push(")");
            }
            Backend::Postgres => {
                sql.cache = false;
                sql.push(" AND e.search_text LIKE ")
                    .bind(Bind::Text(format!("%{}%", sql::like_escape(term))))
                    .push(" ESCAPE '\\'");
            }
        }
    }
    sql
}

/// Ids of one walk: `e` rows matching `extra` (already AND-ed to the filter) from the cursor.
fn walk(
    backend: Backend,
    columns: &str,
    filter: &Filter,
    side: Option<(&str, i64)>,
    page: &Page,
    limit: usize,
) -> Sql {
    let mut sql = Sql::new();
    sql.push(&format!("SELECT {columns} FROM audit_events e WHERE "));
    sql.append(&conditions(backend, filter));
    if let Some((column, user)) = side {
        sql.push(&format!(" AND e.{column} = "))
            .bind(Bind::Int(user));
    }
    let (op, direction) = match page {
        Page::Before(_) => (">", "ASC"),
        _ => ("<", "DESC"),
    };
    if let Page::After(id) | Page::Before(id) = page {
        sql.push(&format!(" AND e.id {op} ")).bind(Bind::Int(*id));
    }
    sql.push(&format!(" ORDER BY e.id {direction} LIMIT {limit}"));
    sql
}

/// The SQL of one page (newest first; `Before` walks up and the caller reverses).
fn page_sql(backend: Backend, filter: &Filter, page: &Page, limit: usize) -> Sql {
    let Some(user) = filter.user_id else {
        return walk(backend, COLUMNS, filter, None, page, limit);
    };
    // That user's events as actor or as target: two index walks, each at most a page long,
    // merged (an event of one's own, as a sign-in, is on both sides and comes once).
    let direction = if matches!(page, Page::Before(_)) {
        "ASC"
    } else {
        "DESC"
    };
    let mut sql = Sql::new();
    sql.push(&format!(
        "SELECT {COLUMNS} FROM audit_events e WHERE e.id IN (SELECT id FROM ("
    ));
    let actor = walk(
        backend,
        "e.id",
        filter,
        Some(("actor_id", user)),
        page,
        limit,
    );
    sql.append(&actor).push(") a UNION SELECT id FROM (");
    let target = walk(
        backend,
        "e.id",
        filter,
        Some(("target_id", user)),
        page,
        limit,
    );
    sql.append(&target).push(") b)");
    sql.push(&format!(" ORDER BY e.id {direction} LIMIT {limit}"));
    sql
}

/// Up to `size` events from where `page` points, newest first, and whether more follow in
/// the walking direction.
pub fn chunk(
    conn: &mut DbConn,
    filter: &Filter,
    page: &Page,
    size: usize,
) -> QueryResult<(Vec<EventRecord>, bool)> {
    if filter.nothing {
        return Ok((Vec::new(), false));
    }
    let sql = page_sql(crate::db::backend_of(conn), filter, page, size + 1);
    let mut rows = sql::load::<EventRecord>(conn, sql)?;
    let more = rows.len() > size;
    rows.truncate(size);
    if matches!(page, Page::Before(_)) {
        rows.reverse();
    }
    Ok((rows, more))
}

/// Events after `id` matching `filter`, oldest first (the live stream's catch-up).
pub fn after(
    conn: &mut DbConn,
    filter: &Filter,
    id: i64,
    size: usize,
) -> QueryResult<Vec<EventRecord>> {
    let (mut rows, _) = chunk(conn, filter, &Page::Before(id), size)?;
    rows.reverse();
    Ok(rows)
}

pub fn explain(conn: &mut DbConn, filter: &Filter, page: &Page) -> QueryResult<Vec<String>> {
    let sql = page_sql(crate::db::backend_of(conn), filter, page, PAGE_SIZE + 1);
    sql::explain(conn, sql)
}

/// Every organization's events after `id`, oldest first (the live poller).
pub fn all_after(conn: &mut DbConn, id: i64, limit: i64) -> QueryResult<Vec<EventRecord>> {
    select_all()
        .filter(audit_events::id.gt(id))
        .order(audit_events::id.asc())
        .limit(limit)
        .load(conn)
}

/// Events with these ids (ids the poller saw skipped, whose transactions may commit late).
pub fn with_ids(conn: &mut DbConn, ids: &[i64]) -> QueryResult<Vec<EventRecord>> {
    select_all()
        .filter(audit_events::id.eq_any(ids))
        .order(audit_events::id.asc())
        .load(conn)
}

/// Up to `limit` events after `id`, oldest first: one organization's or everyone's, from
/// `since` (the JSON-lines export walks the log this way).
pub fn export_chunk(
    conn: &mut DbConn,
    org_id: Option<i64>,
    since: Option<NaiveDateTime>,
    id: i64,
    limit: i64,
) -> QueryResult<Vec<EventRecord>> {
    let mut query = select_all()
        .filter(audit_events::id.gt(id))
        .order(audit_events::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(org_id) = org_id {
        query = query.filter(audit_events::org_id.eq(org_id));
    }
    if let Some(since) = since {
        query = query.filter(audit_events::created_at.ge(since));
    }
    query.load(conn)
}

/// Every organization's id and slug.
pub fn org_slugs(conn: &mut DbConn) -> QueryResult<Vec<(i64, String)>> {
    use crate::db::schema::organizations;
    organizations::table
        .select((organizations::id, organizations::slug))
        .load(conn)
}

pub fn newest_id(conn: &mut DbConn) -> QueryResult<i64> {
    audit_events::table
        .select(diesel::dsl::max(audit_events::id))
        .first::<Option<i64>>(conn)
        .map(|id| id.unwrap_or(0))
}

#[expect(clippy::type_complexity)]
fn select_all() -> diesel::dsl::Select<
    audit_events::table,
    (
        audit_events::id,
        audit_events::org_id,
        audit_events::actor_id,
        audit_events::actor_label,
        audit_events::action,
        audit_events::target_id,
        audit_events::target_label,
        audit_events::details,
        audit_events::ip,
        audit_events::user_agent,
        audit_events::created_at,
    ),
> {
    audit_events::table.select((
        audit_events::id,
        audit_events::org_id,
        audit_events::actor_id,
        audit_events::actor_label,
        audit_events::action,
        audit_events::target_id,
        audit_events::target_label,
        audit_events::details,
        audit_events::ip,
        audit_events::user_agent,
        audit_events::created_at,
    ))
}

/// The organization's user with that email (the actor and target filters take emails).
pub fn user_by_email(conn: &mut DbConn, org_id: i64, email: &str) -> QueryResult<Option<i64>> {
    users::table
        .filter(users::email.eq(email))
        .filter(users::org_id.eq(org_id))
        .select(users::id)
        .first(conn)
        .optional()
}

/// The id a deleted member of the organization had, from the newest event recording their
/// deletion (the deletion event keeps the email as its target's label), so their past events
/// stay findable by email. Served by the (org, action, id) index: only deletions are read.
pub fn former_member_by_email(
    conn: &mut DbConn,
    org_id: i64,
    email: &str,
) -> QueryResult<Option<i64>> {
    let ids: Vec<Option<i64>> = audit_events::table
        .filter(audit_events::org_id.eq(org_id))
        .filter(audit_events::action.eq(crate::audit::action::USER_DELETED))
        .filter(audit_events::target_label.eq(email))
        .order(audit_events::id.desc())
        .select(audit_events::target_id)
        .limit(1)
        .load(conn)?;
    Ok(ids.into_iter().next().flatten())
}

/// Name and email of an organization's user (the "activity of" heading).
pub fn user_label(
    conn: &mut DbConn,
    org_id: i64,
    user_id: i64,
) -> QueryResult<Option<(String, String, String)>> {
    users::table
        .filter(users::id.eq(user_id))
        .filter(users::org_id.eq(org_id))
        .select((users::first_name, users::last_name, users::email))
        .first(conn)
        .optional()
}

pub fn timezone_of(conn: &mut DbConn, user_id: i64) -> QueryResult<String> {
    users::table
        .find(user_id)
        .select(users::timezone)
        .first(conn)
}

/// Names of the organization's roles and products by id, so summaries say "Agent" rather
/// than "role 7".
pub fn names(conn: &mut DbConn, org_id: i64) -> QueryResult<super::labels::Names> {
    let roles = roles::table
        .filter(roles::org_id.eq(org_id))
        .select((roles::id, roles::name))
        .load(conn)?;
    let products = products::table
        .filter(products::org_id.eq(org_id))
        .select((products::id, products::name))
        .load(conn)?;
    Ok(super::labels::Names {
        roles: roles.into_iter().collect(),
        products: products.into_iter().collect(),
    })
}
