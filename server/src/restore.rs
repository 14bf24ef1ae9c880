//! `kanban-server restore FILE`: a backup's copy put in place of a data
//! directory's SQLite database, with no server using it.
//!
//! The database it replaces is kept beside it (`kanban.db.replaced`, whole: its
//! write-ahead log checkpointed into it first), and the copy goes in by a rename,
//! so that a restore stopped half way leaves one database or the other, never a
//! mix. The copy carries `backup`'s mark (set here too, for a copy made another
//! way): the server that opens it gives it a new epoch, and its clients fetch their
//! boards afresh instead of trusting revisions of the history that was rewound.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

use crate::DATABASE_FILE;
use crate::data_dir::{self, DirLock, LockError};

/// Where the replaced database is kept.
pub const REPLACED_FILE: &str = "kanban.db.replaced";

/// Why a restore did not happen (the data directory is as it was then).
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error("{}: {why}", path.display())]
    File { path: PathBuf, why: String },
    #[error("{} is not a kanban-server database: {why}", path.display())]
    NotADatabase { path: PathBuf, why: String },
}

/// Restores `file` into `dir`. Refused while a server holds the directory.
pub fn restore(dir: &Path, file: &Path) -> Result<(), RestoreError> {
    data_dir::create_private_dir(dir).map_err(|e| failed(dir, e))?;
    let _lock = DirLock::acquire(dir)?;
    check(file)?;
    let staged = dir.join("kanban.db.restoring");
    let _ = std::fs::remove_file(&staged);
    copy_private(file, &staged)?;
    mark(&staged).map_err(|why| RestoreError::NotADatabase { path: file.to_owned(), why })?;
    let db = dir.join(DATABASE_FILE);
    if db.exists() {
        set_aside(&db, &dir.join(REPLACED_FILE))?;
    }
    std::fs::rename(&staged, &db).map_err(|e| failed(&db, e))?;
    data_dir::protect_database(&db).map_err(|e| failed(&db, e))?;
    Ok(())
}

fn failed(path: &Path, e: impl std::fmt::Display) -> RestoreError {
    RestoreError::File { path: path.to_owned(), why: e.to_string() }
}

/// Whether `file` is a database this server made: SQLite, with a schema version.
fn check(file: &Path) -> Result<(), RestoreError> {
    let not = |why: String| RestoreError::NotADatabase { path: file.to_owned(), why };
    if !file.is_file() {
        return Err(failed(file, "no such file"));
    }
    let conn = Connection::open_with_flags(file, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| not(e.to_string()))?;
    let version: i64 =
        conn.pragma_query_value(None, "user_version", |r| r.get(0)).map_err(|e| not(e.to_string()))?;
    let has_users: bool = conn
        .query_row("SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'users')", [], |r| r.get(0))
        .map_err(|e| not(e.to_string()))?;
    if version == 0 || !has_users {
        return Err(not("no kanban schema in it".into()));
    }
    Ok(())
}

/// Copies `from` into a new owner-only file: it holds the app secret.
fn copy_private(from: &Path, to: &Path) -> Result<(), RestoreError> {
    let mut source = std::fs::File::open(from).map_err(|e| failed(from, e))?;
    let mut target = data_dir::private_file(to).map_err(|e| failed(to, e))?;
    std::io::copy(&mut source, &mut target).map_err(|e| failed(to, e))?;
    target.sync_all().map_err(|e| failed(to, e))
}

/// Sets the copy's mark, where its schema has one (older copies get a new
/// identity anyway: theirs is made when they are first opened).
fn mark(path: &Path) -> Result<(), String> {
    let conn = Connection::open(path).map_err(|e| e.to_string())?;
    let has_site: bool = conn
        .query_row("SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'site')", [], |r| r.get(0))
        .map_err(|e| e.to_string())?;
    if has_site {
        conn.execute("UPDATE site SET is_copy = 1", []).map_err(|e| e.to_string())?;
    }
    conn.close().map_err(|(_, e)| e.to_string())
}

/// Moves the database at `db` to `aside`, whole: its write-ahead log checkpointed
/// into it, so that nothing of it is left in `-wal` beside the copy to come.
fn set_aside(db: &Path, aside: &Path) -> Result<(), RestoreError> {
    let conn = Connection::open(db).map_err(|e| failed(db, e))?;
    // Leaving WAL mode needs the database to itself.
    conn.pragma_update(None, "journal_mode", "DELETE").map_err(|e| match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
            failed(db, "another process has it open (an admin command, a kanban-tui): let it finish first")
        }
        _ => failed(db, e),
    })?;
    conn.close().map_err(|(_, e)| failed(db, e))?;
    for companion in ["-wal", "-shm"] {
        let mut path = db.as_os_str().to_owned();
        path.push(companion);
        let _ = std::fs::remove_file(PathBuf::from(path));
    }
    std::fs::rename(db, aside).map_err(|e| failed(aside, e))
}
