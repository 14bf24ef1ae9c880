//! Bodies of the REST API's write requests, shared by the client that sends them
//! and the server that checks them.

use serde::{Deserialize, Deserializer, Serialize};

use crate::model::{Priority, Role};

/// For PATCH fields that can be cleared: absent = leave as is, `null` = clear.
fn double_option<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// `POST /api/projects/{pid}/tasks`. Without `status_id` the card goes to the
/// first column; without a place, to the end of its column.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewTask {
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<Priority>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_date: Option<String>,
    /// Place it right before this card of the column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before_id: Option<i64>,
    /// Place it right after this card of the column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_id: Option<i64>,
}

/// `PATCH /api/tasks/{tid}`: only the fields given change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "double_option", skip_serializing_if = "Option::is_none")]
    pub assignee_id: Option<Option<i64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<Priority>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<Vec<String>>,
    #[serde(default, deserialize_with = "double_option", skip_serializing_if = "Option::is_none")]
    pub due_date: Option<Option<String>>,
    /// The version the change was made against: a mismatch answers 409.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
}

/// `POST /api/tasks/{tid}/move`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoveTask {
    pub status_id: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
}

/// `POST /api/projects/{pid}/statuses`. Without a place, the column goes last.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewStatus {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wip_limit: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_id: Option<i64>,
}

/// `PATCH /api/statuses/{sid}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "double_option", skip_serializing_if = "Option::is_none")]
    pub color: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option", skip_serializing_if = "Option::is_none")]
    pub wip_limit: Option<Option<u32>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
}

/// `POST /api/statuses/{sid}/move`: reorders a column.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoveStatus {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_id: Option<i64>,
}

/// A change of a board: one REST call, one committed event. The client sends
/// these (and keeps those it could not send yet, in this form); the server's writer
/// applies them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    CreateTask {
        project_id: i64,
        new: NewTask,
    },
    UpdateTask {
        task_id: i64,
        patch: TaskPatch,
    },
    MoveTask {
        task_id: i64,
        to: MoveTask,
    },
    DeleteTask {
        task_id: i64,
    },
    CreateStatus {
        project_id: i64,
        new: NewStatus,
    },
    UpdateStatus {
        status_id: i64,
        patch: StatusPatch,
    },
    MoveStatus {
        status_id: i64,
        to: MoveStatus,
    },
    DeleteStatus {
        status_id: i64,
        move_to: Option<i64>,
    },
    /// A card back from the trash.
    RestoreTask {
        task_id: i64,
    },
    /// A column back from the trash, with the cards deleted with it.
    RestoreStatus {
        status_id: i64,
    },
    CreateComment {
        task_id: i64,
        new: NewComment,
    },
    UpdateComment {
        comment_id: i64,
        patch: NewComment,
    },
    DeleteComment {
        comment_id: i64,
    },
    CreateItem {
        task_id: i64,
        new: NewItem,
    },
    UpdateItem {
        item_id: i64,
        patch: ItemPatch,
    },
    MoveItem {
        item_id: i64,
        to: MoveItem,
    },
    DeleteItem {
        item_id: i64,
    },
}

/// `POST /api/tasks/{tid}/checklist`: an item, at the end of the card's checklist
/// unless placed. `done` may be given too (an item brought back by an undo).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewItem {
    pub text: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub done: bool,
    /// Place it right before this item of the checklist.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before_id: Option<i64>,
    /// Place it right after this item of the checklist.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_id: Option<i64>,
}

/// `PATCH /api/checklist/{iid}`: only the fields given change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done: Option<bool>,
    /// The version the change was made against: a mismatch answers 409.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
}

/// `POST /api/checklist/{iid}/move`: within its card's checklist.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoveItem {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_id: Option<i64>,
}

/// A comment's text: `POST /api/tasks/{tid}/comments` and `PATCH /api/comments/{cid}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewComment {
    pub body: String,
}

/// `POST /api/projects`: a new board, its maker its owner.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewProject {
    pub name: String,
}

/// `PATCH /api/projects/{pid}`: its owners rename, archive or bring back a board.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archived: Option<bool>,
}

/// `POST /api/projects/{pid}/members`: a user, by name, and their role (a
/// member's unless said).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewMember {
    pub user: String,
    #[serde(default = "member")]
    pub role: Role,
}

fn member() -> Role {
    Role::Member
}

/// `PATCH /api/projects/{pid}/members/{uid}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberPatch {
    pub role: Role,
}

impl Change {
    /// The event a committed change is broadcast as.
    pub fn event(&self) -> &'static str {
        use crate::model::events;
        match self {
            Change::CreateTask { .. } => events::TASK_CREATED,
            Change::UpdateTask { .. } => events::TASK_UPDATED,
            Change::MoveTask { .. } => events::TASK_MOVED,
            Change::DeleteTask { .. } => events::TASK_DELETED,
            Change::CreateStatus { .. } => events::STATUS_CREATED,
            Change::UpdateStatus { .. } => events::STATUS_UPDATED,
            Change::MoveStatus { .. } => events::STATUS_MOVED,
            Change::DeleteStatus { .. } => events::STATUS_DELETED,
            Change::RestoreTask { .. } => events::TASK_RESTORED,
            Change::RestoreStatus { .. } => events::STATUS_RESTORED,
            Change::CreateComment { .. } => events::COMMENT_CREATED,
            Change::UpdateComment { .. } => events::COMMENT_UPDATED,
            Change::DeleteComment { .. } => events::COMMENT_DELETED,
            Change::CreateItem { .. } => events::CHECKLIST_ITEM_CREATED,
            Change::UpdateItem { .. } => events::CHECKLIST_ITEM_UPDATED,
            Change::MoveItem { .. } => events::CHECKLIST_ITEM_MOVED,
            Change::DeleteItem { .. } => events::CHECKLIST_ITEM_DELETED,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patch_tells_absent_from_null() {
        let p: TaskPatch = serde_json::from_str(r#"{"assignee_id":null}"#).unwrap();
        assert_eq!(p.assignee_id, Some(None));
        let p: TaskPatch = serde_json::from_str(r#"{"title":"x"}"#).unwrap();
        assert_eq!(p.assignee_id, None);
        let p: TaskPatch = serde_json::from_str(r#"{"assignee_id":3}"#).unwrap();
        assert_eq!(p.assignee_id, Some(Some(3)));
        assert!(serde_json::from_str::<TaskPatch>(r#"{"titel":"x"}"#).is_err(), "typos are refused");
    }
}
