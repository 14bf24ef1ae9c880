//! The app's state and its `update`: actions in, commands out, no I/O. The view
//! (`ui`) draws this state; the runtime feeds it actions and carries out commands.

pub mod action;
pub mod bindings;
pub mod form;
pub mod input;
mod keys;
pub mod presence;
pub mod throttle;

use kanban_protocol::board::{Applied, BoardState};
use kanban_protocol::event::{BoardChange, BoardEvent};
use kanban_protocol::model::{Project, User};
use tokio::time::Instant;

use crate::selection::Selection;
pub use action::{Action, Change, Command, NetEvent, Request};
use form::{CardForm, Confirm, Prompt};
use presence::Presence;
use throttle::{CursorThrottle, Due};

/// Catch-ups tried for one gap before the whole board is fetched instead.
const MAX_CATCH_UPS: u8 = 2;

/// What has the keyboard.
#[derive(Debug, Clone, Default)]
pub enum Mode {
    #[default]
    Board,
    /// The keys, scrolled down by this many lines (on short terminals).
    Help(u16),
    Form(Box<CardForm>),
    Prompt(Box<Prompt>),
    Confirm(Confirm),
    /// Choosing a project; the index into `App::projects`.
    Picker(usize),
}

/// The state of the WebSocket, for the status bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Connection {
    Connecting,
    Online,
    Offline {
        reason: String,
        retry_in_ms: u64,
    },
    /// Refused for a reason waiting will not change; nothing is retried until the
    /// person presses a key.
    Refused(String),
}

/// How others join an embedded server: a line for the presence bar while one is
/// alone, and the commands for the help overlay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinHint {
    pub short: String,
    pub steps: Vec<String>,
}

/// A line for the status bar until the next key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub text: String,
    pub error: bool,
}

#[derive(Debug)]
pub struct App {
    pub me: Option<User>,
    pub projects: Vec<Project>,
    /// `--project`, resolved once the project list arrives.
    pub wanted_project: Option<String>,
    pub project_id: Option<i64>,
    pub board: Option<BoardState>,
    /// Events waiting for a snapshot or a catch-up, in arrival order.
    pending: Vec<BoardEvent>,
    /// A catch-up (or a board fetch) is in flight; one at a time.
    catching_up: bool,
    /// Catch-ups asked for since the board was last without a gap: bounded, so
    /// that an event no fetch can explain never starts a loop.
    gap_tries: u8,
    pub selection: Selection,
    pub mode: Mode,
    pub presence: Presence,
    pub connection: Connection,
    pub notice: Option<Notice>,
    pub filter: String,
    /// The terminal's size, for mouse hits.
    pub viewport: (u16, u16),
    /// How others can join (embedded mode).
    pub join_hint: Option<JoinHint>,
    pub throttle: CursorThrottle,
    /// A card we asked for is to be selected when it is made, unless we moved on.
    select_created: bool,
    /// The last edit of a card sent and not yet answered: reopened if the card
    /// turns out to have changed meanwhile, so that no typing is lost.
    draft: Option<Box<CardForm>>,
    pub quit: bool,
}

impl App {
    pub fn new(fps: u32, wanted_project: Option<String>) -> Self {
        App {
            me: None,
            projects: Vec::new(),
            wanted_project,
            project_id: None,
            board: None,
            pending: Vec::new(),
            catching_up: false,
            gap_tries: 0,
            selection: Selection::default(),
            mode: Mode::Board,
            presence: Presence::default(),
            connection: Connection::Connecting,
            notice: None,
            filter: String::new(),
            viewport: (80, 24),
            join_hint: None,
            throttle: CursorThrottle::new(fps),
            select_created: false,
            draft: None,
            quit: false,
        }
    }

    /// My presence user id (the user id as text).
    pub fn my_id(&self) -> Option<String> {
        self.me.as_ref().map(|u| u.id.to_string())
    }

    /// Whether I may change the board.
    pub fn can_write(&self) -> bool {
        self.board.as_ref().is_some_and(|b| b.project.role.can_write())
    }

    /// The help's lines: each key and what it does, then (embedded) how others
    /// join. `true` marks a key line.
    pub fn help_lines(&self) -> Vec<(bool, String)> {
        let mut lines: Vec<(bool, String)> =
            bindings::ROWS.iter().map(|row| (true, format!(" {:<16}{}", row.keys, row.does))).collect();
        if let Some(hint) = &self.join_hint {
            lines.push((false, String::new()));
            lines.extend(hint.steps.iter().map(|s| (false, format!(" {s}"))));
        }
        lines
    }

    /// The help box on a terminal of `width`×`height`.
    pub fn help_box(&self, width: u16, height: u16) -> crate::geometry::HelpBox {
        let lines: Vec<String> = self.help_lines().into_iter().map(|(_, text)| text).collect();
        crate::geometry::help_box(width, height, &lines)
    }

    pub fn info(&mut self, text: impl Into<String>) {
        self.notice = Some(Notice { text: text.into(), error: false });
    }

    pub fn error(&mut self, text: impl Into<String>) {
        self.notice = Some(Notice { text: text.into(), error: true });
    }

    /// Handles one action; returns what to do about it.
    pub fn update(&mut self, action: Action) -> Vec<Command> {
        let mut out = match action {
            Action::Key(key) => keys::key(self, key),
            Action::Mouse(mouse) => keys::mouse(self, mouse),
            Action::Paste(text) => {
                keys::paste(self, &text);
                Vec::new()
            }
            Action::Resize(w, h) => {
                self.viewport = (w, h);
                Vec::new()
            }
            Action::Net(event) => self.net(event),
        };
        self.after_change();
        out.extend(self.cursor_due(Instant::now()));
        out
    }

    /// Keeps the selection on the board and tells the throttle where it is.
    fn after_change(&mut self) {
        if let Some(board) = &self.board {
            self.selection.fix(board, &self.filter);
            if let Some(pos) = self.selection.pos() {
                self.throttle.set(pos);
            }
        }
    }

    /// The cursor event due at `now`, if any. Offline, the position waits in the
    /// throttle (no timer runs) and goes out on the reconnect.
    pub fn cursor_due(&mut self, now: Instant) -> Option<Command> {
        if self.connection != Connection::Online {
            return None;
        }
        match self.throttle.poll(now) {
            Due::Send(pos) => Some(Command::Net(Request::Cursor(pos))),
            Due::At(_) | Due::Idle => None,
        }
    }

    /// When the runtime should call [`App::cursor_due`] again.
    pub fn next_frame(&mut self, now: Instant) -> Option<Instant> {
        if self.connection != Connection::Online {
            return None;
        }
        let mut probe = self.throttle.clone();
        match probe.poll(now) {
            Due::At(at) => Some(at),
            Due::Send(_) => Some(now),
            Due::Idle => None,
        }
    }

    fn net(&mut self, event: NetEvent) -> Vec<Command> {
        match event {
            NetEvent::Me(user) => {
                self.me = Some(user);
                Vec::new()
            }
            NetEvent::Projects(projects) => self.choose_project(projects),
            NetEvent::Connected => {
                self.connection = Connection::Online;
                self.throttle.resend();
                match (&self.board, self.project_id) {
                    (Some(b), Some(project_id)) => {
                        vec![Command::Net(Request::CatchUp { project_id, after: b.rev })]
                    }
                    _ => Vec::new(),
                }
            }
            NetEvent::Disconnected { reason, retry_in_ms } => {
                self.connection = Connection::Offline { reason, retry_in_ms };
                self.presence = Presence::default();
                Vec::new()
            }
            NetEvent::Snapshot(board) => {
                if Some(board.project.id) != self.project_id {
                    return Vec::new();
                }
                self.board = Some(BoardState::from(board));
                self.catching_up = false;
                let mut out = self.drain_pending();
                if self.connection == Connection::Online
                    && let (Some(b), Some(project_id)) = (&self.board, self.project_id)
                {
                    // Events between the snapshot and our subscription are fetched.
                    out.push(Command::Net(Request::CatchUp { project_id, after: b.rev }));
                }
                out
            }
            NetEvent::Missed(events) => {
                if let Some(board) = &mut self.board {
                    for e in &events {
                        board.apply(e);
                    }
                }
                self.catching_up = false;
                self.drain_pending()
            }
            NetEvent::Gone => {
                self.catching_up = true;
                Vec::new()
            }
            NetEvent::Board(event) => self.board_event(*event),
            NetEvent::Done(event) => {
                // Our own change, applied now; a gap means others' events are on
                // their way, and the event itself will come with them.
                if let Some(board) = &mut self.board
                    && !self.catching_up
                {
                    board.apply(&event);
                }
                match &event.change {
                    BoardChange::TaskUpdated(task)
                        if self
                            .draft
                            .as_ref()
                            .and_then(|d| d.task.as_ref())
                            .is_some_and(|d| d.id == task.id) =>
                    {
                        self.draft = None;
                    }
                    // A card we just made is where we look next, unless we have
                    // already looked elsewhere.
                    BoardChange::TaskCreated(task) if self.select_created => {
                        self.select_created = false;
                        self.selection.status_id = Some(task.status_id);
                        self.selection.task_id = Some(task.id);
                    }
                    _ => {}
                }
                Vec::new()
            }
            NetEvent::Failed(message) => {
                self.error(message);
                Vec::new()
            }
            NetEvent::Refused(reason) => self.refused(reason),
            NetEvent::Stale { message, current } => {
                self.stale(message, *current);
                Vec::new()
            }
            NetEvent::Present(members) => {
                self.presence.reset(members);
                Vec::new()
            }
            NetEvent::Joined(id, info) => {
                if self.presence.join(id, info) {
                    // A newcomer has not seen where I point.
                    self.throttle.resend();
                }
                Vec::new()
            }
            NetEvent::Left(id) => {
                self.presence.leave(&id);
                Vec::new()
            }
            NetEvent::Cursor { user_id, pos } => {
                self.presence.cursors.insert(user_id, pos);
                Vec::new()
            }
        }
    }

    /// Access refused for good: what the board showed is no longer this person's
    /// to see, so it goes from the screen, and the session stops until a key is
    /// pressed. An open card form stays, so that nothing typed is lost.
    fn refused(&mut self, reason: String) -> Vec<Command> {
        if matches!(self.connection, Connection::Refused(_)) {
            return Vec::new();
        }
        self.connection = Connection::Refused(reason);
        self.board = None;
        self.project_id = None;
        self.pending.clear();
        self.catching_up = false;
        self.gap_tries = 0;
        self.presence = Presence::default();
        self.selection = Selection::default();
        if !matches!(self.mode, Mode::Form(_)) {
            self.mode = Mode::Board;
        }
        vec![Command::Net(Request::Pause)]
    }

    /// The person asks to try again after a refusal.
    pub fn retry(&mut self) -> Vec<Command> {
        self.connection = Connection::Connecting;
        self.notice = None;
        vec![Command::Net(Request::Retry)]
    }

    /// An edit refused because the card changed meanwhile: the form comes back
    /// over the card as it is now, with this user's changes in it, unless the
    /// user has moved on to something else.
    fn stale(&mut self, message: String, current: kanban_protocol::model::Task) {
        let draft = self.draft.take().filter(|d| d.task.as_ref().is_some_and(|t| t.id == current.id));
        match draft {
            Some(mut form) if matches!(self.mode, Mode::Board) => {
                form.rebase(current);
                self.mode = Mode::Form(form);
                // Instead of the server's wording (versions), what to do now.
                self.error(
                    "Someone changed this card meanwhile: your edit is kept over theirs. Save again, or Esc",
                );
            }
            _ => self.error(message),
        }
    }

    fn board_event(&mut self, event: BoardEvent) -> Vec<Command> {
        let (Some(board), Some(project_id)) = (&mut self.board, self.project_id) else {
            self.pending.push(event);
            return Vec::new();
        };
        if self.catching_up {
            self.pending.push(event);
            return Vec::new();
        }
        match board.apply(&event) {
            Applied::Applied | Applied::AlreadySeen => Vec::new(),
            Applied::Gap { have, .. } => {
                let rev = event.rev;
                self.pending.push(event);
                self.gap_tries += 1;
                if self.gap_tries <= MAX_CATCH_UPS {
                    self.catching_up = true;
                    vec![Command::Net(Request::CatchUp { project_id, after: have })]
                } else if self.gap_tries == MAX_CATCH_UPS + 1 {
                    self.catching_up = true;
                    vec![Command::Net(Request::Reload(project_id))]
                } else {
                    // Not even a fresh board reaches this revision: no commit made
                    // it. It is dropped, and so is every later one that waited
                    // with it (the count stays up until the drain ends).
                    self.pending.retain(|e| e.rev < rev);
                    Vec::new()
                }
            }
        }
    }

    /// Applies the events that waited, in revision order, until one reveals a gap.
    fn drain_pending(&mut self) -> Vec<Command> {
        let mut pending = std::mem::take(&mut self.pending);
        pending.sort_by_key(|e| e.rev);
        let mut out = Vec::new();
        for event in pending {
            if self.catching_up {
                self.pending.push(event);
            } else {
                out.extend(self.board_event(event));
            }
        }
        if self.pending.is_empty() {
            self.gap_tries = 0;
        }
        out
    }

    fn choose_project(&mut self, projects: Vec<Project>) -> Vec<Command> {
        self.projects = projects;
        if let Some(wanted) = self.wanted_project.take() {
            let found = self.projects.iter().find(|p| p.id.to_string() == wanted || p.name == wanted);
            return match found {
                Some(p) => self.open(p.id),
                None => {
                    self.error(format!("No project {wanted:?} among yours"));
                    self.pick_or_open()
                }
            };
        }
        self.pick_or_open()
    }

    fn pick_or_open(&mut self) -> Vec<Command> {
        match self.projects.len() {
            0 => {
                self.error("You are not a member of any project yet: ask its owner to grant you access");
                Vec::new()
            }
            1 => self.open(self.projects[0].id),
            _ => {
                self.mode = Mode::Picker(0);
                Vec::new()
            }
        }
    }

    /// Switches to a project.
    pub fn open(&mut self, project_id: i64) -> Vec<Command> {
        if self.project_id == Some(project_id) {
            return Vec::new();
        }
        self.project_id = Some(project_id);
        self.board = None;
        self.pending.clear();
        self.catching_up = false;
        self.gap_tries = 0;
        self.selection = Selection::default();
        self.presence = Presence::default();
        self.mode = Mode::Board;
        vec![Command::Net(Request::Open(project_id))]
    }
}

#[cfg(test)]
pub(crate) mod tests;
