//! Board rows: the column lists, the conversions from rows to records (for both
//! drivers: the async pool reads boards, the writer's connection writes them), and
//! the lookups every change starts with.

use kanban_protocol::model::{Priority, Role, Status, Task};
use rusqlite::{Connection, OptionalExtension};

use crate::store::board::OpError;

/// `TASK_COLUMNS` as a literal, for SQL built with `concat!`.
macro_rules! task_columns {
    () => {
        "id, project_id, status_id, title, description, assignee_id, priority, labels, due_date, position, \
         version, created_by, updated_by, created_at, updated_at"
    };
}
/// `STATUS_COLUMNS` as a literal, for SQL built with `concat!`.
macro_rules! status_columns {
    () => {
        "id, project_id, name, color, position, wip_limit, version"
    };
}
pub(super) use {status_columns, task_columns};

pub const TASK_COLUMNS: &str = task_columns!();
pub const STATUS_COLUMNS: &str = status_columns!();

/// A row of either driver, read by column index. The schema fixes each column's
/// type (and its CHECKs the values), so a mismatch is a bug and panics, as sqlx's
/// `Row::get` does.
pub trait Columns {
    fn int(&self, i: usize) -> i64;
    fn opt_int(&self, i: usize) -> Option<i64>;
    fn text(&self, i: usize) -> String;
    fn opt_text(&self, i: usize) -> Option<String>;
}

impl Columns for sqlx::sqlite::SqliteRow {
    fn int(&self, i: usize) -> i64 {
        sqlx::Row::get(self, i)
    }
    fn opt_int(&self, i: usize) -> Option<i64> {
        sqlx::Row::get(self, i)
    }
    fn text(&self, i: usize) -> String {
        sqlx::Row::get(self, i)
    }
    fn opt_text(&self, i: usize) -> Option<String> {
        sqlx::Row::get(self, i)
    }
}

impl Columns for rusqlite::Row<'_> {
    fn int(&self, i: usize) -> i64 {
        self.get_unwrap(i)
    }
    fn opt_int(&self, i: usize) -> Option<i64> {
        self.get_unwrap(i)
    }
    fn text(&self, i: usize) -> String {
        self.get_unwrap(i)
    }
    fn opt_text(&self, i: usize) -> Option<String> {
        self.get_unwrap(i)
    }
}

/// A task from a row of `TASK_COLUMNS`.
pub fn task(row: &impl Columns) -> Task {
    Task {
        id: row.int(0),
        project_id: row.int(1),
        status_id: row.int(2),
        title: row.text(3),
        description: row.text(4),
        assignee_id: row.opt_int(5),
        // The schema's CHECK admits only known priorities.
        priority: row.text(6).parse().unwrap_or(Priority::None),
        labels: serde_json::from_str(&row.text(7)).unwrap_or_default(),
        due_date: row.opt_text(8),
        position: row.text(9),
        version: row.int(10),
        created_by: row.opt_int(11),
        updated_by: row.opt_int(12),
        created_at: row.text(13),
        updated_at: row.text(14),
    }
}

/// A column from a row of `STATUS_COLUMNS`.
pub fn status(row: &impl Columns) -> Status {
    Status {
        id: row.int(0),
        project_id: row.int(1),
        name: row.text(2),
        color: row.opt_text(3),
        position: row.text(4),
        wip_limit: row.opt_int(5).and_then(|w| u32::try_from(w).ok()),
        version: row.int(6),
    }
}

pub fn role(conn: &Connection, project_id: i64, user_id: i64) -> Result<Option<Role>, OpError> {
    let role: Option<String> = conn
        .prepare_cached("SELECT role FROM members WHERE project_id = ? AND user_id = ?")?
        .query_row((project_id, user_id), |r| r.get(0))
        .optional()?;
    Ok(role.and_then(|r| r.parse().ok()))
}

/// Checks that `user_id` may change the project. Non-members learn nothing: to
/// them the object is `not_found`.
pub fn require_writer(
    conn: &Connection,
    project_id: i64,
    user_id: i64,
    not_found: &'static str,
) -> Result<(), OpError> {
    match role(conn, project_id, user_id)? {
        None => Err(OpError::NotFound(not_found)),
        Some(r) if !r.can_write() => Err(OpError::Forbidden("viewers cannot change the board".into())),
        Some(_) => Ok(()),
    }
}

pub fn load_task(conn: &Connection, task_id: i64) -> Result<Task, OpError> {
    conn.prepare_cached(concat!("SELECT ", task_columns!(), " FROM tasks WHERE id = ?"))?
        .query_row([task_id], |r| Ok(task(r)))
        .optional()?
        .ok_or(OpError::NotFound("task"))
}

pub fn load_status(conn: &Connection, status_id: i64) -> Result<Status, OpError> {
    conn.prepare_cached(concat!("SELECT ", status_columns!(), " FROM statuses WHERE id = ?"))?
        .query_row([status_id], |r| Ok(status(r)))
        .optional()?
        .ok_or(OpError::NotFound("column"))
}
