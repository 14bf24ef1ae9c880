//! The PostgreSQL store: the same boards as [`super::SqliteStore`], in a database
//! that several server processes share (`--database postgres://...`).
//!
//! As on SQLite, every operation runs whole on one synchronous connection inside a
//! blocking task ([`pool`]). What differs is what sharing asks for: a batch of board
//! changes locks its projects' rows before it reads ([`board`]), access changes are
//! read by every process from where it got to and announced by NOTIFY, and the
//! schema's migrations take an advisory lock.

mod board;
mod dump;
mod identity;
mod imports;
mod inbox;
mod overlay;
mod pool;
mod read;
mod rows;
mod sign_ins;
mod ssh_keys;
mod target;
mod webhooks;

use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::Notify;

use self::pool::{Conn, Pool};
pub use self::target::Target;
use super::backend::Backend;
use super::blocking;
use super::schema::Migrations;
use super::site::Site;
use super::{Failure, Operations, Result, StoreError};

/// The store on a PostgreSQL database.
#[derive(Clone)]
pub struct PgStore {
    pool: Arc<Pool>,
    /// Events kept per project for `events?after` (older ones answer 410).
    retention: u64,
    /// Woken when another process (or this one) records an access change.
    access: Arc<Notify>,
    /// Who the database is, as settled when it was opened.
    site: Arc<std::sync::Mutex<Site>>,
}

impl PgStore {
    /// Connects to the database at `url` (`postgres://USER@HOST:PORT/DB`) and
    /// brings its schema up to date.
    pub async fn open(url: &str) -> Result<Self> {
        Self::open_with(url, Migrations::Apply).await
    }

    /// Connects to the database at `url`, doing to its schema what `migrations`
    /// allows.
    pub async fn open_with(url: &str, migrations: Migrations) -> Result<Self> {
        let url = url.to_string();
        let (pool, site) = blocking(move || Pool::open(&url, migrations)).await?;
        Ok(Self {
            pool: Arc::new(pool),
            retention: crate::config::DEFAULT_EVENT_RETENTION,
            access: Arc::default(),
            site: Arc::new(std::sync::Mutex::new(site)),
        })
    }

    /// Makes the schema of `url` as migration `version` left it (for the tests
    /// that upgrade every earlier schema).
    #[doc(hidden)]
    pub async fn create_at(url: &str, version: i32) -> Result<()> {
        let url = url.to_string();
        blocking(move || pool::create_at(&url, version)).await
    }

    /// The schema of `url`, as text to compare.
    #[doc(hidden)]
    pub async fn describe(url: &str) -> Result<Vec<String>> {
        let url = url.to_string();
        blocking(move || pool::describe(&url)).await
    }

    /// The schema version this binary knows.
    pub const SCHEMA: i32 = pool::SCHEMA;

    /// Keeps the last `events` events of each project (at least 64).
    pub fn with_event_retention(mut self, events: u64) -> Self {
        self.retention = events.max(64);
        self
    }
}

impl Backend for PgStore {
    type Conn = Conn;

    async fn read<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: Fn(&mut Conn) -> Result<T> + Send + 'static,
    {
        let pool = Arc::clone(&self.pool);
        blocking(move || {
            let mut lent = pool.reader();
            match f(lent.get()?) {
                // The connection is gone (the database restarted): the next use
                // opens another. A read is asked again on it at once.
                Err(e) if e.is(Failure::Lost) => {
                    lent.discard();
                    f(lent.get()?)
                }
                done => done,
            }
        })
        .await
    }

    async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Conn) -> Result<T> + Send + 'static,
    {
        let pool = Arc::clone(&self.pool);
        blocking(move || {
            let mut lent = pool.writer();
            let result = f(lent.get()?);
            // Unlike a read, a change is not made again: its commit may have happened.
            if matches!(&result, Err(e) if e.is(Failure::Lost)) {
                lent.discard();
            }
            result
        })
        .await
    }

    fn retention(&self) -> u64 {
        self.retention
    }
}

impl From<postgres::Error> for StoreError {
    fn from(e: postgres::Error) -> Self {
        let kind = if pool::lost(&e) { Failure::Lost } else { Failure::Other };
        StoreError::database(pg_cause(&e), kind)
    }
}

/// What PostgreSQL said, in its own words: the driver's own text for a database
/// error is only "db error", the cause is its source.
pub fn pg_cause(e: &postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        let mut said = format!("{} {}: {}", db.severity(), db.code().code(), db.message());
        for (what, text) in [("detail", db.detail()), ("hint", db.hint()), ("where", db.where_())] {
            if let Some(text) = text {
                said += &format!(" ({what}: {text})");
            }
        }
        return said;
    }
    let mut said = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        said += &format!(": {cause}");
        source = cause.source();
    }
    said
}

#[async_trait]
impl Operations for PgStore {
    async fn probe_write(&self) -> Result<()> {
        self.write(|c| {
            c.client.execute("UPDATE app SET app_id = app_id", &[])?;
            Ok(())
        })
        .await
    }

    fn access_notices(&self) -> Option<Arc<Notify>> {
        Some(self.access.clone())
    }

    fn listen_for_access(&self) {
        self.pool.listen(self.access.clone());
    }

    async fn close(&self) {
        self.pool.close();
    }

    fn schema_version(&self) -> i64 {
        Self::SCHEMA.into()
    }

    fn pool(&self) -> crate::metrics::PoolGauges {
        self.pool.gauges()
    }

    fn site(&self) -> Site {
        *self.site.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    async fn renew_site(&self) -> Result<Site> {
        let site = self.write(|c| pool::renew_site(&mut c.client)).await?;
        *self.site.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = site;
        Ok(site)
    }

    async fn backup(&self, path: &std::path::Path) -> Result<()> {
        let schema: String =
            self.read(|c| Ok(c.client.query_one("SELECT current_schema()", &[])?.get(0))).await?;
        dump::pg_dump(self.pool.target(), &schema, path).await
    }
}
