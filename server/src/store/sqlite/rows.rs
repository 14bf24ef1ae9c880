//! Reading board rows: the column lists and the conversions from rows to records.

use kanban_protocol::model::{Priority, Role, Status, Task};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

use crate::store::board::OpError;

pub const TASK_COLUMNS: &str = "id, project_id, status_id, title, description, assignee_id, priority, labels, \
     due_date, position, version, created_by, updated_by, created_at, updated_at";
pub const STATUS_COLUMNS: &str = "id, project_id, name, color, position, wip_limit, version";

pub fn task(row: &SqliteRow) -> Task {
    let labels: String = row.get("labels");
    let priority: String = row.get("priority");
    Task {
        id: row.get("id"),
        project_id: row.get("project_id"),
        status_id: row.get("status_id"),
        title: row.get("title"),
        description: row.get("description"),
        assignee_id: row.get("assignee_id"),
        // The schema's CHECK admits only known priorities.
        priority: priority.parse().unwrap_or(Priority::None),
        labels: serde_json::from_str(&labels).unwrap_or_default(),
        due_date: row.get("due_date"),
        position: row.get("position"),
        version: row.get("version"),
        created_by: row.get("created_by"),
        updated_by: row.get("updated_by"),
        created_at: row.get("created_at"),
        updated_at: row.get("updated_at"),
    }
}

pub fn status(row: &SqliteRow) -> Status {
    let wip: Option<i64> = row.get("wip_limit");
    Status {
        id: row.get("id"),
        project_id: row.get("project_id"),
        name: row.get("name"),
        color: row.get("color"),
        position: row.get("position"),
        wip_limit: wip.and_then(|w| u32::try_from(w).ok()),
        version: row.get("version"),
    }
}

pub async fn role(
    conn: &mut SqliteConnection,
    project_id: i64,
    user_id: i64,
) -> Result<Option<Role>, OpError> {
    let role: Option<String> =
        sqlx::query_scalar("SELECT role FROM members WHERE project_id = ? AND user_id = ?")
            .bind(project_id)
            .bind(user_id)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(role.and_then(|r| r.parse().ok()))
}

/// Checks that `user_id` may change the project. Non-members learn nothing: to
/// them the object is `not_found`.
pub async fn require_writer(
    conn: &mut SqliteConnection,
    project_id: i64,
    user_id: i64,
    not_found: &'static str,
) -> Result<(), OpError> {
    match role(conn, project_id, user_id).await? {
        None => Err(OpError::NotFound(not_found)),
        Some(r) if !r.can_write() => Err(OpError::Forbidden("viewers cannot change the board".into())),
        Some(_) => Ok(()),
    }
}

pub async fn load_task(conn: &mut SqliteConnection, task_id: i64) -> Result<Task, OpError> {
    let sql = format!("SELECT {TASK_COLUMNS} FROM tasks WHERE id = ?");
    let row = sqlx::query(&sql).bind(task_id).fetch_optional(&mut *conn).await?;
    row.map(|r| task(&r)).ok_or(OpError::NotFound("task"))
}

pub async fn load_status(conn: &mut SqliteConnection, status_id: i64) -> Result<Status, OpError> {
    let sql = format!("SELECT {STATUS_COLUMNS} FROM statuses WHERE id = ?");
    let row = sqlx::query(&sql).bind(status_id).fetch_optional(&mut *conn).await?;
    row.map(|r| status(&r)).ok_or(OpError::NotFound("column"))
}
