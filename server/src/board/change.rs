//! What the board core takes and gives: a [`Write`] (a [`Change`] by a user), the
//! [`Committed`] change with its event, and why a change is refused ([`OpError`]).

use std::sync::Arc;

use kanban_protocol::check::Invalid;
use kanban_protocol::model::{ChecklistItem, Status, Task};
pub use kanban_protocol::request::Change;

/// One change of a board, by one user.
#[derive(Debug, Clone)]
pub struct Write {
    pub by: i64,
    pub change: Change,
    /// The client's key for this change (`Idempotency-Key`): the same key again
    /// is answered with the change's first event, not made twice.
    pub key: Option<String>,
}

/// A committed change: the event to broadcast, already encoded.
#[derive(Debug, Clone)]
pub struct Committed {
    pub project_id: i64,
    pub rev: u64,
    pub event: &'static str,
    /// The event's data (`{rev, by, ...}`), the same text for the log, the channel
    /// and the answer to the writer.
    pub data: Arc<str>,
    /// Made earlier under the same key: answered again, not broadcast again.
    pub replayed: bool,
    /// The notifications it made, each with its person: published on their own
    /// channels once committed.
    pub notices: super::notify::Notices,
}

/// The object a stale change found, as it is now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Current {
    Task(Box<Task>),
    Status(Box<Status>),
    Item(Box<ChecklistItem>),
}

impl Current {
    fn what(&self) -> &'static str {
        match self {
            Current::Task(_) => "task",
            Current::Status(_) => "column",
            Current::Item(_) => "checklist item",
        }
    }

    fn version(&self) -> i64 {
        match self {
            Current::Task(t) => t.version,
            Current::Status(s) => s.version,
            Current::Item(i) => i.version,
        }
    }
}

/// Why a change was refused; nothing of it was committed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpError {
    /// No such object, or one the user cannot see.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The user may see but not change it.
    #[error("{0}")]
    Forbidden(String),
    /// The object changed since the version the change was made against.
    #[error("the {} changed meanwhile: version {given} was given, it is at {}", current.what(), current.version())]
    Stale { given: i64, current: Current },
    /// A change that cannot be made as asked (a column of another project, nothing
    /// to change, ...).
    #[error("{0}")]
    Invalid(String),
    /// A field's value that cannot be stored.
    #[error(transparent)]
    BadValue(#[from] Invalid),
    /// The storage failed; the message is for the log.
    #[error("{0}")]
    Failed(String),
    /// The author made more changes than their budget (`rate` a second, a few
    /// seconds' worth at once) allows: try again in `retry_after` seconds.
    #[error("too many changes: at most {rate} a second; try again in {retry_after} s")]
    TooMany { rate: u32, retry_after: u64 },
}
