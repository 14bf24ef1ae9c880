//! `kanban-server migrate --from DATA_DIR --database URL`: a site outgrowing one
//! host copies its SQLite data into an empty PostgreSQL database and keeps every
//! board and token: users with their token hashes (the tokens themselves were never
//! kept), projects with their revisions, members, columns and cards (the trash
//! too), comments, checklists and history, the event log, the keys of changes already made,
//! and the app credentials. Ids and revisions are kept, so that links stay right;
//! the database's own counters are moved past them. The new database has an epoch
//! of its own (the SQLite site may have gone on writing after the copy), so
//! clients fetch their boards once afresh.

use std::fmt;
use std::path::Path;

use postgres::types::ToSql;
use rusqlite::OpenFlags;

use crate::store::{PgStore, StoreError, Target};

/// What was copied, table by table.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Copied {
    pub users: u64,
    pub tokens: u64,
    pub projects: u64,
    pub members: u64,
    pub columns: u64,
    pub cards: u64,
    pub comments: u64,
    pub items: u64,
    /// Lines of the boards' history.
    pub history: u64,
    pub events: u64,
    pub keys: u64,
    pub ssh_keys: u64,
}

impl fmt::Display for Copied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} users, {} tokens, {} projects, {} memberships, {} columns, {} cards, {} comments, {} checklist items, {} lines of history, \
             {} events, {} change keys, {} SSH keys",
            self.users,
            self.tokens,
            self.projects,
            self.members,
            self.columns,
            self.cards,
            self.comments,
            self.items,
            self.history,
            self.events,
            self.keys,
            self.ssh_keys
        )
    }
}

/// Why a migration did not happen (nothing was written then).
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error("no site at {0} (no kanban.db in it)")]
    NoSite(String),
    #[error("the PostgreSQL database already holds a site ({0}): migrate into an empty one")]
    NotEmpty(String),
    #[error("reading the SQLite site: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("writing PostgreSQL: {0}")]
    Postgres(#[from] postgres::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the migration stopped: {0}")]
    Failed(String),
}

/// Copies the site in `data_dir` into the PostgreSQL database at `url` (its schema
/// made first), in one transaction: all of it or nothing.
pub async fn sqlite_to_postgres(data_dir: &Path, url: &str) -> Result<Copied, MigrateError> {
    let file = data_dir.join(crate::DATABASE_FILE);
    if !file.exists() {
        return Err(MigrateError::NoSite(data_dir.display().to_string()));
    }
    // The schema, by the store's own migrations (the SQLite file's too: an older
    // file is brought up to date before it is read).
    drop(crate::open_store(data_dir).await.map_err(|e| MigrateError::Failed(e.to_string()))?);
    drop(PgStore::open(url).await?);
    let url = url.to_string();
    tokio::task::spawn_blocking(move || copy(&file, &url))
        .await
        .map_err(|e| MigrateError::Failed(e.to_string()))?
}

/// How a column is read from SQLite and written to PostgreSQL.
#[derive(Clone, Copy)]
enum Kind {
    /// An integer, maybe NULL.
    Int,
    /// A 32-bit integer (a WIP limit), maybe NULL.
    Int4,
    /// Text, maybe NULL.
    Text,
    /// A time as SQLite keeps it (`2026-11-27T10:32:05.123Z`), maybe NULL.
    Time,
    Bytes,
    /// Labels: a JSON array in SQLite, `text[]` in PostgreSQL.
    Labels,
    /// A truth: 0 or 1 in SQLite, `boolean` in PostgreSQL.
    Bool,
}

/// The tables copied, in an order that keeps every reference satisfied, with
/// their columns.
const TABLES: &[(&str, &[(&str, Kind)])] = {
    use Kind::*;
    &[
        ("app", &[("id", Int4), ("app_id", Text), ("app_key", Text), ("app_secret", Text)]),
        ("users", &[("id", Int), ("name", Text), ("color", Text), ("created_at", Time), ("signed_out", Int)]),
        (
            "tokens",
            &[("id", Int), ("user_id", Int), ("hash", Bytes), ("created_at", Time), ("expires_at", Int)],
        ),
        (
            "oidc_sessions",
            &[
                ("token_id", Int),
                ("subject", Text),
                ("refresh_token", Text),
                ("refresh_at", Int),
                ("failures", Int4),
            ],
        ),
        ("sign_ins", &[("user_id", Int), ("kind", Text), ("subject", Text), ("last_at", Int)]),
        (
            "ssh_keys",
            &[
                ("id", Int),
                ("user_id", Int),
                ("fingerprint", Text),
                ("public_key", Text),
                ("comment", Text),
                ("created_at", Time),
            ],
        ),
        (
            "projects",
            &[("id", Int), ("name", Text), ("rev", Int), ("created_at", Time), ("archived_at", Time)],
        ),
        ("members", &[("project_id", Int), ("user_id", Int), ("role", Text)]),
        // An import under way stays hidden there, and is dropped there if it died.
        ("imports", &[("project_id", Int), ("touched_at", Time)]),
        ("import_members", &[("project_id", Int), ("user_id", Int), ("role", Text)]),
        (
            "statuses",
            &[
                ("id", Int),
                ("project_id", Int),
                ("name", Text),
                ("color", Text),
                ("position", Text),
                ("wip_limit", Int4),
                ("version", Int),
                ("created_at", Time),
                ("updated_at", Time),
                ("deleted_at", Time),
                ("deleted_by", Int),
            ],
        ),
        (
            "tasks",
            &[
                ("id", Int),
                ("project_id", Int),
                ("status_id", Int),
                ("title", Text),
                ("description", Text),
                ("assignee_id", Int),
                ("priority", Text),
                ("labels", Labels),
                ("due_date", Text),
                ("position", Text),
                ("version", Int),
                ("created_by", Int),
                ("updated_by", Int),
                ("created_at", Time),
                ("updated_at", Time),
                ("deleted_at", Time),
                ("deleted_by", Int),
                ("trashed_with", Int),
            ],
        ),
        (
            "comments",
            &[
                ("id", Int),
                ("task_id", Int),
                ("project_id", Int),
                ("author_id", Int),
                ("body", Text),
                ("created_at", Time),
                ("updated_at", Time),
                ("edited_by", Int),
            ],
        ),
        (
            "checklist_items",
            &[
                ("id", Int),
                ("task_id", Int),
                ("project_id", Int),
                ("text", Text),
                ("done", Bool),
                ("position", Text),
                ("version", Int),
            ],
        ),
        ("watchers", &[("task_id", Int), ("user_id", Int)]),
        (
            "notifications",
            &[
                ("id", Int),
                ("user_id", Int),
                ("project_id", Int),
                ("task_id", Int),
                ("kind", Text),
                ("by_user", Int),
                ("at", Time),
                ("what", Text),
                ("read", Bool),
                ("day", Text),
            ],
        ),
        ("seen", &[("user_id", Int), ("project_id", Int), ("rev", Int), ("at", Time)]),
        // Before the events, whose trigger would otherwise make what is copied here.
        (
            "activity",
            &[
                ("project_id", Int),
                ("rev", Int),
                ("task_id", Int),
                ("by_user", Int),
                ("at", Time),
                ("name", Text),
                ("data", Text),
            ],
        ),
        ("events", &[("project_id", Int), ("rev", Int), ("name", Text), ("data", Text)]),
        (
            "applied_requests",
            &[
                ("user_id", Int),
                ("key", Text),
                ("project_id", Int),
                ("rev", Int),
                ("name", Text),
                ("data", Text),
                ("at", Time),
            ],
        ),
        (
            "webhooks",
            &[
                ("id", Int),
                ("url", Text),
                ("project_id", Int),
                ("events", Text),
                ("secret", Text),
                ("created_at", Time),
            ],
        ),
        (
            "webhook_cursors",
            &[
                ("hook_id", Int),
                ("project_id", Int),
                ("rev", Int),
                ("attempts", Int4),
                ("next_at", Int),
                ("lease_until", Int),
                ("lease_by", Text),
            ],
        ),
        (
            "webhook_deliveries",
            &[
                ("id", Int),
                ("hook_id", Int),
                ("project_id", Int),
                ("rev", Int),
                ("event", Text),
                ("outcome", Text),
                ("status", Int4),
                ("error", Text),
                ("attempt", Int4),
                ("at", Int),
            ],
        ),
    ]
};

/// One value read from SQLite, as PostgreSQL takes it.
fn value(row: &rusqlite::Row<'_>, i: usize, kind: Kind) -> rusqlite::Result<Box<dyn ToSql + Sync>> {
    Ok(match kind {
        Kind::Int => Box::new(row.get::<_, Option<i64>>(i)?),
        Kind::Int4 => Box::new(row.get::<_, Option<i64>>(i)?.and_then(|v| i32::try_from(v).ok())),
        Kind::Text | Kind::Time => Box::new(row.get::<_, Option<String>>(i)?),
        Kind::Bytes => Box::new(row.get::<_, Vec<u8>>(i)?),
        Kind::Bool => Box::new(row.get::<_, bool>(i)?),
        Kind::Labels => {
            let json: String = row.get(i)?;
            Box::new(serde_json::from_str::<Vec<String>>(&json).unwrap_or_default())
        }
    })
}

fn copy(file: &Path, url: &str) -> Result<Copied, MigrateError> {
    let from = rusqlite::Connection::open_with_flags(file, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    // One read transaction: a consistent copy even while a server writes.
    from.execute_batch("BEGIN")?;
    let mut to = Target::parse(url)?.connect()?;
    let mut tx = to.transaction()?;
    let held: i64 =
        tx.query_one("SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM projects)", &[])?.get(0);
    if held > 0 {
        return Err(MigrateError::NotEmpty(format!("{held} users and projects")));
    }
    // The app credentials a server may have made on its first start go: the
    // site's are the ones its clients and SDKs know.
    tx.execute("DELETE FROM app", &[])?;
    let mut copied = Copied::default();
    for (table, columns) in TABLES {
        let names: Vec<&str> = columns.iter().map(|(name, _)| *name).collect();
        let params: Vec<String> = columns
            .iter()
            .enumerate()
            .map(|(i, (_, kind))| match kind {
                Kind::Time => format!("${}::text::timestamptz", i + 1),
                _ => format!("${}", i + 1),
            })
            .collect();
        let insert = tx.prepare(&format!(
            "INSERT INTO {table} ({}) VALUES ({})",
            names.join(", "),
            params.join(", ")
        ))?;
        let mut select = from.prepare(&format!("SELECT {} FROM {table}", names.join(", ")))?;
        let mut rows = select.query([])?;
        let mut n = 0;
        while let Some(row) = rows.next()? {
            let values = columns
                .iter()
                .enumerate()
                .map(|(i, (_, kind))| value(row, i, *kind))
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let refs: Vec<&(dyn ToSql + Sync)> = values.iter().map(|v| v.as_ref()).collect();
            tx.execute(&insert, &refs)?;
            n += 1;
        }
        match *table {
            "users" => copied.users = n,
            "tokens" => copied.tokens = n,
            "projects" => copied.projects = n,
            "members" => copied.members = n,
            "statuses" => copied.columns = n,
            "tasks" => copied.cards = n,
            "comments" => copied.comments = n,
            "checklist_items" => copied.items = n,
            "activity" => copied.history = n,
            "events" => copied.events = n,
            "applied_requests" => copied.keys = n,
            "ssh_keys" => copied.ssh_keys = n,
            _ => {}
        }
    }
    // New rows take ids after the copied ones.
    for table in [
        "users",
        "tokens",
        "ssh_keys",
        "projects",
        "statuses",
        "tasks",
        "comments",
        "checklist_items",
        "notifications",
        "webhooks",
        "webhook_deliveries",
    ] {
        tx.batch_execute(&format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
        ))?;
    }
    tx.commit()?;
    from.execute_batch("COMMIT")?;
    Ok(copied)
}
