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
mod read;
mod rows;
mod ssh_keys;
#[cfg(test)]
mod tests;

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use kanban_protocol::model::{Board, Comment, Member, Project, Role, Trash, User};

use self::connections::Connections;
use super::blocking;
use super::schema::Migrations;
use super::site::Site;
use super::{
    AccessChanges, EventsAfter, KeyHolder, Logged, ProjectMembers, Result, SshKey, Store, StoreError,
    TokenHolder,
};
use crate::board::{Committed, OpError, Write};
use crate::config::AppCredentials;

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

    /// Runs `f` on a quick reader where one is free (see [`Connections::quick`]),
    /// else on a reading connection in a blocking task. For point reads only.
    async fn point_read<T: Send + 'static>(
        &self,
        f: impl Fn(&mut rusqlite::Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        if let Some(mut lent) = self.db.quick() {
            match f(lent.get()?) {
                Err(e) if connections::is_busy(&e) => {}
                done => return done,
            }
        }
        self.read(f).await
    }

    /// Runs `f` on a reading connection.
    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut rusqlite::Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let db = Arc::clone(&self.db);
        blocking(move || f(db.reader().get()?)).await
    }

    /// Runs `f` on the writing connection.
    async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut rusqlite::Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let db = Arc::clone(&self.db);
        blocking(move || f(db.writer().get()?)).await
    }
}

#[async_trait]
impl Store for SqliteStore {
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
        self.point_read(move |c| identity::user_by_token(c, &token)).await
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
        self.point_read(move |c| ssh_keys::holder(c, &fingerprint)).await
    }

    async fn ssh_key_is_live(&self, key_id: i64, user_id: i64) -> Result<bool> {
        self.point_read(move |c| ssh_keys::is_live(c, key_id, user_id)).await
    }

    async fn token_access(
        &self,
        token_id: i64,
        user_id: i64,
        project_id: i64,
    ) -> Result<Option<(Role, u64)>> {
        self.point_read(move |c| identity::token_access(c, token_id, user_id, project_id)).await
    }

    async fn add_project(&self, name: &str, members: &[(i64, Role)]) -> Result<i64> {
        let (name, members) = (name.to_string(), members.to_vec());
        self.write(move |c| identity::add_project(c, &name, &members)).await
    }

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
        self.read(move |c| Ok(rows::role(c, project_id, user_id)?)).await
    }

    async fn access_changes(&self, after: i64) -> Result<AccessChanges> {
        self.read(move |c| identity::access_changes(c, after)).await
    }

    async fn forget_access_changes(&self, upto: i64) -> Result<()> {
        self.write(move |c| {
            c.prepare_cached("DELETE FROM access_changes WHERE id <= ?")?.execute([upto])?;
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
                c.execute("VACUUM INTO ?", [target])?;
                connections::mark_copy(&copy)
            })
            .await;
        if copied.is_err() {
            let _ = std::fs::remove_file(&made);
        }
        copied
    }

    async fn apply(&self, batch: Vec<Write>) -> Result<Vec<Result<Committed, OpError>>> {
        let retention = self.retention;
        self.write(move |c| Ok(board::apply(c, retention, batch)?)).await
    }

    async fn board(&self, project_id: i64, user_id: i64) -> Result<Board> {
        let epoch = self.site().epoch;
        let board = self.read(move |c| read::board(c, project_id, user_id)).await?;
        Ok(Board { epoch, ..board })
    }

    async fn purge_trash(&self, days: u32) -> Result<u64> {
        self.write(move |c| {
            let cutoff = format!("-{days} days");
            let tx = c.transaction()?;
            // Cards first: a column goes once no card refers to it.
            let cards = tx.execute(
                "DELETE FROM tasks WHERE deleted_at <= strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ?)",
                [&cutoff],
            )?;
            let columns = tx.execute(
                "DELETE FROM statuses WHERE deleted_at <= strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ?) \
                 AND NOT EXISTS (SELECT 1 FROM tasks WHERE tasks.status_id = statuses.id)",
                [&cutoff],
            )?;
            tx.commit()?;
            Ok((cards + columns) as u64)
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
