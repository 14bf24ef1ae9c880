//! Reaching a person: their notifications (`/api/notifications` and their own
//! channel, [`crate::channel::user_channel`]), the cards they watch, their work
//! across boards (`/api/me/tasks`) and what changed on a board since they last
//! looked (`/api/projects/{pid}/seen`).

use serde::{Deserialize, Serialize};

use crate::model::{Task, User};

/// Why a person was notified.
pub mod kinds {
    /// Named with `@name` in a comment or a description.
    pub const MENTIONED: &str = "mentioned";
    /// Made the card's assignee by someone else.
    pub const ASSIGNED: &str = "assigned";
    /// A card they watch was edited (or brought back from the trash).
    pub const CHANGED: &str = "changed";
    pub const MOVED: &str = "moved";
    pub const COMMENTED: &str = "commented";
    pub const DELETED: &str = "deleted";
    /// A card assigned to them is due tomorrow (once a day).
    pub const DUE: &str = "due";
    /// A card assigned to them is past its due date (once a day).
    pub const OVERDUE: &str = "overdue";
}

/// Events on a person's own channel.
pub mod events {
    /// Data: a [`super::Notification`].
    pub const NOTIFICATION_CREATED: &str = "notification-created";
    /// Data: [`super::NotificationsRead`].
    pub const NOTIFICATIONS_READ: &str = "notifications-read";
}

/// Something a person was told, kept until they read it (and after).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    pub id: i64,
    /// One of [`kinds`].
    pub kind: String,
    pub project_id: i64,
    /// The board's name.
    #[serde(default)]
    pub project: String,
    pub task_id: Option<i64>,
    /// Who did it (none for a due date, or a user since removed).
    pub by: Option<i64>,
    pub at: String,
    /// In words: "ann mentioned you on “Fix login”: @bob can you…".
    pub what: String,
    pub read: bool,
}

/// `POST /api/notifications/read`: these, or all of them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarkRead {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ids: Vec<i64>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub all: bool,
}

/// `notifications-read` on a person's channel: what one of their clients marked
/// read, and how many are unread now.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationsRead {
    #[serde(default)]
    pub ids: Vec<i64>,
    #[serde(default)]
    pub all: bool,
    pub unread: u64,
}

/// `GET /api/notifications/unread`, and the answer to marking read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unread {
    pub unread: u64,
}

/// A card of a person's work, with where it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyTask {
    #[serde(flatten)]
    pub task: Task,
    /// Its board's name.
    pub project: String,
    /// Its column's name.
    pub column: String,
    /// In its board's last column (done, as the board is laid out).
    pub done: bool,
}

/// `GET /api/projects/{pid}/seen`: what changed on the board since the person
/// last looked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Since {
    /// The revision they last saw (0: never).
    pub rev: u64,
    /// When they saw it (none: never).
    pub at: Option<String>,
    /// The board's revision now.
    pub now: u64,
    /// How many changes others made since.
    pub changes: u64,
    /// The cards those changes touched (created, edited, moved, commented).
    pub tasks: Vec<i64>,
}

/// `PUT /api/projects/{pid}/seen`: the revision the person has now seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seen {
    pub rev: u64,
}

/// Who watches a card (`GET /api/tasks/{tid}/watchers`, and the answer to
/// watching or not).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Watchers {
    pub watchers: Vec<User>,
}

/// `GET /api/me/tasks?assigned=1&due_before=DATE&status=open`: which of the
/// person's cards.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyWorkQuery {
    /// Cards assigned to them (the default, and for now the only kind).
    #[serde(default)]
    pub assigned: Option<u8>,
    /// Only cards due before this date (`YYYY-MM-DD`).
    #[serde(default)]
    pub due_before: Option<String>,
    /// `open` (not in the board's last column; the default), `done`, or `all`.
    #[serde(default)]
    pub status: Option<String>,
}
