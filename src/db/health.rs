//! The database's health as the app sees it: whether a query lost its connection, whether the
//! database failed to answer lately (a 503, not a 500), and a consistent SQLite backup.

use super::DbConn;

/// When this app's database last failed to answer (the pool gave no connection, or one was
/// lost under a query): unix seconds, 0 for never. One per app (its pool), not per process.
#[derive(Debug, Default)]
pub struct Health {
    unreachable_at: std::sync::atomic::AtomicI64,
}

impl Health {
    /// Notes that the database did not answer.
    pub fn note_unreachable(&self) {
        let now = chrono::Utc::now().timestamp();
        self.unreachable_at
            .store(now, std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether the database failed to answer in the last few seconds: an error that a layer
    /// outside the handlers turned into a 500 (the session's load, say) is a 503 then.
    pub fn unreachable_recently(&self) -> bool {
        let at = self
            .unreachable_at
            .load(std::sync::atomic::Ordering::Relaxed);
        at != 0 && chrono::Utc::now().timestamp() - at <= 5
    }
}

/// Whether a query failed because the connection to the database is gone (the server stopped,
/// restarted or became unreachable), as opposed to the query itself.
pub fn is_connection_lost(error: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    match error {
        Error::DatabaseError(DatabaseErrorKind::ClosedConnection, _)
        | Error::DatabaseError(DatabaseErrorKind::UnableToSendCommand, _)
        | Error::BrokenTransactionManager => true,
        Error::DatabaseError(_, info) => {
            let message = info.message();
            message.contains("server closed the connection")
                || message.contains("terminating connection")
                || message.contains("no connection to the server")
                || message.contains("connection to server")
                || message.contains("could not receive data from server")
        }
        _ => false,
    }
}

/// Whether the database refused a write because it cannot take one: its disk is full
/// (SQLite's SQLITE_FULL, PostgreSQL's 53100) or it is read-only (a SQLite file or directory
/// without write permission, a PostgreSQL standby or read-only transaction). Nothing of the
/// refused transaction was kept.
pub fn is_not_writable(error: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    match error {
        Error::DatabaseError(DatabaseErrorKind::ReadOnlyTransaction, _) => true,
        Error::DatabaseError(_, info) => {
            let message = info.message();
            message.contains("database or disk is full")
                || message.contains("readonly database")
                || message.contains("No space left on device")
                || message.contains("could not extend file")
                || message.contains("read-only transaction")
        }
        _ => false,
    }
}

/// A consistent copy of a SQLite database, taken while it serves (`VACUUM INTO`: one read
/// transaction, so the copy is the database at one moment, compacted). PostgreSQL has
/// `pg_dump` for that.
pub fn backup_sqlite(conn: &mut DbConn, target: &std::path::Path) -> anyhow::Result<()> {
    use diesel::sql_types::Text;
    let DbConn::Sqlite(c) = conn else {
        anyhow::bail!(
            "backup copies a SQLite database; for PostgreSQL use pg_dump (see the README)"
        );
    };
    anyhow::ensure!(
        !target.exists(),
        "{} exists already: choose a new file",
        target.display()
    );
    diesel::RunQueryDsl::execute(
        diesel::sql_query("VACUUM INTO ?").bind::<Text, _>(target.display().to_string()),
        c,
    )?;
    Ok(())
}
