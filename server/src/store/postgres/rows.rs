//! Board rows on PostgreSQL: the column lists (times written out as the API shows
//! them), and the conversions from rows to records.

use kanban_protocol::model::{ChecklistItem, Comment, Priority, Role, Status, Task};
use postgres::Row;

use crate::store::{Result, StoreError};

/// A task's columns, in the order [`task`] reads them; a literal, for `concat!`.
macro_rules! task_columns {
    () => {
        "id, project_id, status_id, title, description, assignee_id, priority, labels, due_date, position, \
         version, created_by, updated_by, kanban_ts(created_at), kanban_ts(updated_at)"
    };
}
/// A column's columns, in the order [`status`] reads them.
macro_rules! status_columns {
    () => {
        "id, project_id, name, color, position, wip_limit, version"
    };
}
/// A comment's columns, in the order [`comment`] reads them.
macro_rules! comment_columns {
    () => {
        "comments.id, comments.task_id, comments.project_id, comments.author_id, comments.body, \
         kanban_ts(comments.created_at), kanban_ts(comments.updated_at), comments.edited_by"
    };
}
/// A checklist item's columns, in the order [`item`] reads them.
macro_rules! item_columns {
    () => {
        "checklist_items.id, checklist_items.task_id, checklist_items.text, checklist_items.done, \
         checklist_items.position, checklist_items.version"
    };
}
pub(super) use {comment_columns, item_columns, status_columns, task_columns};

/// A checklist item from a row of `item_columns!()`.
pub fn item(row: &Row) -> ChecklistItem {
    ChecklistItem {
        id: row.get(0),
        task_id: row.get(1),
        text: row.get(2),
        done: row.get(3),
        position: row.get(4),
        version: row.get(5),
    }
}

/// A comment from a row of `comment_columns!()`.
pub fn comment(row: &Row) -> Comment {
    Comment {
        id: row.get(0),
        task_id: row.get(1),
        project_id: row.get(2),
        author_id: row.get(3),
        body: row.get(4),
        created_at: row.get(5),
        updated_at: row.get(6),
        edited_by: row.get(7),
    }
}

/// The columns of a row after [`task_columns!`].
pub const TASK_COLUMNS: usize = 15;
/// The columns of a row after [`status_columns!`].
pub const STATUS_COLUMNS: usize = 7;

/// A task from a row of `task_columns!()`. The schema fixes each column's type
/// (and its CHECKs the values), so a mismatch is a bug and panics.
pub fn task(row: &Row) -> Task {
    Task {
        id: row.get(0),
        project_id: row.get(1),
        status_id: row.get(2),
        title: row.get(3),
        description: row.get(4),
        assignee_id: row.get(5),
        // The schema's CHECK admits only known priorities.
        priority: row.get::<_, &str>(6).parse().unwrap_or(Priority::None),
        labels: row.get(7),
        due_date: row.get(8),
        position: row.get(9),
        version: row.get(10),
        created_by: row.get(11),
        updated_by: row.get(12),
        created_at: row.get(13),
        updated_at: row.get(14),
        // Read apart, where a card is shown (see `board::record`).
        checklist: Vec::new(),
    }
}

/// A column from a row of `status_columns!()`.
pub fn status(row: &Row) -> Status {
    Status {
        id: row.get(0),
        project_id: row.get(1),
        name: row.get(2),
        color: row.get(3),
        position: row.get(4),
        wip_limit: row.get::<_, Option<i32>>(5).and_then(|w| u32::try_from(w).ok()),
        version: row.get(6),
    }
}

/// A role as stored (the schema's CHECK admits only known ones).
pub fn role(text: &str) -> Result<Role> {
    text.parse().map_err(|e: kanban_protocol::model::UnknownName| StoreError::Invalid(e.to_string()))
}

/// Whether `e` broke a UNIQUE constraint.
pub fn is_unique_violation(e: &postgres::Error) -> bool {
    e.code() == Some(&postgres::error::SqlState::UNIQUE_VIOLATION)
}
