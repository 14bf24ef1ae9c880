//! The SQLite store: one file in the data directory, WAL mode, schema by migrations.
//!
//! Two drivers share the one linked SQLite: reads and the identity commands go
//! through an async sqlx pool, while the board's writes run on one synchronous
//! rusqlite connection of their own. A change is about eight statements; through
//! sqlx each is a round trip to a worker thread, and those hops (not SQLite) were
//! most of the cost of a write. On its own connection a whole batch runs in one
//! blocking task.

mod board;
mod place;
mod read;
mod rows;
#[cfg(test)]
mod tests;

use std::path::Path;
use std::str::FromStr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use kanban_protocol::model::{Board, Project, Role, User};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};
use subtle::ConstantTimeEq;

use super::board::{Committed, OpError, Write};
use super::{AccessChanges, EventsAfter, ProjectMembers, Result, Store, StoreError, default_statuses, token};
use crate::config::AppCredentials;

/// The store on a SQLite database file.
#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// The board writer's connection. Only the writer task uses it, one batch at a
    /// time, so the lock is never contended; it is held inside a blocking task only.
    writer: Arc<Mutex<rusqlite::Connection>>,
    /// Events kept per project for `events?after` (older ones answer 410).
    retention: u64,
}

/// Events kept per project unless told otherwise.
pub const DEFAULT_EVENT_RETENTION: u64 = 10_000;

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub async fn open(path: &Path) -> Result<Self> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: a commit is on disk before it is acknowledged, also across power loss.
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            // Admin commands share the file with a running server: wait, don't fail.
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new().max_connections(8).connect_with(options).await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        let path = path.to_owned();
        let writer = tokio::task::spawn_blocking(move || open_writer(&path))
            .await
            .map_err(|e| StoreError::Failed(format!("opening the writer's connection: {e}")))??;
        Ok(Self { pool, writer: Arc::new(Mutex::new(writer)), retention: DEFAULT_EVENT_RETENTION })
    }

    /// Keeps the last `events` events of each project (at least 64).
    pub fn with_event_retention(mut self, events: u64) -> Self {
        self.retention = events.max(64);
        self
    }

    /// The underlying pool, for the board's queries.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

/// The writer's connection, with the pool's settings (the file is already in WAL mode).
fn open_writer(path: &Path) -> rusqlite::Result<rusqlite::Connection> {
    let conn = rusqlite::Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // Every statement a change makes, prepared once.
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

fn user_from_row(row: &sqlx::sqlite::SqliteRow) -> User {
    User { id: row.get("id"), name: row.get("name"), color: row.get("color") }
}

fn role_from(text: &str) -> Result<Role> {
    Role::from_str(text).map_err(StoreError::Invalid)
}

#[async_trait]
impl Store for SqliteStore {
    async fn app_credentials(&self, generate: AppCredentials) -> Result<AppCredentials> {
        // INSERT OR IGNORE makes two processes starting at once agree on one set.
        sqlx::query("INSERT OR IGNORE INTO app (id, app_id, app_key, app_secret) VALUES (1, ?, ?, ?)")
            .bind(&generate.id)
            .bind(&generate.key)
            .bind(&generate.secret)
            .execute(&self.pool)
            .await?;
        let row = sqlx::query("SELECT app_id, app_key, app_secret FROM app WHERE id = 1")
            .fetch_one(&self.pool)
            .await?;
        Ok(AppCredentials { id: row.get(0), key: row.get(1), secret: row.get(2) })
    }

    async fn add_user(&self, name: &str, color: &str) -> Result<(User, String)> {
        let mut tx = self.pool.begin().await?;
        let id: i64 = sqlx::query_scalar("INSERT INTO users (name, color) VALUES (?, ?) RETURNING id")
            .bind(name)
            .bind(color)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| {
                if is_unique_violation(&e) {
                    StoreError::Conflict(format!("user {name:?} already exists"))
                } else {
                    e.into()
                }
            })?;
        let token = token::generate();
        sqlx::query("INSERT INTO tokens (user_id, hash) VALUES (?, ?)")
            .bind(id)
            .bind(&token::hash(&token)[..])
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok((User { id, name: name.to_string(), color: color.to_string() }, token))
    }

    async fn users(&self) -> Result<Vec<User>> {
        let rows =
            sqlx::query("SELECT id, name, color FROM users ORDER BY name").fetch_all(&self.pool).await?;
        Ok(rows.iter().map(user_from_row).collect())
    }

    async fn user_by_name(&self, name: &str) -> Result<User> {
        sqlx::query("SELECT id, name, color FROM users WHERE name = ?")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?
            .map(|r| user_from_row(&r))
            .ok_or(StoreError::NotFound("user"))
    }

    async fn remove_user(&self, name: &str) -> Result<()> {
        let done = sqlx::query("DELETE FROM users WHERE name = ?").bind(name).execute(&self.pool).await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("user"));
        }
        Ok(())
    }

    async fn issue_token(&self, user_id: i64) -> Result<String> {
        let token = token::generate();
        sqlx::query("INSERT INTO tokens (user_id, hash) VALUES (?, ?)")
            .bind(user_id)
            .bind(&token::hash(&token)[..])
            .execute(&self.pool)
            .await?;
        Ok(token)
    }

    async fn revoke_tokens(&self, user_id: i64) -> Result<u64> {
        let done =
            sqlx::query("DELETE FROM tokens WHERE user_id = ?").bind(user_id).execute(&self.pool).await?;
        Ok(done.rows_affected())
    }

    async fn user_by_token(&self, token: &str) -> Result<Option<User>> {
        let hash = token::hash(token);
        let row = sqlx::query(
            "SELECT users.id, users.name, users.color, tokens.hash FROM tokens \
             JOIN users ON users.id = tokens.user_id WHERE tokens.hash = ?",
        )
        .bind(&hash[..])
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.and_then(|row| {
            // The index found it; compare again in constant time all the same.
            let stored: Vec<u8> = row.get("hash");
            bool::from(stored.ct_eq(&hash[..])).then(|| user_from_row(&row))
        }))
    }

    async fn add_project(&self, name: &str, members: &[(i64, Role)]) -> Result<i64> {
        let mut tx = self.pool.begin().await?;
        let id: i64 = sqlx::query_scalar("INSERT INTO projects (name) VALUES (?) RETURNING id")
            .bind(name)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| {
                if is_unique_violation(&e) {
                    StoreError::Conflict(format!("project {name:?} already exists"))
                } else {
                    e.into()
                }
            })?;
        let keys = kanban_protocol::order::spread(default_statuses().len());
        for (status, position) in default_statuses().into_iter().zip(keys) {
            sqlx::query("INSERT INTO statuses (project_id, name, color, position) VALUES (?, ?, ?, ?)")
                .bind(id)
                .bind(status.name)
                .bind(status.color)
                .bind(position)
                .execute(&mut *tx)
                .await?;
        }
        for (user_id, role) in members {
            sqlx::query("INSERT OR REPLACE INTO members (project_id, user_id, role) VALUES (?, ?, ?)")
                .bind(id)
                .bind(user_id)
                .bind(role.as_str())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    async fn all_projects(&self) -> Result<Vec<ProjectMembers>> {
        let rows = sqlx::query(
            "SELECT projects.id, projects.name, users.name AS user, members.role FROM projects \
             LEFT JOIN members ON members.project_id = projects.id \
             LEFT JOIN users ON users.id = members.user_id ORDER BY projects.id, users.name",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut out: Vec<ProjectMembers> = Vec::new();
        for row in rows {
            let id: i64 = row.get("id");
            if out.last().is_none_or(|p| p.id != id) {
                out.push(ProjectMembers { id, name: row.get("name"), members: Vec::new() });
            }
            let user: Option<String> = row.get("user");
            let role: Option<String> = row.get("role");
            if let (Some(user), Some(role)) = (user, role) {
                let project = out.last_mut().expect("pushed above");
                project.members.push((user, role_from(&role)?));
            }
        }
        Ok(out)
    }

    async fn find_project(&self, id_or_name: &str) -> Result<(i64, String)> {
        let row = match id_or_name.parse::<i64>() {
            Ok(id) => {
                sqlx::query("SELECT id, name FROM projects WHERE id = ?")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?
            }
            Err(_) => {
                sqlx::query("SELECT id, name FROM projects WHERE name = ?")
                    .bind(id_or_name)
                    .fetch_optional(&self.pool)
                    .await?
            }
        };
        row.map(|r| (r.get(0), r.get(1))).ok_or(StoreError::NotFound("project"))
    }

    async fn grant(&self, project_id: i64, user_id: i64, role: Role) -> Result<()> {
        sqlx::query(
            "INSERT INTO members (project_id, user_id, role) VALUES (?, ?, ?) \
             ON CONFLICT (project_id, user_id) DO UPDATE SET role = excluded.role",
        )
        .bind(project_id)
        .bind(user_id)
        .bind(role.as_str())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn revoke(&self, project_id: i64, user_id: i64) -> Result<()> {
        let done = sqlx::query("DELETE FROM members WHERE project_id = ? AND user_id = ?")
            .bind(project_id)
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("membership"));
        }
        Ok(())
    }

    async fn projects_of(&self, user_id: i64) -> Result<Vec<Project>> {
        let rows = sqlx::query(
            "SELECT projects.id, projects.name, members.role FROM members \
             JOIN projects ON projects.id = members.project_id WHERE members.user_id = ? ORDER BY projects.id",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok(Project { id: r.get(0), name: r.get(1), role: role_from(r.get::<&str, _>(2))? }))
            .collect()
    }

    async fn role_of(&self, project_id: i64, user_id: i64) -> Result<Option<Role>> {
        let role: Option<String> =
            sqlx::query_scalar("SELECT role FROM members WHERE project_id = ? AND user_id = ?")
                .bind(project_id)
                .bind(user_id)
                .fetch_optional(&self.pool)
                .await?;
        role.as_deref().map(role_from).transpose()
    }

    async fn access_changes(&self, after: i64) -> Result<AccessChanges> {
        let rows: Vec<(i64, i64)> =
            sqlx::query_as("SELECT id, project_id FROM access_changes WHERE id > ? ORDER BY id")
                .bind(after)
                .fetch_all(&self.pool)
                .await?;
        let mut changes = AccessChanges { last: after, projects: Vec::new() };
        for (id, project_id) in rows {
            changes.last = id;
            if !changes.projects.contains(&project_id) {
                changes.projects.push(project_id);
            }
        }
        Ok(changes)
    }

    async fn forget_access_changes(&self, upto: i64) -> Result<()> {
        sqlx::query("DELETE FROM access_changes WHERE id <= ?").bind(upto).execute(&self.pool).await?;
        Ok(())
    }

    async fn close(&self) {
        self.pool.close().await;
    }

    async fn backup(&self, path: &Path) -> Result<()> {
        if path.exists() {
            return Err(StoreError::Conflict(format!("{} exists: choose a new file", path.display())));
        }
        let target =
            path.to_str().ok_or_else(|| StoreError::Invalid("the backup path is not UTF-8".into()))?;
        // VACUUM INTO copies one read snapshot: consistent while writers go on.
        sqlx::query("VACUUM INTO ?").bind(target).execute(&self.pool).await?;
        Ok(())
    }

    async fn apply(&self, batch: Vec<Write>) -> Result<Vec<Result<Committed, OpError>>> {
        let (writer, retention) = (Arc::clone(&self.writer), self.retention);
        let applied = tokio::task::spawn_blocking(move || {
            // A panic mid-batch rolled its transaction back as it unwound: the
            // connection is still good, whatever the poison flag says.
            let mut conn = writer.lock().unwrap_or_else(PoisonError::into_inner);
            board::apply(&mut conn, retention, batch)
        })
        .await
        .map_err(|e| StoreError::Failed(format!("the writer's task failed: {e}")))?;
        Ok(applied?)
    }

    async fn board(&self, project_id: i64, user_id: i64) -> Result<Board> {
        read::board(&self.pool, project_id, user_id).await
    }

    async fn events_after(&self, project_id: i64, user_id: i64, after: u64) -> Result<EventsAfter> {
        read::events_after(&self.pool, project_id, user_id, after).await
    }
}
