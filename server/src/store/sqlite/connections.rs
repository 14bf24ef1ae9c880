//! The database file's connections: one that writes (the board's batches and the
//! identity commands) and a few that read, all synchronous rusqlite connections
//! used inside blocking tasks. A statement never crosses a thread on its own: a
//! whole read or a whole batch runs where its connection is, and the async side
//! waits once for it. Besides them, a few "quick" readers for the point reads
//! every request makes (its token), run where they are asked: see
//! [`Connections::quick`].
//!
//! The schema comes from the numbered files in `migrations/`, applied in order and
//! counted in SQLite's `user_version`.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use crate::store::{Result, StoreError};

/// Readers: WAL lets them all read while the writer writes.
const READERS: usize = 4;
/// Quick readers: one for each thread likely to ask at once (the runtime's).
const QUICK: usize = 2;

/// The schema, version by version.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../../../migrations/0001_identity.sql")),
    (2, include_str!("../../../migrations/0002_board.sql")),
    (3, include_str!("../../../migrations/0003_access_changes.sql")),
    (4, include_str!("../../../migrations/0004_applied_requests.sql")),
    (5, include_str!("../../../migrations/0005_trash.sql")),
    (6, include_str!("../../../migrations/0006_member_changes.sql")),
    (7, include_str!("../../../migrations/0007_comments.sql")),
    (8, include_str!("../../../migrations/0008_activity.sql")),
    (9, include_str!("../../../migrations/0009_ssh_keys.sql")),
    (10, include_str!("../../../migrations/0010_imports.sql")),
    (11, include_str!("../../../migrations/0011_comment_editor.sql")),
    (12, include_str!("../../../migrations/0012_write_probe.sql")),
];

/// The connections of one database file. A connection is `None` once closed.
pub struct Connections {
    writer: Mutex<Option<Connection>>,
    readers: Box<[Mutex<Option<Connection>>]>,
    next_reader: AtomicUsize,
    /// Readers that never wait for a lock (no busy timeout).
    quick: Box<[Mutex<Option<Connection>>]>,
}

/// A connection lent out; it goes back when dropped.
pub struct Lent<'a>(MutexGuard<'a, Option<Connection>>);

impl Lent<'_> {
    pub fn get(&mut self) -> Result<&mut Connection> {
        self.0.as_mut().ok_or_else(|| StoreError::Failed("the store is closed".into()))
    }
}

impl Connections {
    /// Opens (creating if needed) the database at `path`, brings its schema up to
    /// date, and opens the readers. Blocking.
    pub fn open(path: &Path) -> Result<Self> {
        let mut writer = connect(path, OpenFlags::default())?;
        writer.pragma_update(None, "journal_mode", "WAL")?;
        // Every transaction of the writer takes the write lock when it begins: one
        // that began by reading and then wrote would, while another process (an
        // admin command, the server) writes, fail at once with "database is
        // locked", since SQLite cannot wait there without risking a deadlock.
        writer.set_transaction_behavior(TransactionBehavior::Immediate);
        migrate(&mut writer)?;
        // Read-only: a read path that tried to write would fail, not write.
        let read_only =
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
        let readers = (0..READERS)
            .map(|_| Ok(Mutex::new(Some(connect(path, read_only)?))))
            .collect::<Result<Box<[_]>>>()?;
        let quick = (0..QUICK)
            .map(|_| {
                let conn = connect(path, read_only)?;
                conn.busy_timeout(Duration::ZERO)?;
                Ok(Mutex::new(Some(conn)))
            })
            .collect::<Result<Box<[_]>>>()?;
        Ok(Connections { writer: Mutex::new(Some(writer)), readers, next_reader: AtomicUsize::new(0), quick })
    }

    /// A quick reader, if one is free this moment. A read by primary key or
    /// unique index on it takes microseconds, less than handing it to a blocking
    /// thread and waking the asking task again (that hand-off was most of a
    /// token check): such reads run on the asking thread. The connection has no
    /// busy timeout, so a read never sleeps there: [`is_busy`] tells the caller to
    /// go the blocking way instead.
    pub fn quick(&self) -> Option<Lent<'_>> {
        self.quick.iter().find_map(|slot| slot.try_lock().ok()).map(Lent)
    }

    /// The writing connection (one user at a time).
    pub fn writer(&self) -> Lent<'_> {
        Lent(lock(&self.writer))
    }

    /// A reading connection: a free one if there is, else the next in turn.
    pub fn reader(&self) -> Lent<'_> {
        for slot in self.readers.iter() {
            if let Ok(conn) = slot.try_lock() {
                return Lent(conn);
            }
        }
        let turn = self.next_reader.fetch_add(1, Ordering::Relaxed) % self.readers.len();
        Lent(lock(&self.readers[turn]))
    }

    /// Closes every connection (the last one checkpoints the WAL into the file).
    pub fn close(&self) {
        for slot in self.quick.iter().chain(self.readers.iter()).chain(std::iter::once(&self.writer)) {
            if let Some(conn) = lock(slot).take()
                && let Err((_, e)) = conn.close()
            {
                tracing::warn!(error = %e, "closing a database connection");
            }
        }
    }
}

/// Whether `error` is SQLite saying the file is locked (a quick reader met a
/// checkpoint or a recovery of another process).
pub fn is_busy(error: &StoreError) -> bool {
    matches!(
        error,
        StoreError::Database(rusqlite::Error::SqliteFailure(e, _))
            if matches!(e.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

/// A poisoned lock held a connection through a panic: any transaction it had was
/// rolled back as the panic unwound, so the connection is still good.
fn lock(slot: &Mutex<Option<Connection>>) -> MutexGuard<'_, Option<Connection>> {
    slot.lock().unwrap_or_else(PoisonError::into_inner)
}

fn connect(path: &Path, flags: OpenFlags) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(path, flags)?;
    // Admin commands share the file with a running server: wait, don't fail, and
    // ask again each millisecond (SQLite's own waits grow to 100 ms, which misses
    // the short gaps an import leaves between its slices for the server's writes).
    conn.busy_handler(Some(wait_a_millisecond))?;
    // FULL: a commit is on disk before it is acknowledged, also across power loss.
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // Every statement a change or a read makes, prepared once.
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

/// How long a connection waits for a lock another process holds.
const BUSY_WAIT: Duration = Duration::from_secs(10);

/// SQLite's busy handler: one more millisecond, up to [`BUSY_WAIT`] in all.
fn wait_a_millisecond(tries: i32) -> bool {
    if u128::try_from(tries).unwrap_or(0) >= BUSY_WAIT.as_millis() {
        return false;
    }
    std::thread::sleep(Duration::from_millis(1));
    true
}

/// Applies the migrations the file lacks, in one transaction that holds the write
/// lock, so that two processes starting at once apply each one once.
fn migrate(conn: &mut Connection) -> Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut version: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if version == 0 {
        version = sqlx_version(&tx)?;
    }
    for &(number, sql) in MIGRATIONS {
        if number > version {
            tx.execute_batch(sql).map_err(|e| StoreError::Failed(format!("migration {number}: {e}")))?;
            version = number;
        }
    }
    tx.pragma_update(None, "user_version", version)?;
    tx.commit()?;
    Ok(())
}

/// Files made by earlier builds of this server, which used sqlx's migrator, count
/// their migrations in its table instead of `user_version`.
fn sqlx_version(conn: &Connection) -> Result<i64> {
    let has_table: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations')",
        [],
        |r| r.get(0),
    )?;
    if !has_table {
        return Ok(0);
    }
    let version: Option<i64> =
        conn.query_row("SELECT MAX(version) FROM _sqlx_migrations WHERE success", [], |r| r.get(0))?;
    Ok(version.unwrap_or(0))
}
