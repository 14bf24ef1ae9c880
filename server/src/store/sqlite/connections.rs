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

use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior};

use crate::store::schema::{self, Migrations};
use crate::store::site::{self, Renewal, Site, Stored};
use crate::store::{Failure, Result, StoreError};

/// Readers: WAL lets them all read while the writer writes.
const READERS: usize = 4;
/// Quick readers: one for each thread likely to ask at once (the runtime's).
const QUICK: usize = 2;

/// One migration: its number, its file's name, its SQL.
macro_rules! migration {
    ($number:literal, $name:literal) => {
        ($number, $name, include_str!(concat!("../../../migrations/", $name, ".sql")))
    };
}

/// The schema, version by version.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    migration!(1, "0001_identity"),
    migration!(2, "0002_board"),
    migration!(3, "0003_access_changes"),
    migration!(4, "0004_applied_requests"),
    migration!(5, "0005_trash"),
    migration!(6, "0006_member_changes"),
    migration!(7, "0007_comments"),
    migration!(8, "0008_activity"),
    migration!(9, "0009_ssh_keys"),
    migration!(10, "0010_imports"),
    migration!(11, "0011_comment_editor"),
    migration!(12, "0012_write_probe"),
    migration!(13, "0013_site"),
    migration!(14, "0014_checklists"),
    migration!(15, "0015_archived"),
    migration!(16, "0016_inbox"),
    migration!(17, "0017_webhooks"),
    migration!(18, "0018_sign_ins"),
];

/// The schema version this binary knows.
pub const SCHEMA: i64 = MIGRATIONS[MIGRATIONS.len() - 1].0;

/// The connections of one database file. A connection is `None` once closed.
pub struct Connections {
    writer: Mutex<Option<Connection>>,
    readers: Box<[Mutex<Option<Connection>>]>,
    next_reader: AtomicUsize,
    /// Readers that never wait for a lock (no busy timeout).
    quick: Box<[Mutex<Option<Connection>>]>,
    /// Times a reader or the writer was waited for.
    waits: std::sync::atomic::AtomicU64,
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
    /// date as `migrations` allows, settles who it is, and opens the readers.
    /// Blocking.
    pub fn open(path: &Path, migrations: Migrations) -> Result<(Self, Site)> {
        let mut writer = connect(path, OpenFlags::default())?;
        writer.pragma_update(None, "journal_mode", "WAL")?;
        // Every transaction of the writer takes the write lock when it begins: one
        // that began by reading and then wrote would, while another process (an
        // admin command, the server) writes, fail at once with "database is
        // locked", since SQLite cannot wait there without risking a deadlock.
        writer.set_transaction_behavior(TransactionBehavior::Immediate);
        migrate(&mut writer, migrations, SCHEMA)?;
        let site = settle_site(&mut writer)?;
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
        Ok((
            Connections {
                writer: Mutex::new(Some(writer)),
                readers,
                next_reader: AtomicUsize::new(0),
                quick,
                waits: Default::default(),
            },
            site,
        ))
    }

    /// A quick reader, if one is free this moment. A read by primary key or
    /// unique index on it takes microseconds, less than handing it to a blocking
    /// thread and waking the asking task again (that hand-off was most of a
    /// token check): such reads run on the asking thread. The connection has no
    /// busy timeout, so a read never sleeps there: [`Failure::Busy`] tells the caller to
    /// go the blocking way instead.
    pub fn quick(&self) -> Option<Lent<'_>> {
        self.quick.iter().find_map(|slot| slot.try_lock().ok()).map(Lent)
    }

    /// The writing connection (one user at a time).
    pub fn writer(&self) -> Lent<'_> {
        if let Ok(free) = self.writer.try_lock() {
            return Lent(free);
        }
        self.waits.fetch_add(1, Ordering::Relaxed);
        Lent(lock(&self.writer))
    }

    /// A reading connection: a free one if there is, else the next in turn.
    pub fn reader(&self) -> Lent<'_> {
        for slot in self.readers.iter() {
            if let Ok(conn) = slot.try_lock() {
                return Lent(conn);
            }
        }
        self.waits.fetch_add(1, Ordering::Relaxed);
        let turn = self.next_reader.fetch_add(1, Ordering::Relaxed) % self.readers.len();
        Lent(lock(&self.readers[turn]))
    }

    /// The connections now: in use (a slot taken), how many, how often waited for.
    pub fn gauges(&self) -> crate::metrics::PoolGauges {
        let slots = || self.quick.iter().chain(self.readers.iter()).chain(std::iter::once(&self.writer));
        crate::metrics::PoolGauges {
            in_use: slots().filter(|slot| slot.try_lock().is_err()).count(),
            size: slots().count(),
            waits: self.waits.load(Ordering::Relaxed),
        }
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

/// SQLite saying the file is locked (a quick reader met a checkpoint or a
/// recovery of another process) is [`Failure::Busy`].
impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        let busy = matches!(
            &e,
            rusqlite::Error::SqliteFailure(f, _)
                if matches!(f.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
        );
        StoreError::database(e.to_string(), if busy { Failure::Busy } else { Failure::Other })
    }
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

/// Applies the migrations the file lacks up to `upto`, as `mode` allows, in one
/// transaction that holds the write lock, so that two processes starting at once
/// apply each one once.
fn migrate(conn: &mut Connection, mode: Migrations, upto: i64) -> Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut version: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if version == 0 {
        version = sqlx_version(&tx)?;
    }
    schema::check(version, SCHEMA, mode)?;
    if version >= upto {
        return Ok(());
    }
    for &(number, name, sql) in MIGRATIONS {
        if number > version && number <= upto {
            tx.execute_batch(sql).map_err(|e| schema::failed(number, name, e))?;
            schema::applied("sqlite", number, name);
            version = number;
        }
    }
    tx.pragma_update(None, "user_version", version)?;
    tx.commit()?;
    Ok(())
}

/// Makes the file at `path` with the schema as migration `version` left it, for
/// the tests that upgrade every earlier schema. Blocking.
pub fn create_at(path: &Path, version: i64) -> Result<()> {
    let mut conn = connect(path, OpenFlags::default())?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    migrate(&mut conn, Migrations::Apply, version)
}

/// The schema as `sqlite_master` writes it, for comparing an upgraded file with
/// a new one. Blocking.
pub fn describe(path: &Path) -> Result<Vec<String>> {
    let conn = connect(path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let mut statement = conn.prepare(
        "SELECT type || ' ' || name || ': ' || COALESCE(sql, '') FROM sqlite_master \
         WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name",
    )?;
    let rows = statement.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Who the file is: as stored, or new (first opened, or a backup's copy).
fn settle_site(conn: &mut Connection) -> Result<Site> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let stored = tx
        .query_row("SELECT cluster_id, epoch, home, is_copy FROM site WHERE id = 1", [], |r| {
            Ok(Stored {
                site: Site { cluster: r.get::<_, i64>(0)? as u64, epoch: r.get::<_, i64>(1)? as u64 },
                home: r.get(2)?,
                copy: r.get(3)?,
            })
        })
        .optional()?;
    let (site, renewal) = site::settle(stored, "");
    if let Some(renewal) = renewal {
        write_site(&tx, &site)?;
        tx.commit()?;
        site::announce(&site, renewal);
    }
    Ok(site)
}

fn write_site(conn: &Connection, site: &Site) -> Result<()> {
    conn.execute(
        "INSERT INTO site (id, cluster_id, epoch, home, is_copy) VALUES (1, ?, ?, '', 0) \
         ON CONFLICT (id) DO UPDATE SET cluster_id = excluded.cluster_id, epoch = excluded.epoch, is_copy = 0",
        (site.cluster as i64, site.epoch as i64),
    )?;
    Ok(())
}

/// Gives the file a new identity (`cluster new-id`). Blocking.
pub fn renew_site(conn: &mut Connection) -> Result<Site> {
    let site = Site::fresh();
    write_site(conn, &site)?;
    site::announce(&site, Renewal::Asked);
    Ok(site)
}

/// Marks a backup's copy: the server that opens it gives it a new identity.
pub fn mark_copy(path: &Path) -> Result<()> {
    let conn = connect(path, OpenFlags::default())?;
    conn.execute("UPDATE site SET is_copy = 1", [])?;
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
