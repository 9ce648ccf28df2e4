//! `gatehouse restore BACKUP`: puts a copy made by `gatehouse backup` in the SQLite database's
//! place. It checks the copy first (a sound SQLite file that holds a Gatehouse database),
//! refuses while anything has the database open (every instance must be stopped), keeps the
//! database it replaces beside it, and removes the old write-ahead log so none of it is
//! replayed into the restored file. The next start applies any newer migrations.

use std::path::{Path, PathBuf};

use diesel::connection::SimpleConnection;
use diesel::{Connection, QueryableByName, RunQueryDsl, SqliteConnection};

#[derive(QueryableByName)]
struct Check {
    #[diesel(sql_type = diesel::sql_types::Text)]
    integrity_check: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// Restores `backup` into the SQLite file `target`; returns where the replaced database was
/// kept (`None` when there was none).
pub fn restore_sqlite(target: &Path, backup: &Path) -> anyhow::Result<Option<PathBuf>> {
    check_backup(backup)?;
    let kept = if target.exists() {
        ensure_unused(target)?;
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
        let kept = sibling(target, &format!(".before-restore-{stamp}"));
        std::fs::rename(target, &kept)?;
        Some(kept)
    } else {
        None
    };
    for stale in ["-wal", "-shm"] {
        let path = sibling(target, stale);
        if path.exists() {
            std::fs::remove_file(&path)?;
        }
    }
    // Copied beside the target, flushed, then renamed into place: never a half-written file.
    let partial = sibling(target, ".restoring");
    std::fs::copy(backup, &partial)?;
    std::fs::File::open(&partial)?.sync_all()?;
    std::fs::rename(&partial, target)?;
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(kept)
}

/// A sound SQLite file holding a Gatehouse database.
fn check_backup(backup: &Path) -> anyhow::Result<()> {
    anyhow::ensure!(backup.is_file(), "{} is not a file", backup.display());
    let url = format!("file:{}?mode=ro", backup.display());
    let mut conn = SqliteConnection::establish(&url)
        .map_err(|e| anyhow::anyhow!("{} cannot be opened: {e}", backup.display()))?;
    let check: Vec<Check> = diesel::sql_query("PRAGMA integrity_check")
        .load(&mut conn)
        .map_err(|e| anyhow::anyhow!("{} is not a SQLite database: {e}", backup.display()))?;
    anyhow::ensure!(
        check.len() == 1 && check[0].integrity_check == "ok",
        "{} is damaged (integrity check: {}): choose another backup",
        backup.display(),
        check
            .iter()
            .map(|c| c.integrity_check.as_str())
            .collect::<Vec<_>>()
            .join("; ")
    );
    let organizations: Result<Count, _> =
        diesel::sql_query("SELECT COUNT(*) AS n FROM organizations").get_result(&mut conn);
    anyhow::ensure!(
        organizations.is_ok_and(|c| c.n >= 0),
        "{} is a SQLite file but not a Gatehouse database",
        backup.display()
    );
    Ok(())
}

/// Refuses while another connection has the database open: an exclusive lock, asked for
/// without waiting, is granted only to the one connection there is.
fn ensure_unused(target: &Path) -> anyhow::Result<()> {
    let mut conn = SqliteConnection::establish(&target.display().to_string())?;
    let locked = conn.batch_execute(
        "PRAGMA busy_timeout = 0; PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; COMMIT;",
    );
    anyhow::ensure!(
        locked.is_ok(),
        "{} is in use: stop the console (every instance, and any other program using it) and run \
         the restore again",
        target.display()
    );
    Ok(())
}

/// `target` with `suffix` added to its file name.
fn sibling(target: &Path, suffix: &str) -> PathBuf {
    let mut name = target.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    target.with_file_name(name)
}
