//! The records the REST API exchanges: users, projects, roles, and the board.

use serde::{Deserialize, Serialize};

/// A person who can sign in, with the color that marks them on every screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: i64,
    pub name: String,
    /// `#rrggbb`.
    pub color: String,
}

/// What a member may do on a project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Read, be present, point.
    Viewer,
    /// Also edit cards and columns.
    Member,
    /// Everything, including members.
    Owner,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Member => "member",
            Role::Owner => "owner",
        }
    }

    /// Whether the role may change cards and columns.
    pub fn can_write(self) -> bool {
        self >= Role::Member
    }
}

/// A name that is none of a closed set's (a role, a priority).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {name:?} ({expected})")]
pub struct UnknownName {
    pub what: &'static str,
    pub name: String,
    pub expected: &'static str,
}

impl std::str::FromStr for Role {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "viewer" => Ok(Role::Viewer),
            "member" => Ok(Role::Member),
            "owner" => Ok(Role::Owner),
            other => {
                Err(UnknownName { what: "role", name: other.into(), expected: "owner, member or viewer" })
            }
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A board, as listed for one of its members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Project {
    pub id: i64,
    pub name: String,
    /// The asking user's role on it.
    pub role: Role,
    /// Archived by its owners: it takes no changes (left out unless asked for).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub archived: bool,
}

/// What a client needs to open the WebSocket: `GET /api/config`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientConfig {
    pub app_key: String,
    /// Pusher SDKs insist on a cluster name; any value works here.
    pub cluster: String,
    /// Seconds of silence after which the client should ping.
    pub activity_timeout: u64,
    pub server_version: String,
    /// Whether people sign in here through the site's OpenID Connect provider
    /// (`kanban-tui login`).
    #[serde(default)]
    pub oidc: bool,
}

/// The body of every failed REST answer: what went wrong, and beside it what a
/// client acts on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    pub error: String,
    /// The field whose value was refused (422).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<crate::check::FieldName>,
    /// The card as it is now, when a change found it changed since (409).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<Task>,
    /// The column as it is now, when a change found it changed since (409).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// The checklist item as it is now, when a change found it changed since (409).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<ChecklistItem>,
}

impl ApiError {
    /// A message alone.
    pub fn said(error: impl Into<String>) -> Self {
        ApiError { error: error.into(), field: None, task: None, status: None, item: None }
    }
}

/// What `POST /api/pusher/auth` answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelAuth {
    pub auth: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_data: Option<String>,
    /// An encrypted channel's key (base64), for the client to decrypt with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shared_secret: Option<String>,
}

/// How urgent a card is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    #[default]
    None,
    Low,
    Medium,
    High,
    Urgent,
}

impl Priority {
    pub const ALL: [Priority; 5] =
        [Priority::None, Priority::Low, Priority::Medium, Priority::High, Priority::Urgent];

    pub fn as_str(self) -> &'static str {
        match self {
            Priority::None => "none",
            Priority::Low => "low",
            Priority::Medium => "medium",
            Priority::High => "high",
            Priority::Urgent => "urgent",
        }
    }
}

impl std::str::FromStr for Priority {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Priority::ALL.into_iter().find(|p| p.as_str() == s).ok_or_else(|| UnknownName {
            what: "priority",
            name: s.into(),
            expected: "none, low, medium, high, urgent",
        })
    }
}

/// A column of a board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    pub id: i64,
    pub project_id: i64,
    pub name: String,
    /// `#rrggbb`, if the column has a color of its own.
    pub color: Option<String>,
    /// Fractional order key: columns sort by it (then by id).
    pub position: String,
    /// Most cards the column should hold; shown, not enforced.
    pub wip_limit: Option<u32>,
    pub version: i64,
}

/// A card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    pub id: i64,
    pub project_id: i64,
    pub status_id: i64,
    pub title: String,
    pub description: String,
    pub assignee_id: Option<i64>,
    pub priority: Priority,
    pub labels: Vec<String>,
    /// `YYYY-MM-DD`.
    pub due_date: Option<String>,
    /// Fractional order key within its column.
    pub position: String,
    /// +1 on every change; `PATCH` may name the version it saw.
    pub version: i64,
    pub created_by: Option<i64>,
    pub updated_by: Option<i64>,
    pub created_at: String,
    pub updated_at: String,
    /// Its checklist, in order (empty from a server before checklists).
    #[serde(default)]
    pub checklist: Vec<ChecklistItem>,
}

/// An item of a card's checklist: a step to tick.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChecklistItem {
    pub id: i64,
    pub task_id: i64,
    pub text: String,
    pub done: bool,
    /// Fractional order key within its card's checklist.
    pub position: String,
    /// +1 on every change; `PATCH` may name the version it saw.
    pub version: i64,
}

/// A member of a board, as the board lists them (for assignees and presence).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub id: i64,
    pub name: String,
    pub color: String,
    pub role: Role,
}

/// A card in the trash: when and by whom it was deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrashedTask {
    pub task: Task,
    pub deleted_at: String,
    pub deleted_by: Option<i64>,
}

/// A column in the trash, with how many cards went with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrashedStatus {
    pub status: Status,
    pub cards: u64,
    pub deleted_at: String,
    pub deleted_by: Option<i64>,
}

/// `GET /api/projects/{pid}/trash`: what was deleted and can be restored, newest
/// first. Cards deleted with their column come back with it, and are counted there.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Trash {
    pub tasks: Vec<TrashedTask>,
    pub statuses: Vec<TrashedStatus>,
}

/// `GET /api/projects/{pid}/board`: everything a client draws, at revision `rev`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Board {
    pub project: Project,
    pub rev: u64,
    /// The epoch of the database's history (0 from a server that has none): a
    /// client holding a revision of another epoch fetches the board afresh, since
    /// the history it counted in was rewound (a restore) or replaced.
    #[serde(default)]
    pub epoch: u64,
    pub statuses: Vec<Status>,
    pub tasks: Vec<Task>,
    pub members: Vec<Member>,
    /// How many comments each card has (cards with none are left out).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub comments: std::collections::BTreeMap<i64, u32>,
}

/// A line of a board's history (`GET /api/projects/{pid}/activity`, `GET
/// /api/tasks/{tid}/history`): a committed change, newest first, in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Activity {
    pub rev: u64,
    /// Who made it (`None`: a user who is no more).
    pub by: Option<i64>,
    pub at: String,
    /// The event it made (`task-moved`, ...).
    pub event: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_id: Option<i64>,
    /// What happened, as a person says it: "ann moved “Fix login” to Done".
    pub what: String,
}

/// A comment on a card, oldest first in its thread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    pub id: i64,
    pub task_id: i64,
    pub project_id: i64,
    /// `None` once its author is no longer a user.
    pub author_id: Option<i64>,
    pub body: String,
    pub created_at: String,
    pub updated_at: String,
    /// Who last changed it, when that was not its author (an owner may): said
    /// beside it, so that nobody's words are changed unseen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edited_by: Option<i64>,
}

/// Where a person points: a column, and a card in it or none. Sent as the data of
/// `client-cursor-move` on the presence channel, so that a marker lands on the same
/// cell in every terminal whatever its size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CursorPos {
    pub status_id: i64,
    pub task_id: Option<i64>,
}

/// The data of `client-cursor-move`: where a person points, and whether they have
/// that card's form open to change it (`editing`, left out when not). Riding on the
/// cursor, "who is editing" costs no event of its own beyond the cursor throttle,
/// is answered to newcomers with the cursor, and goes when the person does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pointer {
    pub status_id: i64,
    pub task_id: Option<i64>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub editing: bool,
}

impl Pointer {
    /// Pointing at `pos`, not editing.
    pub fn at(pos: CursorPos) -> Self {
        Pointer { status_id: pos.status_id, task_id: pos.task_id, editing: false }
    }

    pub fn pos(&self) -> CursorPos {
        CursorPos { status_id: self.status_id, task_id: self.task_id }
    }

    /// The card whose form this person has open, if any.
    pub fn editing(&self) -> Option<i64> {
        self.task_id.filter(|_| self.editing)
    }
}

/// The client event that carries a [`Pointer`].
pub const CURSOR_EVENT: &str = "client-cursor-move";

/// The client event a person's client sends on a project's presence channel as
/// it leaves for another project (data `{"project_id": N}`), so that whoever
/// follows them can follow them there.
pub const PROJECT_SWITCH_EVENT: &str = "client-project-switch";

/// The client event a newcomer sends on the presence channel (data `{}`): everyone
/// else answers with their cursor, so that it sees where they point at once. A
/// `member_added` would not tell them: a second session of someone already present
/// adds no member.
pub const CURSOR_REQUEST_EVENT: &str = "client-cursor-request";

/// What the presence channel says of a user (`user_info`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct UserInfo {
    pub name: String,
    pub color: String,
}

/// Names of the server events on `private-project-<id>`, as the original system
/// named them.
pub mod events {
    pub const TASK_CREATED: &str = "task-created";
    pub const TASK_UPDATED: &str = "task-updated";
    pub const TASK_MOVED: &str = "task-moved";
    pub const TASK_DELETED: &str = "task-deleted";
    pub const STATUS_CREATED: &str = "status-created";
    pub const STATUS_UPDATED: &str = "status-updated";
    pub const STATUS_MOVED: &str = "status-moved";
    pub const STATUS_DELETED: &str = "status-deleted";
    pub const TASK_RESTORED: &str = "task-restored";
    pub const STATUS_RESTORED: &str = "status-restored";
    pub const COMMENT_CREATED: &str = "comment-created";
    pub const COMMENT_UPDATED: &str = "comment-updated";
    pub const COMMENT_DELETED: &str = "comment-deleted";
    pub const CHECKLIST_ITEM_CREATED: &str = "checklist-item-created";
    pub const CHECKLIST_ITEM_UPDATED: &str = "checklist-item-updated";
    pub const CHECKLIST_ITEM_MOVED: &str = "checklist-item-moved";
    pub const CHECKLIST_ITEM_DELETED: &str = "checklist-item-deleted";

    /// Every board event, in no particular order.
    pub const ALL: [&str; 17] = [
        TASK_CREATED,
        TASK_UPDATED,
        TASK_MOVED,
        TASK_DELETED,
        STATUS_CREATED,
        STATUS_UPDATED,
        STATUS_MOVED,
        STATUS_DELETED,
        TASK_RESTORED,
        STATUS_RESTORED,
        COMMENT_CREATED,
        COMMENT_UPDATED,
        COMMENT_DELETED,
        CHECKLIST_ITEM_CREATED,
        CHECKLIST_ITEM_UPDATED,
        CHECKLIST_ITEM_MOVED,
        CHECKLIST_ITEM_DELETED,
    ];

    /// Whether `name` is a board event (and not, say, a client event).
    pub fn is_board_event(name: &str) -> bool {
        ALL.contains(&name)
    }

    /// The project's members changed (granted, role changed, or revoked): data
    /// [`super::MembersChanged`]. Not a board change: it has no revision.
    pub const MEMBERS_CHANGED: &str = "members-changed";
}

/// The data of `members-changed`: the project's members now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MembersChanged {
    pub members: Vec<Member>,
}

/// The data of a board event: `rev`, `by`, and the changed object or its id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventData {
    pub rev: u64,
    /// The user who made the change.
    pub by: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<Task>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// The deleted object's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    /// `status-deleted`: the column its cards went to, and those cards.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moved_to: Option<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tasks: Vec<Task>,
    /// Other items of the list this change placed something in, with new order
    /// keys: when a key would grow too long, the change re-spaces its whole list
    /// (cards of a column for task events and `status-deleted`, columns for the
    /// other status events, the card's checklist for checklist events). Their
    /// order does not change.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rekeyed: Vec<Rekeyed>,
    /// `comment-created`, `comment-updated`: the comment as it is now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<Comment>,
    /// Comment events: the card's comments now, and (`comment-deleted`) its id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comments: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_id: Option<i64>,
    /// `task-moved`: the column the card was in (the history says a reorder
    /// within a column from a move to another).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_status_id: Option<i64>,
    /// `status-updated`: the column as it was (the history says what changed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<Status>,
    /// Checklist events: the item as it is now (`checklist-item-deleted`: as it
    /// was); `task_id` names its card.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<ChecklistItem>,
    /// `checklist-item-updated`: the item as it was (the history says "ticked" or
    /// "renamed").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_before: Option<ChecklistItem>,
    /// `task-updated`: the card as it was, without its checklist (the history and
    /// the notifications say what changed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_before: Option<Task>,
}

/// An item's new order key, from a re-spaced list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rekeyed {
    pub id: i64,
    pub position: String,
}

/// One entry of `GET /api/projects/{pid}/events`, as it goes on the wire (see
/// [`crate::event::BoardEvent`] for it decoded).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoggedEvent {
    pub name: String,
    pub data: EventData,
}

/// `GET /api/projects/{pid}/events?after=REV`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventsSince {
    /// The project's revision now.
    pub rev: u64,
    pub events: Vec<LoggedEvent>,
    /// The project's members now (they change outside revisions, so a client
    /// catching up takes them from here). Absent from servers before them.
    #[serde(default)]
    pub members: Option<Vec<Member>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_order_and_parse() {
        assert!(Role::Owner.can_write() && Role::Member.can_write() && !Role::Viewer.can_write());
        for r in [Role::Viewer, Role::Member, Role::Owner] {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), r);
        }
        assert!("admin".parse::<Role>().is_err());
        assert_eq!(serde_json::to_string(&Role::Member).unwrap(), "\"member\"");
    }
}
