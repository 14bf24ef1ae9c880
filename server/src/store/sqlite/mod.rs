//! The SQLite store: one file in the data directory, WAL mode, schema by migrations.
//!
//! Every operation runs whole on one synchronous connection inside a blocking task
//! ([`connections`]): a read's statements or a batch of board changes follow each
//! other without a thread hop between them. (An async driver that hands each
//! statement to a worker thread spent most of a board change in those hand-offs:
//! BENCHMARKS.md.)

mod board;
mod connections;
mod identity;
mod imports;
mod inbox;
mod read;
mod rows;
mod sign_ins;
mod ssh_keys;
#[cfg(test)]
mod tests;
mod webhooks;

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;

use self::connections::Connections;
use super::backend::Backend;
use super::blocking;
use super::schema::Migrations;
use super::site::Site;
use super::{Failure, Operations, Result, StoreError};

/// The store on a SQLite database file.
#[derive(Clone)]
pub struct SqliteStore {
    db: Arc<Connections>,
    /// Events kept per project for `events?after` (older ones answer 410).
    retention: u64,
    /// Who the file is, as settled when it was opened.
    site: Arc<std::sync::Mutex<Site>>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub async fn open(path: &Path) -> Result<Self> {
        Self::open_with(path, Migrations::Apply).await
    }

    /// Opens the database at `path`, doing to its schema what `migrations` allows.
    pub async fn open_with(path: &Path, migrations: Migrations) -> Result<Self> {
        let path = path.to_owned();
        let (db, site) = blocking(move || Connections::open(&path, migrations)).await?;
        Ok(Self {
            db: Arc::new(db),
            retention: crate::config::DEFAULT_EVENT_RETENTION,
            site: Arc::new(std::sync::Mutex::new(site)),
        })
    }

    /// Makes the file at `path` with the schema as migration `version` left it
    /// (for the tests that upgrade every earlier schema).
    #[doc(hidden)]
    pub fn create_at(path: &Path, version: i64) -> Result<()> {
        connections::create_at(path, version)
    }

    /// The schema of the file at `path`, as text to compare.
    #[doc(hidden)]
    pub fn describe(path: &Path) -> Result<Vec<String>> {
        connections::describe(path)
    }

    /// The schema version this binary knows.
    pub const SCHEMA: i64 = connections::SCHEMA;

    /// Keeps the last `events` events of each project (at least 64).
    pub fn with_event_retention(mut self, events: u64) -> Self {
        self.retention = events.max(64);
        self
    }
}

impl Backend for SqliteStore {
    type Conn = rusqlite::Connection;

    async fn read<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: Fn(&mut rusqlite::Connection) -> Result<T> + Send + 'static,
    {
        let db = Arc::clone(&self.db);
        blocking(move || f(db.reader().get()?)).await
    }

    /// On a quick reader where one is free (see [`Connections::quick`]), else as
    /// any read.
    async fn point_read<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: Fn(&mut rusqlite::Connection) -> Result<T> + Send + 'static,
    {
        if let Some(mut lent) = self.db.quick() {
            match f(lent.get()?) {
                Err(e) if e.is(Failure::Busy) => {}
                done => return done,
            }
        }
        self.read(f).await
    }

    async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut rusqlite::Connection) -> Result<T> + Send + 'static,
    {
        let db = Arc::clone(&self.db);
        blocking(move || f(db.writer().get()?)).await
    }

    fn retention(&self) -> u64 {
        self.retention
    }
}

#[async_trait]
impl Operations for SqliteStore {
    async fn probe_write(&self) -> Result<()> {
        self.write(|c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            // As large as a batch may need: a write that small could fit in room
            // a failed batch freed in the log while real changes still fail.
            tx.execute("INSERT OR REPLACE INTO write_probe (id, filler) VALUES (1, zeroblob(65536))", [])?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn close(&self) {
        let db = Arc::clone(&self.db);
        let _ = blocking(move || {
            db.close();
            Ok(())
        })
        .await;
    }

    fn schema_version(&self) -> i64 {
        Self::SCHEMA
    }

    fn pool(&self) -> crate::metrics::PoolGauges {
        self.db.gauges()
    }

    fn site(&self) -> Site {
        *self.site.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    async fn renew_site(&self) -> Result<Site> {
        let site = self.write(connections::renew_site).await?;
        *self.site.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = site;
        Ok(site)
    }

    async fn backup(&self, path: &Path) -> Result<()> {
        if path.exists() {
            return Err(StoreError::Conflict(format!("{} exists: choose a new file", path.display())));
        }
        let target = path
            .to_str()
            .ok_or_else(|| StoreError::Invalid("the backup path is not UTF-8".into()))?
            .to_string();
        // The copy holds the app secret too: made empty and owner-only first (VACUUM
        // INTO fills an empty file), whatever the umask.
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        options
            .open(path)
            .map_err(|e| StoreError::Failed(format!("cannot create {}: {e}", path.display())))?;
        let made = path.to_owned();
        // VACUUM INTO copies one read snapshot: consistent while writers go on.
        // The copy is marked as one, so that whoever restores it gets a new
        // epoch: clients that saw later revisions fetch their boards afresh.
        let copy = made.clone();
        let copied = self
            .read(move |c| {
                c.execute("VACUUM INTO ?", [&target])?;
                connections::mark_copy(&copy)
            })
            .await;
        if copied.is_err() {
            let _ = std::fs::remove_file(&made);
        }
        copied
    }
}
