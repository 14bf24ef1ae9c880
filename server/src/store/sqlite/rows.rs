//! Board rows: the column lists, the conversions from rows to records, and the
//! lookups every change starts with.

use kanban_protocol::model::{ChecklistItem, Comment, Priority, Role, Status, Task};
use rusqlite::{Connection, OptionalExtension};

/// A task's columns, in the order [`task`] reads them; a literal, for `concat!`.
macro_rules! task_columns {
    () => {
        "id, project_id, status_id, title, description, assignee_id, priority, labels, due_date, position, \
         version, created_by, updated_by, created_at, updated_at"
    };
}
/// A column's columns, in the order [`status`] reads them.
macro_rules! status_columns {
    () => {
        "id, project_id, name, color, position, wip_limit, version"
    };
}
/// A comment's columns, in the order [`comment`] reads them (qualified: the
/// lookups join the card).
macro_rules! comment_columns {
    () => {
        "comments.id, comments.task_id, comments.project_id, comments.author_id, comments.body, \
         comments.created_at, comments.updated_at, comments.edited_by"
    };
}
/// A checklist item's columns, in the order [`item`] reads them (qualified: the
/// lookups join the card).
macro_rules! item_columns {
    () => {
        "checklist_items.id, checklist_items.task_id, checklist_items.text, checklist_items.done, \
         checklist_items.position, checklist_items.version"
    };
}
pub(super) use {comment_columns, item_columns, status_columns, task_columns};

/// A checklist item from a row of `item_columns!()`.
pub fn item(row: &rusqlite::Row<'_>) -> ChecklistItem {
    ChecklistItem {
        id: row.get_unwrap(0),
        task_id: row.get_unwrap(1),
        text: row.get_unwrap(2),
        done: row.get_unwrap(3),
        position: row.get_unwrap(4),
        version: row.get_unwrap(5),
    }
}

/// A comment from a row of `comment_columns!()`.
pub fn comment(row: &rusqlite::Row<'_>) -> Comment {
    Comment {
        id: row.get_unwrap(0),
        task_id: row.get_unwrap(1),
        project_id: row.get_unwrap(2),
        author_id: row.get_unwrap(3),
        body: row.get_unwrap(4),
        created_at: row.get_unwrap(5),
        updated_at: row.get_unwrap(6),
        edited_by: row.get_unwrap(7),
    }
}

/// A task from a row of `task_columns!()`. The schema fixes each column's type
/// (and its CHECKs the values), so a mismatch is a bug and panics.
pub fn task(row: &rusqlite::Row<'_>) -> Task {
    Task {
        id: row.get_unwrap(0),
        project_id: row.get_unwrap(1),
        status_id: row.get_unwrap(2),
        title: row.get_unwrap(3),
        description: row.get_unwrap(4),
        assignee_id: row.get_unwrap(5),
        // The schema's CHECK admits only known priorities.
        priority: row.get_unwrap::<_, String>(6).parse().unwrap_or(Priority::None),
        labels: serde_json::from_str(&row.get_unwrap::<_, String>(7)).unwrap_or_default(),
        due_date: row.get_unwrap(8),
        position: row.get_unwrap(9),
        version: row.get_unwrap(10),
        created_by: row.get_unwrap(11),
        updated_by: row.get_unwrap(12),
        created_at: row.get_unwrap(13),
        updated_at: row.get_unwrap(14),
        // Read apart, where a card is shown (see `board::record`).
        checklist: Vec::new(),
    }
}

/// A column from a row of `status_columns!()`.
pub fn status(row: &rusqlite::Row<'_>) -> Status {
    Status {
        id: row.get_unwrap(0),
        project_id: row.get_unwrap(1),
        name: row.get_unwrap(2),
        color: row.get_unwrap(3),
        position: row.get_unwrap(4),
        wip_limit: row.get_unwrap::<_, Option<i64>>(5).and_then(|w| u32::try_from(w).ok()),
        version: row.get_unwrap(6),
    }
}

/// A user's role on a project, `None` for non-members. The schema's CHECK admits
/// only known roles.
pub fn role(conn: &Connection, project_id: i64, user_id: i64) -> rusqlite::Result<Option<Role>> {
    let role: Option<String> = conn
        .prepare_cached("SELECT role FROM members WHERE project_id = ? AND user_id = ?")?
        .query_row((project_id, user_id), |r| r.get(0))
        .optional()?;
    Ok(role.and_then(|r| r.parse().ok()))
}
