//! What the board core needs of a storage: reads and writes of rows inside one
//! transaction that the storage opened (and commits or rolls back). Cards and
//! columns in the trash are left out of every call but those that name the trash.
//! Nothing here decides anything: who may change what, which values are valid and where an item
//! goes are the core's. SQLite implements it on a savepoint of its writing
//! connection; a PostgreSQL store implements it on a transaction of its own.
//!
//! The calls are synchronous: a storage runs a whole change, indeed a whole batch of
//! changes, where its connection is (a blocking task), so that the statements of a
//! change follow each other without a hand-off between threads.

use kanban_protocol::inbox::Notification;
use kanban_protocol::model::{ChecklistItem, Comment, Priority, Role, Status, Task};

use super::OpError;

/// The result of a storage call; a failure is [`OpError::Failed`].
pub type TxResult<T> = Result<T, OpError>;

/// An ordered list of items, each with an order key (`position`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum List {
    /// The cards of a column.
    Column(i64),
    /// The columns of a project.
    Columns(i64),
    /// The checklist of a card.
    Checklist(i64),
}

/// A card to insert, its values already checked.
#[derive(Debug, Clone)]
pub struct NewTaskRow {
    pub project_id: i64,
    pub status_id: i64,
    pub title: String,
    pub description: String,
    pub assignee_id: Option<i64>,
    pub priority: Priority,
    pub labels: Vec<String>,
    pub due_date: Option<String>,
    pub position: String,
    pub by: i64,
}

/// A column to insert, its values already checked.
#[derive(Debug, Clone)]
pub struct NewStatusRow {
    pub project_id: i64,
    pub name: String,
    pub color: Option<String>,
    pub wip_limit: Option<u32>,
    pub position: String,
}

/// A notification to keep for some people, in the transaction of the change it
/// tells of.
#[derive(Debug, Clone)]
pub struct NewNotice<'a> {
    pub project_id: i64,
    /// The board's name, as the notification says it.
    pub project: &'a str,
    pub task_id: Option<i64>,
    /// One of [`kanban_protocol::inbox::kinds`].
    pub kind: &'static str,
    pub by: Option<i64>,
    pub what: &'a str,
}

/// One transaction of a storage, as the board core uses it.
pub trait BoardTx {
    /// The user's role on a project; `None` for non-members (and no project).
    fn role(&mut self, project_id: i64, user_id: i64) -> TxResult<Option<Role>>;
    /// Whether the project is archived (it then takes no changes).
    fn archived(&mut self, project_id: i64) -> TxResult<bool>;
    fn task(&mut self, task_id: i64) -> TxResult<Option<Task>>;
    fn status(&mut self, status_id: i64) -> TxResult<Option<Status>>;
    /// The project's first column in order.
    fn first_status(&mut self, project_id: i64) -> TxResult<Option<i64>>;
    /// A column's cards, in order.
    fn cards(&mut self, status_id: i64) -> TxResult<Vec<Task>>;

    /// The key of item `id` if it is in `list`.
    fn key_of(&mut self, list: List, id: i64) -> TxResult<Option<String>>;
    /// The smallest key above `key` in `list`, leaving out item `except`.
    fn key_above(&mut self, list: List, key: &str, except: i64) -> TxResult<Option<String>>;
    /// The largest key below `key` in `list`, leaving out item `except`.
    fn key_below(&mut self, list: List, key: &str, except: i64) -> TxResult<Option<String>>;
    /// The largest key in `list`, leaving out item `except`.
    fn last_key(&mut self, list: List, except: i64) -> TxResult<Option<String>>;
    /// Every item of `list` but `except`, with its key, in order.
    fn keys(&mut self, list: List, except: i64) -> TxResult<Vec<(i64, String)>>;
    /// Gives an item of `list` a new key, and nothing else (its version stays).
    fn set_key(&mut self, list: List, id: i64, key: &str) -> TxResult<()>;

    fn insert_task(&mut self, row: &NewTaskRow) -> TxResult<Task>;
    /// Writes a card's editable fields as given, by `by`; its version goes up.
    fn update_task(&mut self, task: &Task, by: i64) -> TxResult<Task>;
    /// Puts a card in a column at a key, by `by`; its version goes up.
    fn place_task(&mut self, task_id: i64, status_id: i64, key: &str, by: i64) -> TxResult<Task>;
    /// Puts a card in the trash, deleted by `by`, and with column `with` when the
    /// column goes too.
    fn trash_task(&mut self, task_id: i64, by: i64, with: Option<i64>) -> TxResult<()>;
    /// A card in the trash, and the column it went with, if it did.
    fn trashed_task(&mut self, task_id: i64) -> TxResult<Option<(Task, Option<i64>)>>;
    /// Takes a card out of the trash, into `status_id` at `key`, by `by`.
    fn restore_task(&mut self, task_id: i64, status_id: i64, key: &str, by: i64) -> TxResult<Task>;

    fn insert_status(&mut self, row: &NewStatusRow) -> TxResult<Status>;
    /// Writes a column's name, color and WIP limit as given; its version goes up.
    fn update_status(&mut self, status: &Status) -> TxResult<Status>;
    /// Gives a column a new key; its version goes up.
    fn place_status(&mut self, status_id: i64, key: &str) -> TxResult<Status>;
    /// Puts a column in the trash, deleted by `by`.
    fn trash_status(&mut self, status_id: i64, by: i64) -> TxResult<()>;
    fn trashed_status(&mut self, status_id: i64) -> TxResult<Option<Status>>;
    /// Takes a column out of the trash at `key`, with the cards that went with it;
    /// answers it and them.
    fn restore_status(&mut self, status_id: i64, key: &str) -> TxResult<(Status, Vec<Task>)>;

    /// A comment on a card that is not in the trash.
    fn comment(&mut self, comment_id: i64) -> TxResult<Option<Comment>>;
    /// Adds a comment to card `task` of its project, by `by`.
    fn insert_comment(&mut self, task: &Task, by: i64, body: &str) -> TxResult<Comment>;
    /// Writes a comment's text; its `updated_at` moves.
    fn update_comment(&mut self, comment_id: i64, body: &str, by: i64) -> TxResult<Comment>;
    fn delete_comment(&mut self, comment_id: i64) -> TxResult<()>;
    /// How many comments card `task_id` has now, in this transaction.
    fn comment_count(&mut self, task_id: i64) -> TxResult<u32>;

    /// A card's checklist, in order. Cards are read without theirs (see
    /// [`super::record`]).
    fn checklist(&mut self, task_id: i64) -> TxResult<Vec<ChecklistItem>>;
    /// An item of a card that is not in the trash.
    fn item(&mut self, item_id: i64) -> TxResult<Option<ChecklistItem>>;
    fn insert_item(&mut self, task_id: i64, text: &str, done: bool, key: &str) -> TxResult<ChecklistItem>;
    /// Writes an item's text and tick; its version goes up.
    fn update_item(&mut self, item_id: i64, text: &str, done: bool) -> TxResult<ChecklistItem>;
    /// Gives an item a new key in its checklist; its version goes up.
    fn place_item(&mut self, item_id: i64, key: &str) -> TxResult<ChecklistItem>;
    fn delete_item(&mut self, item_id: i64) -> TxResult<()>;

    /// The project's name.
    fn project_name(&mut self, project_id: i64) -> TxResult<String>;
    /// The project's members (ids and names), as they are in this transaction.
    fn member_names(&mut self, project_id: i64) -> TxResult<Vec<(i64, String)>>;
    /// `user_id` watches card `task_id` (again: nothing changes).
    fn watch(&mut self, task_id: i64, user_id: i64) -> TxResult<()>;
    /// Who watches card `task_id` and is a member of `project_id` now.
    fn watchers(&mut self, task_id: i64, project_id: i64) -> TxResult<Vec<i64>>;
    /// Keeps `notice` for each of `users`; answers each as kept, with its person.
    fn notify(&mut self, notice: &NewNotice<'_>, users: &[i64]) -> TxResult<Vec<(i64, Notification)>>;

    /// Takes the project's next revision (one more than the last, in this
    /// transaction, so revisions stay contiguous).
    fn next_rev(&mut self, project_id: i64) -> TxResult<u64>;
    /// Keeps a committed change's event for `events?after`.
    fn log_event(&mut self, project_id: i64, rev: u64, name: &str, data: &str) -> TxResult<()>;

    /// The change `user_id` made earlier under `key`: its project, revision, event
    /// name and data.
    fn applied(&mut self, user_id: i64, key: &str) -> TxResult<Option<(i64, u64, String, String)>>;
    /// Remembers that `user_id`'s change under `key` made this event.
    fn remember(&mut self, user_id: i64, key: &str, committed: &super::Committed) -> TxResult<()>;
}
