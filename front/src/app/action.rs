//! What reaches the app ([`Action`]: input, the network, timers) and what the app
//! asks of the world ([`Command`]). `update` turns one into the other without I/O.

use super::input::{KeyEvent, MouseEvent};
pub use super::reads::Read;
use kanban_protocol::check::FieldName;
use kanban_protocol::event::BoardEvent;
use kanban_protocol::inbox::{MarkRead, MyTask, Notification, NotificationsRead, Since};
use kanban_protocol::model::{
    Activity, Board, Comment, Member, Pointer, Project, Role, Task, Trash, User, UserInfo,
};
pub use kanban_protocol::request::Change;

/// A change of boards or their members (not of a board's cards and columns):
/// the server's rules, for every front end alike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BoardsChange {
    /// A new board, the asker its owner.
    Make {
        name: String,
    },
    Rename {
        project_id: i64,
        name: String,
    },
    Archive {
        project_id: i64,
        archived: bool,
    },
    /// Access for the user named `user`.
    Grant {
        project_id: i64,
        user: String,
        role: Role,
    },
    SetRole {
        project_id: i64,
        member_id: i64,
        role: Role,
    },
    /// Access taken away (or, for oneself, the board left).
    Remove {
        project_id: i64,
        member_id: i64,
    },
}

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
    /// The person's editor is done with the text [`super::App::editor`] gave it:
    /// the file as it left it, or why nothing is to be taken (it failed, or
    /// exited with a status other than 0).
    Edited(Result<String, String>),
}

/// What the network side reports.
#[derive(Debug, Clone)]
pub enum NetEvent {
    /// Who we are.
    Me(User),
    /// The projects we may open (for the picker).
    Projects(Vec<Project>),
    /// A board made or changed by this person ([`Request::Boards`]).
    Project(Project),
    /// The projects we may open now ([`Request::Projects`]).
    ProjectsNow(Vec<Project>),
    /// The WebSocket is up and subscribed (again).
    Connected,
    /// The connection is lost; the next try is in `retry_in_ms`.
    Disconnected {
        reason: String,
        retry_in_ms: u64,
    },
    /// A whole board.
    Snapshot(Board),
    /// The events since the board's revision (after a gap or a reconnect), oldest
    /// first.
    Missed(Vec<BoardEvent>),
    /// The events since our revision are gone: a snapshot is on its way.
    Gone,
    /// A server event on the project channel.
    Board(Box<BoardEvent>),
    /// Everyone present when we joined.
    Present(Vec<(String, UserInfo)>),
    Joined(String, UserInfo),
    Left(String),
    /// A newcomer asks where everyone points.
    CursorRequested,
    /// Someone on this board left for another project.
    Switched {
        user_id: String,
        project_id: i64,
    },
    /// Someone's cursor moved.
    Cursor {
        user_id: String,
        pos: Pointer,
    },
    /// A change we asked for was committed: its event, to apply at once.
    Done {
        change: Box<Change>,
        event: Box<BoardEvent>,
    },
    /// A change we asked for was not made: why, and the field at fault if one is.
    NotSaved {
        change: Box<Change>,
        message: String,
        field: Option<FieldName>,
    },
    /// The server takes no more changes of ours for a while (too many at once):
    /// the next goes in `retry_in_ms`, the others after it, in order.
    Throttled {
        retry_in_ms: u64,
    },
    /// Changes the server could not be reached for, oldest first: kept, and sent
    /// again until it answers (empty once they all went).
    Waiting(Vec<Change>),
    /// The project's members now (someone was granted access, or a role changed).
    Members {
        project_id: i64,
        members: Vec<Member>,
    },
    /// What the project's trash holds.
    Trash {
        project_id: i64,
        trash: Trash,
    },
    /// A card's thread and history, as fetched.
    Comments {
        task_id: i64,
        comments: Vec<Comment>,
        history: Vec<Activity>,
    },
    /// The project's history, newest first.
    Activity {
        project_id: i64,
        lines: Vec<Activity>,
    },
    /// A page of this person's notifications, newest first ([`Request::Inbox`]):
    /// the first, or those older than `before`.
    Inbox {
        before: Option<i64>,
        page: Vec<Notification>,
    },
    /// How many of this person's notifications are unread (asked, or the answer
    /// to marking some read).
    Unread(u64),
    /// A notification for this person, on their own channel, whatever board is
    /// open.
    Notified(Box<Notification>),
    /// One of this person's clients marked notifications read (this one too).
    NotificationsRead(NotificationsRead),
    /// This person's cards across boards, due first ([`Request::MyWork`]).
    MyWork(Vec<MyTask>),
    /// Who watches a card now (asked, or after watching or not).
    Watchers {
        task_id: i64,
        watchers: Vec<User>,
    },
    /// What changed on a board since this person last looked.
    Since {
        project_id: i64,
        since: Since,
    },
    /// A request failed.
    Failed(String),
    /// A read failed: why (said as [`NetEvent::Failed`] is), and which kind, so
    /// that the next of that kind may go.
    NotRead {
        read: Read,
        message: String,
    },
    /// The server refused us in a way waiting will not change (the token is no
    /// longer accepted, or the project no longer ours): the session has stopped
    /// trying until the app asks it to ([`Command::Retry`]).
    Refused(String),
    /// A change of a card we asked for was refused because the card changed
    /// meanwhile; `current` is the card as it is now.
    Stale {
        change: Box<Change>,
        message: String,
        current: Box<Task>,
    },
}

/// What the app asks the network side to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Change the board: the changes go out one at a time, in order, over REST.
    Write(Change),
    /// Ask the session (the WebSocket, and the reads that go with it).
    Net(Request),
}

/// What the session does for the app.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// Open this project: subscribe to its channels (the app asks for its board
    /// with [`Request::Reload`]).
    Open(i64),
    /// Fetch what was missed since `after`, a revision of `epoch` (or a snapshot,
    /// if that is gone or of another epoch).
    CatchUp { project_id: i64, after: u64, epoch: u64 },
    /// Fetch the whole board again.
    Reload(i64),
    /// Publish our cursor position.
    Cursor(Pointer),
    /// Fetch what the project's trash holds. Reads (this, `Comments`, `Activity`,
    /// `Reload`, `CatchUp`) go one of a kind at a time ([`super::reads`]): each is
    /// answered, by its event or by [`NetEvent::NotRead`].
    Trash(i64),
    /// Fetch a card's comments and history.
    Comments(i64),
    /// Fetch the project's history.
    Activity(i64),
    /// The projects we may open, again (the picker shows boards made or given
    /// since), archived ones too with `archived`: answered by
    /// [`NetEvent::ProjectsNow`].
    Projects { archived: bool },
    /// Make or change a board, or its members: answered by [`NetEvent::Project`]
    /// or [`NetEvent::Members`], or a failure said.
    Boards(BoardsChange),
    /// A page of this person's notifications (unread ones only with
    /// `unread_only`), older than `before` when given: answered by
    /// [`NetEvent::Inbox`].
    Inbox { unread_only: bool, before: Option<i64> },
    /// How many notifications are unread: answered by [`NetEvent::Unread`].
    Unread,
    /// Marks notifications read (the server tells every client of the person);
    /// answered by [`NetEvent::Unread`].
    MarkRead(MarkRead),
    /// This person's open cards across boards: answered by [`NetEvent::MyWork`].
    MyWork,
    /// Watch a card (`Some(true)`), stop (`Some(false)`), or only ask who does:
    /// answered by [`NetEvent::Watchers`].
    Watch { task_id: i64, watch: Option<bool> },
    /// What changed on the board since this person last looked: answered by
    /// [`NetEvent::Since`].
    Since(i64),
    /// This person has seen the board up to `rev` (nothing answers but a failure).
    Seen { project_id: i64, rev: u64 },
    /// Stop connecting: access was refused (the session waits for `Retry`).
    Pause,
    /// Start again from who we are and what we may open.
    Retry,
}
