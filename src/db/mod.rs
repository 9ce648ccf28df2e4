//! The database: one connection type over SQLite and PostgreSQL, its pool, migrations and the
//! write-transaction helper every service uses.

pub mod busy;
pub mod health;
pub mod restore;
pub mod schema;
pub mod sql;
pub mod trace;
pub mod upkeep;

pub use health::{backup_sqlite, is_connection_lost, is_not_writable, Health};

use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::pg::PgConnection;
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, ConnectionError, QueryResult};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// A connection to whichever backend `DATABASE_URL` names. Queries written with Diesel's DSL
/// run on both; where the SQL must differ, `store.rs` matches on the variant.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

pub type Pool = diesel::r2d2::Pool<Manager>;
pub type PooledConn = diesel::r2d2::PooledConnection<Manager>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Where the data lives, parsed from `DATABASE_URL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    pub backend: Backend,
    /// The URL for PostgreSQL; the file path for SQLite.
    pub target: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unsupported DATABASE_URL scheme `{0}`: use postgres://, postgresql://, sqlite:// or a file path")]
pub struct UnknownScheme(pub String);

impl DatabaseUrl {
    pub fn parse(url: &str) -> Result<Self, UnknownScheme> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self {
                backend: Backend::Postgres,
                target: url.to_owned(),
            });
        }
        if let Some(path) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            return Ok(Self {
                backend: Backend::Sqlite,
                target: path.to_owned(),
            });
        }
        match url.split_once("://") {
            Some((scheme, _)) => Err(UnknownScheme(scheme.to_owned())),
            None => Ok(Self {
                backend: Backend::Sqlite,
                target: url.to_owned(),
            }),
        }
    }
}

/// r2d2 manager that opens the backend named by the URL (Diesel's own manager would try each
/// backend in turn) and prepares every SQLite connection.
#[derive(Debug, Clone)]
pub struct Manager {
    url: DatabaseUrl,
    /// SQLite: leave WAL checkpoints to `checkpoint` on a timer instead of the committing
    /// writer (the server's pool; the command line checkpoints as usual).
    background_checkpoints: bool,
}

impl Manager {
    pub fn new(url: DatabaseUrl) -> Self {
        Self {
            url,
            background_checkpoints: false,
        }
    }

    pub fn connect_now(&self) -> Result<DbConn, ConnectionError> {
        match self.url.backend {
            Backend::Postgres => {
                let mut conn = connect_pg(&self.url.target)?;
                trace::timings(&mut conn);
                Ok(DbConn::Pg(conn))
            }
            Backend::Sqlite => {
                let fine_waits = busy::install();
                let mut conn = SqliteConnection::establish(&self.url.target)?;
                if !fine_waits {
                    conn.batch_execute(&format!(
                        "PRAGMA busy_timeout = {};",
                        busy::TIMEOUT.as_millis()
                    ))
                    .map_err(ConnectionError::CouldntSetupConfiguration)?;
                }
                // WAL lets readers run beside the one writer; the busy handler makes a second
                // writer wait instead of failing; foreign keys are off by default in SQLite.
                // The page cache holds a list page's working set (about 300 pages of 4 KiB:
                // the page's 51 users and one leaf of each index its columns read) with the
                // request's other queries: at 1 MiB the LRU cycled through it and every page
                // came back through pread (16% of W1's CPU in a profile, 2026-12-07).
                conn.batch_execute(
                    "PRAGMA journal_mode = WAL;
                     PRAGMA synchronous = NORMAL;
                     PRAGMA foreign_keys = ON;
                     PRAGMA temp_store = MEMORY;
                     PRAGMA cache_size = -4096;
                     PRAGMA journal_size_limit = 67108864;",
                )
                .map_err(ConnectionError::CouldntSetupConfiguration)?;
                if self.background_checkpoints {
                    conn.batch_execute("PRAGMA wal_autocheckpoint = 0;")
                        .map_err(ConnectionError::CouldntSetupConfiguration)?;
                }
                trace::timings(&mut conn);
                Ok(DbConn::Sqlite(conn))
            }
        }
    }
}

impl diesel::r2d2::ManageConnection for Manager {
    type Connection = DbConn;
    type Error = ConnectionError;

    fn connect(&self) -> Result<DbConn, ConnectionError> {
        self.connect_now()
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), ConnectionError> {
        conn.batch_execute("SELECT 1")
            .map_err(ConnectionError::CouldntSetupConfiguration)
    }

    fn has_broken(&self, conn: &mut DbConn) -> bool {
        <DbConn as Connection>::TransactionManager::is_broken_transaction_manager(conn)
    }
}

/// Opens a PostgreSQL connection; every one goes through here.
///
/// libpq brings OpenSSL, which by default frees itself in an `atexit` handler, so a thread
/// still connecting while the process exits crashes it (a pool's thread, or a test server's,
/// after every test has passed: SIGSEGV). OpenSSL decides on that handler at its first
/// initialisation, so this initialises it first, without the handler, and leaves the clean-up
/// to the operating system.
pub fn connect_pg(url: &str) -> Result<PgConnection, ConnectionError> {
    openssl_sys::init();
    PgConnection::establish(url)
}

pub fn backend_of(conn: &DbConn) -> Backend {
    match conn {
        DbConn::Pg(_) => Backend::Postgres,
        DbConn::Sqlite(_) => Backend::Sqlite,
    }
}

/// Builds the pool. SQLite files get their parent directory created.
pub fn pool(url: &DatabaseUrl, max_size: u32) -> anyhow::Result<Pool> {
    if url.backend == Backend::Sqlite {
        if let Some(dir) = std::path::Path::new(&url.target).parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir)?;
            }
        }
    }
    let pool = diesel::r2d2::Pool::builder()
        // No test query on every checkout (r2d2's default): it cost a statement parse on SQLite
        // and a round trip on PostgreSQL per blocking hop, two or three times a page. The price:
        // after a database restart, the first request on each stale connection fails (a 500
        // with a request id) before r2d2 replaces it; connections are also recycled hourly.
        .test_on_check_out(false)
        .max_lifetime(Some(Duration::from_secs(3_600)))
        .max_size(max_size)
        .min_idle(Some(1))
        // A database that does not answer gives a 503 in seconds, not a hung page.
        .connection_timeout(Duration::from_secs(3))
        .build(Manager {
            url: url.clone(),
            background_checkpoints: true,
        })?;
    Ok(pool)
}

/// Multi-row INSERT. Diesel's multi-backend connection cannot batch inserts, so this expands
/// to the same statement on each concrete connection.
#[macro_export]
macro_rules! insert_batch {
    ($conn:expr, $table:expr, $rows:expr) => {
        match $conn {
            $crate::db::DbConn::Sqlite(c) => diesel::insert_into($table).values($rows).execute(c),
            $crate::db::DbConn::Pg(c) => diesel::insert_into($table).values($rows).execute(c),
        }
    };
}

/// Runs the embedded migrations of the connection's backend.
pub fn migrate(conn: &mut DbConn) -> anyhow::Result<()> {
    let applied = match conn {
        DbConn::Pg(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS),
        DbConn::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS),
    }
    .map_err(|e| anyhow::anyhow!("running migrations: {e}"))?;
    for version in applied {
        log::info!("applied migration {version}");
    }
    Ok(())
}

/// One SQLite writer at a time in this process (see `write_tx`).
static SQLITE_WRITER: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Write transactions committed by this process (`upkeep` skips work when none were).
static COMMITS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// The SQLite writers' turn in this process, for work that must not overlap a write.
fn writer_turn() -> std::sync::MutexGuard<'static, ()> {
    SQLITE_WRITER.lock().unwrap_or_else(|e| e.into_inner())
}

/// Runs `f` in a write transaction that concurrent writers cannot break.
///
/// SQLite: `BEGIN IMMEDIATE` takes the write lock up front, so a transaction that reads and then
/// writes never fails with SQLITE_BUSY halfway (the busy timeout makes the next writer wait).
/// PostgreSQL: a plain READ COMMITTED transaction; races are settled by guarded updates
/// (`... WHERE seats_used < seats`) and unique constraints, not by the isolation level.
pub fn write_tx<T, E, F>(conn: &mut DbConn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    let depth = <DbConn as Connection>::TransactionManager::transaction_manager_status_mut(conn)
        .transaction_depth()
        .map_err(E::from)?;
    if depth.is_some() {
        // Already inside a write transaction (one service calling another): a savepoint.
        return conn.transaction(f);
    }
    // SQLite writers take turns in this process first: waiting here wakes the next writer the
    // moment one commits, where SQLite's busy handler polls (`busy`; SQLite's own slept 1, 2,
    // 5 … 100 ms between tries: Edit User saves at 32 connections had a p99 of 0.8 s and
    // timeouts without this turn). The busy handler still covers autocommit writes and
    // writers in other processes (the command line).
    let _turn = match conn {
        DbConn::Sqlite(_) => Some(writer_turn()),
        DbConn::Pg(_) => None,
    };
    match conn {
        DbConn::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?,
        DbConn::Pg(_) => <DbConn as Connection>::TransactionManager::begin_transaction(conn)?,
    }
    match f(conn) {
        Ok(value) => {
            if let Err(commit_error) =
                <DbConn as Connection>::TransactionManager::commit_transaction(conn)
            {
                let _ = <DbConn as Connection>::TransactionManager::rollback_transaction(conn);
                return Err(commit_error.into());
            }
            COMMITS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            Ok(value)
        }
        Err(error) => {
            <DbConn as Connection>::TransactionManager::rollback_transaction(conn)?;
            Err(error)
        }
    }
}

/// A read-only transaction: one consistent snapshot for several queries.
pub fn read_tx<T, E, F>(conn: &mut DbConn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    conn.transaction(f)
}

/// The one row of a lookup by a unique key, without `LIMIT 1`: Diesel binds the limit, and
/// SQLite compiles a statement with a bound `LIMIT ?` again on every execution (it lets the
/// value steer the plan), which the statement cache then cannot save. Only for queries that
/// can match at most one row.
pub fn unique<T>(rows: Vec<T>) -> Option<T> {
    rows.into_iter().next()
}

/// True when the error is a unique-constraint violation (a lost race for a unique value).
pub fn is_unique_violation(error: &diesel::result::Error) -> bool {
    matches!(
        error,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}

/// Refreshes planner statistics (after bulk loads such as `seed-demo`).
pub fn analyze(conn: &mut DbConn) -> QueryResult<()> {
    match conn {
        // VACUUM too: it moves a bulk load's rows out of the trigram index's pending list,
        // which every search would otherwise read through (W2 at 4.6 ms a query).
        DbConn::Pg(c) => c.batch_execute("VACUUM ANALYZE"),
        DbConn::Sqlite(c) => c.batch_execute("ANALYZE; PRAGMA optimize;"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls_pick_their_backend_and_unknown_schemes_are_refused() {
        assert_eq!(
            DatabaseUrl::parse("postgres://u@h/db").unwrap().backend,
            Backend::Postgres
        );
        assert_eq!(
            DatabaseUrl::parse("postgresql://u@h/db").unwrap().backend,
            Backend::Postgres
        );
        let sqlite = DatabaseUrl::parse("sqlite://data/g.db").unwrap();
        assert_eq!(
            (sqlite.backend, sqlite.target.as_str()),
            (Backend::Sqlite, "data/g.db")
        );
        assert_eq!(DatabaseUrl::parse("./g.db").unwrap().target, "./g.db");
        assert_eq!(
            DatabaseUrl::parse("mysql://x"),
            Err(UnknownScheme("mysql".into()))
        );
    }
}
