//! SQLite's upkeep, off the writers' path: merging the full-text indexes' segments and
//! checkpointing the write-ahead log, a little at a time (`jobs::spawn_checkpointer` calls
//! `run` every `EVERY`). Nothing to do on PostgreSQL.
//!
//! Both used to run once a second, in bigger steps, and each step held every writer back:
//! Edit User saves at one connection (100,000 users, 2026-12-07) had a p99 of 50–60 ms, made of
//! a 500-page merge (up to 60 ms) and a RESTART checkpoint (30–40 ms) each second.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::QueryResult;

use super::{write_tx, writer_turn, DbConn, COMMITS};

/// How often the upkeep runs.
pub const EVERY: Duration = Duration::from_millis(100);

/// Pages of merging work per run and index: small steps, each a short write.
const MERGE_PAGES: u32 = 50;

/// The write-ahead log is started over once it holds this many frames (pages of 4 KiB, so
/// 16 MiB: one of the log's hash tables, which every reader searches newest first).
const WAL_RESTART_FRAMES: i64 = 4_096;

#[derive(diesel::QueryableByName)]
struct CheckpointResult {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    log: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    checkpointed: i64,
}

/// One run: merges when this process committed since the last merge (and at least every
/// `IDLE_MERGE` runs, for writes the command line made), then checkpoints.
pub fn run(conn: &mut DbConn) -> QueryResult<()> {
    const IDLE_MERGE: u64 = 10;
    static MERGED_AT: AtomicU64 = AtomicU64::new(u64::MAX);
    static RUNS: AtomicU64 = AtomicU64::new(0);
    let commits = COMMITS.load(Ordering::Relaxed);
    let runs = RUNS.fetch_add(1, Ordering::Relaxed);
    if MERGED_AT.swap(commits, Ordering::Relaxed) != commits || runs % IDLE_MERGE == 0 {
        merge_search_indexes(conn)?;
    }
    checkpoint(conn)
}

/// Merges some of the segments SQLite's full-text indexes gained (their automatic merging is
/// off, see migration 000007): each commit adds a segment, and merging them inside the
/// committing writer made one save in a hundred take 35 ms. A write, in turn with the others.
pub fn merge_search_indexes(conn: &mut DbConn) -> QueryResult<()> {
    if let DbConn::Sqlite(_) = conn {
        write_tx(conn, |conn| match conn {
            DbConn::Sqlite(c) => c.batch_execute(&format!(
                "INSERT INTO users_fts (users_fts, rank) VALUES ('merge', {MERGE_PAGES});
                 INSERT INTO audit_fts (audit_fts, rank) VALUES ('merge', {MERGE_PAGES});"
            )),
            DbConn::Pg(_) => Ok(()),
        })?;
    }
    Ok(())
}

/// Copies what the write-ahead log holds into the database file. Left to the writer that
/// crosses 1,000 log pages, its copy held up every other writer (Edit User saves: a 30 ms p99
/// at one connection).
///
/// A PASSIVE checkpoint waits for nobody, but under steady writes it never catches the newest
/// frames, and a log that is never wholly copied is never started over: 30 s of Edit User
/// saves at 1,000,000 users grew it to 2.3 GB, and as every reader searched a longer log the
/// saves' p50 went from 44 to 86 ms. So once the log passes `WAL_RESTART_FRAMES`, a second
/// PASSIVE checkpoint runs in the writers' turn: it copies only the frames written during the
/// first (a few dozen), and the next writer starts the log from its beginning. (A RESTART
/// checkpoint there also waited for readers, 30–40 ms with every writer held.) A reader still
/// on old frames leaves the log as it is until the next run.
pub fn checkpoint(conn: &mut DbConn) -> QueryResult<()> {
    use diesel::RunQueryDsl;
    let DbConn::Sqlite(c) = conn else {
        return Ok(());
    };
    let passive: CheckpointResult =
        diesel::sql_query("PRAGMA wal_checkpoint(PASSIVE)").get_result(c)?;
    if passive.log >= WAL_RESTART_FRAMES {
        let _turn = writer_turn();
        let last: CheckpointResult =
            diesel::sql_query("PRAGMA wal_checkpoint(PASSIVE)").get_result(c)?;
        if last.checkpointed < last.log {
            log::debug!(
                "checkpoint: {} of {} log frames copied (a reader is on the rest)",
                last.checkpointed,
                last.log
            );
        }
    }
    Ok(())
}
