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
mod overlay;
mod pool;
mod read;
mod rows;
mod ssh_keys;
mod target;

use std::sync::Arc;

use async_trait::async_trait;
use kanban_protocol::model::{Board, Comment, Member, Project, Role, Trash, User};
use tokio::sync::Notify;

use self::pool::{Conn, Pool};
pub use self::target::Target;
use super::blocking;
use super::schema::Migrations;
use super::site::Site;
use super::{
    AccessChanges, EventsAfter, KeyHolder, Logged, ProjectMembers, Result, SshKey, Store, StoreError,
    TokenHolder,
};
use crate::board::{Committed, OpError, Write};
use crate::config::AppCredentials;

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

    async fn on<T: Send + 'static>(
        &self,
        writer: bool,
        f: impl Fn(&mut Conn) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let connections = Arc::clone(&self.pool);
        blocking(move || {
            let mut lent = if writer { connections.writer() } else { connections.reader() };
            let mut result = f(lent.get()?);
            if matches!(&result, Err(StoreError::Postgres(e)) if pool::lost(e)) {
                // The connection is gone (the database restarted): the next use
                // opens another. A read is asked again on it at once; a batch of
                // changes is not, since its commit may have happened.
                lent.discard();
                if !writer {
                    result = f(lent.get()?);
                }
            }
            result
        })
        .await
    }

    async fn read<T: Send + 'static>(
        &self,
        f: impl Fn(&mut Conn) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        self.on(false, f).await
    }

    async fn write<T: Send + 'static>(
        &self,
        f: impl Fn(&mut Conn) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        self.on(true, f).await
    }
}

#[async_trait]
impl Store for PgStore {
    async fn app_credentials(&self, generate: AppCredentials) -> Result<AppCredentials> {
        self.write(move |c| identity::app_credentials(c, &generate)).await
    }

    async fn add_user(&self, name: &str, color: &str) -> Result<(User, String)> {
        let (name, color) = (name.to_string(), color.to_string());
        self.write(move |c| identity::add_user(c, &name, &color)).await
    }

    async fn users(&self) -> Result<Vec<User>> {
        self.read(identity::users).await
    }

    async fn user_by_name(&self, name: &str) -> Result<User> {
        let name = name.to_string();
        self.read(move |c| identity::user_by_name(c, &name)).await
    }

    async fn remove_user(&self, name: &str) -> Result<()> {
        let name = name.to_string();
        self.write(move |c| identity::remove_user(c, &name)).await
    }

    async fn issue_token(&self, user_id: i64) -> Result<String> {
        self.write(move |c| identity::issue_token(c, user_id)).await
    }

    async fn revoke_tokens(&self, user_id: i64) -> Result<u64> {
        self.write(move |c| identity::revoke_tokens(c, user_id)).await
    }

    async fn user_by_token(&self, token: &str) -> Result<Option<TokenHolder>> {
        let token = token.to_string();
        self.read(move |c| identity::user_by_token(c, &token)).await
    }

    async fn add_ssh_key(&self, user_id: i64, key: &SshKey) -> Result<()> {
        let key = key.clone();
        self.write(move |c| ssh_keys::add(c, user_id, &key)).await
    }

    async fn ssh_keys(&self, user_id: i64) -> Result<Vec<SshKey>> {
        self.read(move |c| ssh_keys::list(c, user_id)).await
    }

    async fn remove_ssh_key(&self, user_id: i64, fingerprint: &str) -> Result<()> {
        let fingerprint = fingerprint.to_string();
        self.write(move |c| ssh_keys::remove(c, user_id, &fingerprint)).await
    }

    async fn user_by_ssh_key(&self, fingerprint: &str) -> Result<Option<KeyHolder>> {
        let fingerprint = fingerprint.to_string();
        self.read(move |c| ssh_keys::holder(c, &fingerprint)).await
    }

    async fn ssh_key_is_live(&self, key_id: i64, user_id: i64) -> Result<bool> {
        self.read(move |c| ssh_keys::is_live(c, key_id, user_id)).await
    }

    async fn token_access(
        &self,
        token_id: i64,
        user_id: i64,
        project_id: i64,
    ) -> Result<Option<(Role, u64)>> {
        self.read(move |c| identity::token_access(c, token_id, user_id, project_id)).await
    }

    async fn add_project(&self, name: &str, members: &[(i64, Role)]) -> Result<i64> {
        let (name, members) = (name.to_string(), members.to_vec());
        self.write(move |c| identity::add_project(c, &name, &members)).await
    }

    async fn probe_write(&self) -> Result<()> {
        self.write(|c| {
            c.client.execute("UPDATE app SET app_id = app_id", &[])?;
            Ok(())
        })
        .await
    }

    async fn begin_import(&self, name: &str, members: &[(i64, Role)]) -> Result<i64> {
        let (name, members) = (name.to_string(), members.to_vec());
        self.write(move |c| imports::begin(c, &name, &members)).await
    }

    async fn touch_import(&self, project_id: i64) -> Result<()> {
        self.write(move |c| imports::touch(c, project_id)).await
    }

    async fn finish_import(&self, project_id: i64) -> Result<()> {
        self.write(move |c| imports::finish(c, project_id)).await
    }

    async fn drop_import(&self, project_id: i64) -> Result<()> {
        // One slice per transaction, with a pause after each in which the writes
        // of running servers take their turn.
        while !self.write(move |c| imports::drop_slice(c, project_id)).await? {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        Ok(())
    }

    async fn stale_imports(&self, idle_secs: u64) -> Result<Vec<i64>> {
        self.read(move |c| imports::stale(c, idle_secs)).await
    }

    async fn all_projects(&self) -> Result<Vec<ProjectMembers>> {
        self.read(identity::all_projects).await
    }

    async fn find_project(&self, id_or_name: &str) -> Result<(i64, String)> {
        let id_or_name = id_or_name.to_string();
        self.read(move |c| identity::find_project(c, &id_or_name)).await
    }

    async fn grant(&self, project_id: i64, user_id: i64, role: Role) -> Result<()> {
        self.write(move |c| identity::grant(c, project_id, user_id, role)).await
    }

    async fn revoke(&self, project_id: i64, user_id: i64) -> Result<()> {
        self.write(move |c| identity::revoke(c, project_id, user_id)).await
    }

    async fn projects_of(&self, user_id: i64) -> Result<Vec<Project>> {
        self.read(move |c| identity::projects_of(c, user_id)).await
    }

    async fn role_of(&self, project_id: i64, user_id: i64) -> Result<Option<Role>> {
        self.read(move |c| identity::role_of(c, project_id, user_id)).await
    }

    async fn access_changes(&self, after: i64) -> Result<AccessChanges> {
        self.read(move |c| identity::access_changes(c, after)).await
    }

    async fn forget_access_changes(&self, upto: i64) -> Result<()> {
        self.write(move |c| identity::forget_access_changes(c, upto)).await
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
        let site = self.on(true, |c| pool::renew_site(&mut c.client)).await?;
        *self.site.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = site;
        Ok(site)
    }

    async fn backup(&self, path: &std::path::Path) -> Result<()> {
        let schema: String =
            self.on(false, |c| Ok(c.client.query_one("SELECT current_schema()", &[])?.get(0))).await?;
        dump::pg_dump(self.pool.target(), &schema, path).await
    }

    async fn apply(&self, batch: Vec<Write>) -> Result<Vec<Result<Committed, OpError>>> {
        let retention = self.retention;
        self.write(move |c| Ok(board::apply(c, retention, &batch)?)).await
    }

    async fn board(&self, project_id: i64, user_id: i64) -> Result<Board> {
        let epoch = self.site().epoch;
        let board = self.read(move |c| read::board(c, project_id, user_id)).await?;
        Ok(Board { epoch, ..board })
    }

    async fn purge_trash(&self, days: u32) -> Result<u64> {
        let days = i32::try_from(days).unwrap_or(i32::MAX);
        self.write(move |c| {
            let mut tx = c.client.transaction()?;
            // Cards first: a column goes once no card refers to it.
            let cards = tx.execute(
                "DELETE FROM tasks WHERE deleted_at <= now() - make_interval(days => $1)",
                &[&days],
            )?;
            let columns = tx.execute(
                "DELETE FROM statuses WHERE deleted_at <= now() - make_interval(days => $1) \
                 AND NOT EXISTS (SELECT 1 FROM tasks WHERE tasks.status_id = statuses.id)",
                &[&days],
            )?;
            tx.commit()?;
            Ok(cards + columns)
        })
        .await
    }

    async fn comments(&self, task_id: i64, user_id: i64) -> Result<Vec<Comment>> {
        self.read(move |c| read::comments(c, task_id, user_id)).await
    }

    async fn activity(
        &self,
        project_id: Option<i64>,
        task_id: Option<i64>,
        user_id: i64,
        before: Option<u64>,
        limit: u32,
    ) -> Result<(i64, Vec<Logged>)> {
        self.read(move |c| read::activity(c, project_id, task_id, user_id, before, limit)).await
    }

    async fn trash(&self, project_id: i64, user_id: i64) -> Result<Trash> {
        self.read(move |c| read::trash(c, project_id, user_id)).await
    }

    async fn members(&self, project_id: i64) -> Result<Vec<Member>> {
        self.read(move |c| read::members(c, project_id)).await
    }

    async fn events_after(&self, project_id: i64, user_id: i64, after: u64) -> Result<EventsAfter> {
        self.read(move |c| read::events_after(c, project_id, user_id, after)).await
    }

    async fn log_after(&self, project_id: i64, after: u64) -> Result<Option<Vec<(String, String)>>> {
        self.read(move |c| read::log_after(c, project_id, after)).await
    }
}
