//! Accounts nobody uses are blocked after the organization's limit (default 90 days without a
//! sign-in), with a warning email seven days before. Checked at sign-in and by the periodic
//! job; Settings shows who a limit would block before it is saved.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::store;
use crate::audit::Origin;
use crate::audit::{self, action, Actor, Event};
use crate::db::schema::{organizations, users};
use crate::db::sql::{self, Bind, Sql};
use crate::db::{write_tx, DbConn};
use crate::mail;
use crate::settings::store::Policy;

/// Days before the block that the warning goes out.
pub const WARNING_DAYS: i64 = 7;
/// Accounts handled per organization and job run (the rest follow on the next run).
const BATCH: i64 = 500;

/// An account and how long it has been quiet.
pub struct Quiet<'a> {
    pub user_id: i64,
    pub org_id: i64,
    pub email: &'a str,
    pub first_name: &'a str,
    /// The last sign-in, or the creation of an account that never signed in.
    pub since: NaiveDateTime,
}

/// Where a quiet spell starts: the last sign-in (or the creation of an account that never
/// signed in), or the last unblock when that is later.
pub fn quiet_since(
    last_login_at: Option<NaiveDateTime>,
    created_at: NaiveDateTime,
    unblocked_at: Option<NaiveDateTime>,
) -> NaiveDateTime {
    let since = last_login_at.unwrap_or(created_at);
    unblocked_at.map_or(since, |u| u.max(since))
}

/// The SQL type of `quiet_before_sql`.
type QuietBefore = diesel::dsl::And<
    diesel::dsl::Or<
        diesel::dsl::Lt<users::last_login_at, NaiveDateTime>,
        diesel::dsl::And<
            diesel::dsl::IsNull<users::last_login_at>,
            diesel::dsl::Lt<users::created_at, NaiveDateTime>,
        >,
    >,
    diesel::dsl::Or<
        diesel::dsl::IsNull<users::unblocked_at>,
        diesel::dsl::Lt<users::unblocked_at, NaiveDateTime>,
    >,
>;

/// `quiet_since(...) < before`, as SQL.
pub fn quiet_before_sql(before: NaiveDateTime) -> QuietBefore {
    users::last_login_at
        .lt(before)
        .or(users::last_login_at
            .is_null()
            .and(users::created_at.lt(before)))
        .and(
            users::unblocked_at
                .is_null()
                .or(users::unblocked_at.lt(before)),
        )
}

fn cutoff(policy: &Policy, now: NaiveDateTime) -> Option<NaiveDateTime> {
    (policy.lock_after_inactive_days > 0)
        .then(|| now - Duration::days(policy.lock_after_inactive_days.into()))
}

/// True when the account is past the organization's limit; it is then blocked (once, however
/// many requests race), its sessions end and the block is audited.
pub fn block_if_due(
    conn: &mut DbConn,
    quiet: &Quiet<'_>,
    policy: &Policy,
    meta: &Origin,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let Some(cutoff) = cutoff(policy, now) else {
        return Ok(false);
    };
    if quiet.since >= cutoff {
        return Ok(false);
    }
    if store::block_if_inactive(conn, quiet.user_id, cutoff, now)? {
        store::delete_user_sessions(conn, quiet.user_id)?;
        let details = serde_json::json!({
            "reason": "inactivity",
            "quiet_since": quiet.since.format("%Y-%m-%d").to_string(),
            "limit_days": policy.lock_after_inactive_days,
        });
        audit::record(
            conn,
            Event {
                org_id: Some(quiet.org_id),
                actor: &Actor::system("inactivity policy"),
                action: action::BLOCKED,
                target: Some((quiet.user_id, quiet.email)),
                details,
                meta,
            },
            now,
        )?;
        let message = mail::Simple {
            first_name: quiet.first_name,
            paragraphs: vec![
                format!(
                    "Your Gatehouse account {} was blocked because nobody signed in to it for {} days.",
                    quiet.email, policy.lock_after_inactive_days
                ),
                BLOCKED_WHAT_NEXT.into(),
            ],
            link: None,
            footer: "If you no longer need this account, you can ignore this email.",
        };
        let email = message.email(
            Some(quiet.org_id),
            Some(quiet.user_id),
            "inactivity_blocked",
            quiet.email,
            "Your Gatehouse account was blocked for inactivity",
        );
        mail::store::enqueue(conn, &email, now)?;
    }
    Ok(true)
}

/// What someone blocked for inactivity does next (the email, the sign-in page, a reset
/// request): an administrator looks at a dormant account before it opens again, so neither
/// a password nor an emailed link lifts this block on its own.
pub const BLOCKED_WHAT_NEXT: &str = "An administrator of your organization can unblock it (User Management, Unblock user); ask one, then sign in again. A new password would not lift this block.";

#[derive(Debug, QueryableByName)]
#[diesel(table_name = users)]
pub struct QuietRow {
    pub id: i64,
    pub org_id: i64,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub last_login_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub unblocked_at: Option<NaiveDateTime>,
}

impl QuietRow {
    pub fn since(&self) -> NaiveDateTime {
        quiet_since(self.last_login_at, self.created_at, self.unblocked_at)
    }

    fn quiet(&self) -> Quiet<'_> {
        Quiet {
            user_id: self.id,
            org_id: self.org_id,
            email: &self.email,
            first_name: &self.first_name,
            since: self.since(),
        }
    }
}

/// `FROM users` narrowed to the organization's active, unblocked accounts quiet since before
/// `before`, in the SQL of the `users_quiet` partial index (the literal status and locked_at
/// test, the same COALESCE) so that index drives it: it scanned and sorted every user before.
fn quiet_accounts(sql: &mut Sql, org_id: i64, before: NaiveDateTime) {
    sql.push(" FROM users WHERE status = 'active' AND locked_at IS NULL AND org_id = ")
        .bind(Bind::Int(org_id))
        .push(" AND COALESCE(last_login_at, created_at) < ")
        .bind(Bind::Time(before))
        .push(" AND (unblocked_at IS NULL OR unblocked_at < ")
        .bind(Bind::Time(before))
        .push(")");
}

fn quiet_before(
    conn: &mut DbConn,
    org_id: i64,
    before: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<QuietRow>> {
    sql::load(conn, quiet_before_query(org_id, before, limit, None))
}

/// Like `quiet_before`, leaving out those already warned in their current quiet spell: the
/// quietest are warned first and stay quiet until they are blocked, so without this a week
/// of more than `limit` warned accounts would hold back everyone after them.
fn unwarned_quiet_before(
    conn: &mut DbConn,
    org_id: i64,
    before: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<QuietRow>> {
    let backend = crate::db::backend_of(conn);
    sql::load(
        conn,
        quiet_before_query(org_id, before, limit, Some(backend)),
    )
}

/// The plan of the check's query (the query-plan tests).
pub fn explain_quiet(
    conn: &mut DbConn,
    org_id: i64,
    before: NaiveDateTime,
) -> QueryResult<Vec<String>> {
    sql::explain(conn, quiet_before_query(org_id, before, BATCH, None))
}

/// With `unwarned` (the backend, for its spelling of the larger of two values), only accounts
/// not warned since their quiet spell began (`quiet_since`).
fn quiet_before_query(
    org_id: i64,
    before: NaiveDateTime,
    limit: i64,
    unwarned: Option<crate::db::Backend>,
) -> Sql {
    let mut sql = Sql::new();
    sql.push(
        "SELECT id, org_id, email, first_name, last_name, last_login_at, created_at, unblocked_at",
    );
    quiet_accounts(&mut sql, org_id, before);
    if let Some(backend) = unwarned {
        let greatest = match backend {
            crate::db::Backend::Sqlite => "max",
            crate::db::Backend::Postgres => "GREATEST",
        };
        sql.push(&format!(
            " AND (inactivity_warned_at IS NULL OR inactivity_warned_at < \
             {greatest}(COALESCE(last_login_at, created_at), COALESCE(unblocked_at, created_at)))"
        ));
    }
    sql.push(&format!(
        " ORDER BY COALESCE(last_login_at, created_at), id LIMIT {limit}"
    ));
    sql
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    count: i64,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    pub warned: usize,
    pub blocked: usize,
}

/// The periodic check over every organization with a limit.
pub fn run(conn: &mut DbConn, base_url: &str, now: NaiveDateTime) -> QueryResult<Report> {
    let orgs: Vec<i64> = organizations::table
        .filter(organizations::lock_after_inactive_days.gt(0))
        .select(organizations::id)
        .load(conn)?;
    let mut report = Report::default();
    let meta = Origin::default();
    for org_id in orgs {
        write_tx(conn, |conn| -> QueryResult<()> {
            let policy = crate::settings::store::policy(conn, org_id)?;
            let Some(cutoff) = cutoff(&policy, now) else {
                return Ok(());
            };
            let warn_before = cutoff + Duration::days(WARNING_DAYS);
            let quiet = quiet_before(conn, org_id, cutoff, BATCH)?;
            // Everyone this run may block or warn, locked in id order first (the rows are in
            // quiet order), as every change to several people takes them.
            let mut reached: Vec<i64> = quiet.iter().map(|r| r.id).collect();
            reached.extend(
                unwarned_quiet_before(conn, org_id, warn_before, BATCH)?
                    .iter()
                    .map(|r| r.id),
            );
            crate::users::store::lock_all_for_change(conn, &reached)?;
            for row in quiet {
                if block_if_due(conn, &row.quiet(), &policy, &meta, now)? {
                    report.blocked += 1;
                }
            }
            for row in unwarned_quiet_before(conn, org_id, warn_before, BATCH)? {
                if warn(conn, &row, &policy, base_url, now)? {
                    report.warned += 1;
                }
            }
            Ok(())
        })?;
    }
    Ok(report)
}

/// Emails the "blocked soon" warning once per quiet spell (guarded, so two instances send one).
fn warn(
    conn: &mut DbConn,
    row: &QuietRow,
    policy: &Policy,
    base_url: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let marked = diesel::update(
        users::table.find(row.id).filter(
            users::inactivity_warned_at
                .is_null()
                .or(users::inactivity_warned_at.lt(row.since())),
        ),
    )
    .set(users::inactivity_warned_at.eq(now))
    .execute(conn)?;
    if marked == 0 {
        return Ok(false);
    }
    let blocked_on = row.since() + Duration::days(policy.lock_after_inactive_days.into());
    let link = format!("{base_url}/login");
    let message = mail::Simple {
        first_name: &row.first_name,
        paragraphs: vec![
            format!(
                "Your Gatehouse account {} has not been signed into since {}.",
                row.email,
                row.since().format("%-d %B %Y")
            ),
            format!(
                "Accounts unused for {} days are blocked. Sign in before {} to keep yours open.",
                policy.lock_after_inactive_days,
                blocked_on.format("%-d %B %Y")
            ),
        ],
        link: Some(("Sign in", &link)),
        footer: "If you no longer need this account, you can ignore this email.",
    };
    mail::store::enqueue(
        conn,
        &message.email(
            Some(row.org_id),
            Some(row.id),
            "inactivity_warning",
            &row.email,
            "Your Gatehouse account will be blocked soon",
        ),
        now,
    )?;
    Ok(true)
}

/// Who a limit of `days` would block now (the dry run in Settings): how many, and the
/// quietest of them.
pub fn preview(
    conn: &mut DbConn,
    org_id: i64,
    days: i32,
    now: NaiveDateTime,
    limit: i64,
) -> QueryResult<(i64, Vec<QuietRow>)> {
    if days <= 0 {
        return Ok((0, Vec::new()));
    }
    let before = now - Duration::days(days.into());
    let mut sql = Sql::new();
    sql.push("SELECT COUNT(*) AS count");
    quiet_accounts(&mut sql, org_id, before);
    let count = sql::load::<Count>(conn, sql)?
        .first()
        .map_or(0, |c| c.count);
    Ok((count, quiet_before(conn, org_id, before, limit)?))
}
