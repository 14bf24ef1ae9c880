//! The PostgreSQL connections of one server process: one that writes the board's
//! batches and a few that read, synchronous `postgres` clients used inside blocking
//! tasks (a whole read or a whole batch runs where its connection is; measured
//! against async `tokio-postgres` in BENCHMARKS.md), each with its prepared
//! statements. A connection the database dropped (a restart) is opened again on
//! its next use. One more connection listens for the access changes other
//! processes make (NOTIFY).
//!
//! The schema comes from the numbered files in `migrations/postgres/`, applied in
//! order under an advisory lock, so that several processes starting at once apply
//! each one once.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use postgres::{Client, GenericClient, Statement};
use tokio::sync::Notify;

use super::pg_cause;
use super::target::Target;
use crate::store::schema::{self, Migrations};
use crate::store::site::{self, Renewal, Site, Stored};
use crate::store::{Result, StoreError};

/// Readers beside the writer.
const READERS: usize = 4;

/// One migration: its number, its file's name, its SQL.
macro_rules! migration {
    ($number:literal, $name:literal) => {
        ($number, $name, include_str!(concat!("../../../migrations/postgres/", $name, ".sql")))
    };
}

/// The schema, version by version.
const MIGRATIONS: &[(i32, &str, &str)] = &[
    migration!(1, "0001_schema"),
    migration!(2, "0002_comments"),
    migration!(3, "0003_activity"),
    migration!(4, "0004_ssh_keys"),
    migration!(5, "0005_imports"),
    migration!(6, "0006_comment_editor"),
    migration!(7, "0007_site"),
    migration!(8, "0008_checklists"),
    migration!(9, "0009_archived"),
    migration!(10, "0010_inbox"),
    migration!(11, "0011_webhooks"),
    migration!(12, "0012_sign_ins"),
];

/// The schema version this binary knows.
pub const SCHEMA: i32 = MIGRATIONS[MIGRATIONS.len() - 1].0;

/// The advisory lock migrations take: any number, the same in every process.
const MIGRATION_LOCK: i64 = 0x6b61_6e62_616e;

/// The statements prepared on one connection, by their SQL.
#[derive(Default)]
pub struct Statements(HashMap<String, Statement>);

impl Statements {
    /// `sql` prepared on `client`, once per connection.
    pub fn get(&mut self, client: &mut impl GenericClient, sql: &str) -> Result<Statement, postgres::Error> {
        if let Some(s) = self.0.get(sql) {
            return Ok(s.clone());
        }
        let s = client.prepare(sql)?;
        self.0.insert(sql.to_string(), s.clone());
        Ok(s)
    }
}

/// A connection and the statements prepared on it.
pub struct Conn {
    pub client: Client,
    pub statements: Statements,
    target: Target,
}

impl Conn {
    fn open(target: &Target) -> Result<Conn> {
        Ok(Conn { client: target.connect()?, statements: Statements::default(), target: target.clone() })
    }

    /// A new connection in place of this one (the database dropped it). The old
    /// client is closed in a thread of its own, as in [`Pool::close`].
    pub fn reopen(&mut self) -> Result<()> {
        let fresh = Conn::open(&self.target)?;
        let old = std::mem::replace(self, fresh);
        let _ = std::thread::Builder::new().name("kanban-close".into()).spawn(move || drop(old));
        Ok(())
    }
}

/// The connections of one store. A slot is `None` until used, after a failure,
/// and once closed.
pub struct Pool {
    target: Target,
    writer: Mutex<Option<Conn>>,
    readers: Box<[Mutex<Option<Conn>>]>,
    next_reader: AtomicUsize,
    /// Set once closed or dropped: the listening thread stops too.
    closed: Arc<AtomicBool>,
    /// Times a reader or the writer was waited for.
    waits: std::sync::atomic::AtomicU64,
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.close();
    }
}

/// A connection lent out; it goes back when dropped.
pub struct Lent<'a> {
    slot: MutexGuard<'a, Option<Conn>>,
    pool: &'a Pool,
}

impl Lent<'_> {
    /// The connection, opened again if the database dropped it.
    pub fn get(&mut self) -> Result<&mut Conn> {
        if self.pool.closed.load(Ordering::Relaxed) {
            return Err(StoreError::Failed("the store is closed".into()));
        }
        if self.slot.as_ref().is_none_or(|c| c.client.is_closed()) {
            *self.slot = Some(Conn::open(&self.pool.target)?);
        }
        Ok(self.slot.as_mut().expect("opened above"))
    }

    /// Drops the connection after an error that may have left it unusable; the
    /// next use opens another.
    pub fn discard(&mut self) {
        self.slot.take();
    }
}

impl Pool {
    /// Connects to `url`, brings the schema up to date as `migrations` allows,
    /// settles who the database is, and keeps the configuration for the
    /// connections opened later. Blocking.
    pub fn open(url: &str, migrations: Migrations) -> Result<(Pool, Site)> {
        let mut target = Target::parse(url)?;
        if target.config.get_application_name().is_none() {
            target.config.application_name("kanban-server");
        }
        if target.config.get_connect_timeout().is_none() {
            target.config.connect_timeout(Duration::from_secs(10));
        }
        let mut writer = Conn::open(&target)?;
        migrate(&mut writer.client, migrations, SCHEMA)?;
        let site = settle_site(&mut writer.client)?;
        let pool = Pool {
            target,
            writer: Mutex::new(Some(writer)),
            readers: (0..READERS).map(|_| Mutex::new(None)).collect(),
            next_reader: AtomicUsize::new(0),
            closed: Arc::new(AtomicBool::new(false)),
            waits: Default::default(),
        };
        Ok((pool, site))
    }

    /// How the connections are made (where, as whom, over what).
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// The writing connection (one user at a time).
    pub fn writer(&self) -> Lent<'_> {
        if let Ok(free) = self.writer.try_lock() {
            return Lent { slot: free, pool: self };
        }
        self.waits.fetch_add(1, Ordering::Relaxed);
        Lent { slot: lock(&self.writer), pool: self }
    }

    /// A reading connection: a free one if there is, else the next in turn.
    pub fn reader(&self) -> Lent<'_> {
        for slot in self.readers.iter() {
            if let Ok(conn) = slot.try_lock() {
                return Lent { slot: conn, pool: self };
            }
        }
        self.waits.fetch_add(1, Ordering::Relaxed);
        let turn = self.next_reader.fetch_add(1, Ordering::Relaxed) % self.readers.len();
        Lent { slot: lock(&self.readers[turn]), pool: self }
    }

    /// The connections now: in use (a slot taken), how many, how often waited for.
    pub fn gauges(&self) -> crate::metrics::PoolGauges {
        let slots = || self.readers.iter().chain(std::iter::once(&self.writer));
        crate::metrics::PoolGauges {
            in_use: slots().filter(|slot| slot.try_lock().is_err()).count(),
            size: slots().count(),
            waits: self.waits.load(Ordering::Relaxed),
        }
    }

    /// Closes every connection; later uses fail. A synchronous client closes by
    /// blocking on its connection, which may not happen on an async thread: the
    /// connections are closed in a thread of their own.
    pub fn close(&self) {
        self.closed.store(true, Ordering::Relaxed);
        let conns: Vec<Conn> = self
            .readers
            .iter()
            .chain(std::iter::once(&self.writer))
            .filter_map(|slot| lock(slot).take())
            .collect();
        if !conns.is_empty() {
            let closing = std::thread::Builder::new().name("kanban-close".into()).spawn(move || drop(conns));
            if let Err(e) = closing {
                tracing::warn!(error = %e, "cannot close the database connections cleanly");
            }
        }
    }

    /// Listens for access changes in this schema on a connection of its own, in a
    /// thread of its own, and wakes `notify` for each (and after each reconnect,
    /// for what may have been missed meanwhile). The thread ends within a second of
    /// the pool's closing.
    pub fn listen(&self, notify: Arc<Notify>) {
        let (target, closed) = (self.target.clone(), self.closed.clone());
        let spawned = std::thread::Builder::new().name("kanban-listen".into()).spawn(move || {
            let mut delay = Duration::from_millis(100);
            while !closed.load(Ordering::Relaxed) {
                match listen_once(&target, &notify, &closed) {
                    Ok(()) => return,
                    Err(e) => {
                        tracing::warn!(error = %e, "listening for access changes; trying again");
                        std::thread::sleep(delay);
                        delay = (delay * 2).min(Duration::from_secs(5));
                    }
                }
            }
        });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "cannot listen for access changes: polling only");
        }
    }
}

/// One listening connection, until it fails or the pool closes.
fn listen_once(target: &Target, notify: &Notify, closed: &AtomicBool) -> Result<()> {
    let mut client = target.connect()?;
    let schema: String = client.query_one("SELECT current_schema()", &[])?.get(0);
    client.batch_execute("LISTEN kanban_access")?;
    // Whatever happened while this connection was not listening.
    notify.notify_one();
    while !closed.load(Ordering::Relaxed) {
        {
            let mut notifications = client.notifications();
            let mut each = notifications.timeout_iter(Duration::from_secs(1));
            while let Some(n) = postgres::fallible_iterator::FallibleIterator::next(&mut each)? {
                if n.payload() == schema {
                    notify.notify_one();
                }
            }
        }
        if client.is_closed() {
            return Err(StoreError::Failed("the listening connection closed".into()));
        }
    }
    Ok(())
}

/// Whether `e` says the connection is gone: closed, or ended by the server (its
/// shutdown, a restart, an administrator), or broken: the statement may be asked
/// again on another.
pub fn lost(e: &postgres::Error) -> bool {
    e.is_closed()
        || e.code().is_some_and(|c| {
            let code = c.code();
            code.starts_with("57P") || code.starts_with("08")
        })
}

/// A poisoned lock held a connection through a panic: its transaction (if any)
/// was rolled back as the panic unwound, so the connection is still good.
fn lock(slot: &Mutex<Option<Conn>>) -> MutexGuard<'_, Option<Conn>> {
    slot.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Applies the migrations the schema lacks up to `upto`, as `mode` allows,
/// holding an advisory lock (so two processes starting at once apply each one
/// once), each in a transaction.
fn migrate(client: &mut Client, mode: Migrations, upto: i32) -> Result<()> {
    client.execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])?;
    let applied = (|| -> Result<()> {
        let made: bool = client.query_one("SELECT to_regclass('kanban_schema') IS NOT NULL", &[])?.get(0);
        let version: i32 = if made {
            client.query_one("SELECT COALESCE(MAX(version), 0) FROM kanban_schema", &[])?.get(0)
        } else {
            0
        };
        schema::check(version.into(), SCHEMA.into(), mode)?;
        if !made {
            client.batch_execute("CREATE TABLE kanban_schema (version integer NOT NULL)")?;
        }
        for &(number, name, sql) in MIGRATIONS {
            if number > version && number <= upto {
                let mut tx = client.transaction()?;
                tx.batch_execute(sql).map_err(|e| schema::failed(number.into(), name, pg_cause(&e)))?;
                tx.execute("INSERT INTO kanban_schema (version) VALUES ($1)", &[&number])?;
                tx.commit()?;
                schema::applied("postgres", number.into(), name);
            }
        }
        Ok(())
    })();
    client.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])?;
    applied
}

/// Makes the schema of `url` as migration `version` left it, for the tests that
/// upgrade every earlier schema. Blocking.
pub fn create_at(url: &str, version: i32) -> Result<()> {
    let mut conn = Conn::open(&Target::parse(url)?)?;
    migrate(&mut conn.client, Migrations::Apply, version)
}

/// The schema's tables and columns as text, for comparing an upgraded schema with
/// a new one. Blocking.
pub fn describe(url: &str) -> Result<Vec<String>> {
    let mut conn = Conn::open(&Target::parse(url)?)?;
    let rows = conn.client.query(
        "SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' \
         || COALESCE(column_default, '') FROM information_schema.columns \
         WHERE table_schema = current_schema() ORDER BY table_name, column_name",
        &[],
    )?;
    let mut described: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
    let indexes = conn.client.query(
        "SELECT replace(indexdef, current_schema() || '.', '') FROM pg_indexes \
         WHERE schemaname = current_schema() ORDER BY indexname",
        &[],
    )?;
    described.extend(indexes.iter().map(|r| r.get::<_, String>(0)));
    Ok(described)
}

/// Where the database lives: the PostgreSQL system, the database and the schema.
/// A dump restored anywhere else has another. Where the system cannot be read (a
/// provider that hides it), the database and schema alone.
fn home(client: &mut Client) -> Result<String> {
    let place: String = client
        .query_one(
            "SELECT (SELECT oid FROM pg_database WHERE datname = current_database())::text \
             || '/' || current_schema()",
            &[],
        )?
        .get(0);
    let system = client
        .query_one("SELECT system_identifier::text FROM pg_control_system()", &[])
        .map(|r| r.get::<_, String>(0))
        .unwrap_or_default();
    Ok(format!("{system}/{place}"))
}

/// Who the database is: as stored, or new (first opened, a backup's copy, or a
/// dump restored elsewhere). Under the migrations' lock, so that nodes starting
/// together settle on one identity.
fn settle_site(client: &mut Client) -> Result<Site> {
    let here = home(client)?;
    client.execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])?;
    let settled = (|| -> Result<Site> {
        let stored = client
            .query_opt("SELECT cluster_id, epoch, home, is_copy FROM site WHERE id = 1", &[])?
            .map(|r| Stored {
                site: Site { cluster: r.get::<_, i64>(0) as u64, epoch: r.get::<_, i64>(1) as u64 },
                home: r.get(2),
                copy: r.get(3),
            });
        let recorded = stored.as_ref().map(|s| s.home.clone());
        let (site, renewal) = site::settle(stored, &here);
        // Recorded when new, or made more precise (a node that can read the
        // system's identifier after one that could not); never flapped back.
        let better = recorded
            .as_deref()
            .is_none_or(|r| r.is_empty() || (r.starts_with('/') && !here.starts_with('/')));
        if renewal.is_some() || better {
            write_site(client, &site, &here)?;
        }
        if let Some(renewal) = renewal {
            site::announce(&site, renewal);
        }
        Ok(site)
    })();
    client.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])?;
    settled
}

fn write_site(client: &mut Client, site: &Site, home: &str) -> Result<()> {
    client.execute(
        "INSERT INTO site (id, cluster_id, epoch, home, is_copy) VALUES (1, $1, $2, $3, false) \
         ON CONFLICT (id) DO UPDATE SET cluster_id = excluded.cluster_id, epoch = excluded.epoch, \
         home = excluded.home, is_copy = false",
        &[&(site.cluster as i64), &(site.epoch as i64), &home],
    )?;
    Ok(())
}

/// Gives the database a new identity (`cluster new-id`). Blocking.
pub fn renew_site(client: &mut Client) -> Result<Site> {
    let site = Site::fresh();
    let here = home(client)?;
    write_site(client, &site, &here)?;
    site::announce(&site, Renewal::Asked);
    Ok(site)
}
