//! What the network tells the app: who we are and what we may open, the board and
//! its events in revision order (with catch-ups for gaps, bounded), the answers to
//! our own changes, presence and cursors, and refusals.

use kanban_protocol::board::{Applied, BoardState};
use kanban_protocol::event::{BoardChange, BoardEvent};
use kanban_protocol::model::Project;

use super::presence::Presence;
use super::{App, Command, Connection, Mode, NetEvent, Request};
use crate::selection::Selection;

/// Catch-ups tried for one gap before the whole board is fetched instead.
const MAX_CATCH_UPS: u8 = 2;

impl App {
    pub(super) fn net(&mut self, event: NetEvent) -> Vec<Command> {
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
