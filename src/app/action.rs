//! What reaches the app ([`Action`]: input, the network, timers) and what the app
//! asks of the world ([`Command`]). `update` turns one into the other without I/O.

use crossterm::event::{KeyEvent, MouseEvent};
use kanban_protocol::model::{Board, CursorPos, EventData, EventsSince, Project, User, UserInfo, events};
use kanban_protocol::request::{MoveStatus, MoveTask, NewStatus, NewTask, StatusPatch, TaskPatch};

/// Everything the app reacts to, from one channel.
#[derive(Debug, Clone)]
pub enum Action {
    Key(KeyEvent),
    Mouse(MouseEvent),
    /// Text pasted into the terminal (bracketed paste).
    Paste(String),
    /// The terminal's new size.
    Resize(u16, u16),
    Net(NetEvent),
}

/// What the network side reports.
#[derive(Debug, Clone)]
pub enum NetEvent {
    /// Who we are.
    Me(User),
    /// The projects we may open (for the picker).
    Projects(Vec<Project>),
    /// The WebSocket is up and subscribed (again).
    Connected,
    /// The connection is lost; the next try is in `retry_in_ms`.
    Disconnected {
        reason: String,
        retry_in_ms: u64,
    },
    /// A whole board.
    Snapshot(Board),
    /// The events since the board's revision (after a gap or a reconnect).
    Missed(EventsSince),
    /// The events since our revision are gone: a snapshot is on its way.
    Gone,
    /// A server event on the project channel.
    Board {
        name: String,
        data: Box<EventData>,
    },
    /// Everyone present when we joined.
    Present(Vec<(String, UserInfo)>),
    Joined(String, UserInfo),
    Left(String),
    /// Someone's cursor moved.
    Cursor {
        user_id: String,
        pos: CursorPos,
    },
    /// A change we asked for was committed: its event, to apply at once.
    Done {
        name: &'static str,
        data: Box<EventData>,
    },
    /// A change we asked for was refused, or a request failed.
    Failed(String),
}

/// What the app asks the network side to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Open this project: subscribe to its channels and load its board.
    Open(i64),
    /// Fetch what was missed since `after` (or a snapshot, if that is gone).
    CatchUp { project_id: i64, after: u64 },
    /// Publish our cursor position.
    Cursor(CursorPos),
    /// Change the board.
    Write(Write),
}

/// The board changes the client makes, one per REST call.
#[derive(Debug, Clone, PartialEq)]
pub enum Write {
    CreateTask { project_id: i64, new: NewTask },
    UpdateTask { task_id: i64, patch: TaskPatch },
    MoveTask { task_id: i64, to: MoveTask },
    DeleteTask { task_id: i64 },
    CreateStatus { project_id: i64, new: NewStatus },
    UpdateStatus { status_id: i64, patch: StatusPatch },
    MoveStatus { status_id: i64, to: MoveStatus },
    DeleteStatus { status_id: i64, move_to: Option<i64> },
}

impl Write {
    /// The event the server answers this change with.
    pub fn event(&self) -> &'static str {
        match self {
            Write::CreateTask { .. } => events::TASK_CREATED,
            Write::UpdateTask { .. } => events::TASK_UPDATED,
            Write::MoveTask { .. } => events::TASK_MOVED,
            Write::DeleteTask { .. } => events::TASK_DELETED,
            Write::CreateStatus { .. } => events::STATUS_CREATED,
            Write::UpdateStatus { .. } => events::STATUS_UPDATED,
            Write::MoveStatus { .. } => events::STATUS_MOVED,
            Write::DeleteStatus { .. } => events::STATUS_DELETED,
        }
    }
}
