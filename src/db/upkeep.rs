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
    /// 1 when the checkpoint could not finish (a RESTART that gave up waiting for a reader).
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    busy: i64,
    /// Frames in the log.
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    log: i64,
}

/// One run: merges when this process committed since the last merge (and at least every
/// `IDLE_MERGE` runs, for writes the command line made), then checkpoints.
pub fn run(conn: &mut DbConn) -> QueryResult<()> {
    const IDLE_MERGE: u64 = 10;
    static MERGED_AT: AtomicU64 = AtomicU64::new(u64::MAX);
    static RUNS: AtomicU64 = AtomicU64::new(0);
    let runs = RUNS.fetch_add(1, Ordering::Relaxed);
    if MERGED_AT.load(Ordering::Relaxed) != COMMITS.load(Ordering::Relaxed)
        || runs % IDLE_MERGE == 0
    {
        merge_search_indexes(conn)?;
        // After the merge, whose own commit is not a reason for the next one.
        MERGED_AT.store(COMMITS.load(Ordering::Relaxed), Ordering::Relaxed);
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
/// saves' p50 went from 44 to 86 ms. So once the log passes `WAL_RESTART_FRAMES`, a RESTART
/// checkpoint runs in the writers' turn: it copies the frames written since the PASSIVE one (a
/// few dozen), waits for the readers still on old frames and lets the next writer start the
/// log over. Its wait is capped at `RESTART_WAIT` (it took 30–40 ms with every writer held,
/// waiting with SQLite's coarse sleeps): a reader that outlasts it leaves the log for the next
/// run, until the log passes `WAL_RESTART_FRAMES` four times over, when it waits as long as
/// any lock.
pub fn checkpoint(conn: &mut DbConn) -> QueryResult<()> {
    use diesel::RunQueryDsl;
    const RESTART_WAIT: Duration = Duration::from_millis(5);
    let DbConn::Sqlite(c) = conn else {
        return Ok(());
    };
    let passive: CheckpointResult =
        diesel::sql_query("PRAGMA wal_checkpoint(PASSIVE)").get_result(c)?;
    if passive.log >= WAL_RESTART_FRAMES {
        let wait = if passive.log >= 4 * WAL_RESTART_FRAMES {
            super::busy::TIMEOUT
        } else {
            RESTART_WAIT
        };
        let _turn = writer_turn();
        let restart: CheckpointResult = super::busy::waiting_at_most(wait, || {
            diesel::sql_query("PRAGMA wal_checkpoint(RESTART)").get_result(c)
        })?;
        if restart.busy != 0 {
            log::debug!(
                "checkpoint: the log ({} frames) starts over at a later run: a reader is on it",
                restart.log
            );
        }
    }
    Ok(())
}
