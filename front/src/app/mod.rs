//! The app's state and its `update`: actions in, commands out, no I/O. The view
//! (`ui`) draws this state; the runtime feeds it actions and carries out commands.

pub mod action;
pub mod bindings;
pub mod card_view;
pub mod form;
pub mod inbox;
pub mod input;
pub mod key;
pub mod keymap;
mod keys;
pub mod presence;
pub mod quick;
pub mod reads;
pub mod seen;
pub mod since;
mod sync;
pub mod throttle;
pub mod trash;
mod undo;

use kanban_protocol::board::BoardState;
use kanban_protocol::event::BoardEvent;
use kanban_protocol::model::{Pointer, Project, User};
use tokio::time::Instant;

use crate::filter::Filter;
use crate::geometry::{Density, HelpLine};
use crate::selection::Selection;
pub use action::{Action, BoardsChange, Change, Command, NetEvent, Read, Request};
use card_view::CardView;
use form::{CardForm, Confirm, Prompt};
use keymap::KeyMap;
use presence::Presence;
use quick::QuickMenu;
use reads::Reads;
use seen::OnItsWay;
pub use seen::Seen;
use throttle::{CursorThrottle, Due};
use trash::TrashView;
use undo::History;
pub use undo::Origin;

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
    /// The board's members; the index of the one chosen.
    Members(usize),
    /// The project's trash, to bring things back from.
    Trash(Box<TrashView>),
    /// A card's view: all of it, read-only.
    Card(CardView),
    /// The quick filters.
    Quick(QuickMenu),
    /// Choosing whom to follow; the index into [`App::others`].
    Follow(usize),
    /// The board's history, newest first (`None` while it is fetched), scrolled.
    Activity(Option<Vec<kanban_protocol::model::Activity>>, usize),
    /// The person's notifications across boards.
    Inbox(inbox::InboxView),
    /// The person's cards across boards; the index of the one chosen.
    Work(usize),
}

/// The state of the WebSocket, for the status bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Connection {
    Connecting,
    Online,
    Offline {
        reason: String,
        /// When the next try starts (the status bar counts down to it).
        retry_at: Instant,
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

/// A card form sent to be saved, with the change it sent.
#[derive(Debug)]
struct Draft {
    form: Box<CardForm>,
    sent: Change,
}

/// A line for the status bar until the next key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub text: String,
    pub error: bool,
    /// Said before the board opened (a config file that could not be used): it
    /// stays through the first connection, which clears what was said before it.
    pub lasting: bool,
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
    pub filter: Filter,
    /// How much room cards take (`z` toggles).
    pub density: Density,
    /// The terminal's size, for mouse hits.
    pub viewport: (u16, u16),
    /// How others can join (embedded mode).
    pub join_hint: Option<JoinHint>,
    /// Which server the board is on, in a few words for the title bar (none where
    /// that goes without saying: an SSH session is on the server it reached).
    pub server: Option<String>,
    /// The time zone times are shown in: the person's (kanban-tui: the system's;
    /// over SSH: the `TZ` the client sends, else UTC, said as such).
    pub zone: jiff::tz::TimeZone,
    pub throttle: CursorThrottle,
    /// The person (presence id) whose selection ours follows, until a move key.
    pub following: Option<String>,
    /// Another project was opened and its presence has not come yet: what the
    /// old one's channel still says (who left it, where they point) is not of
    /// this board.
    presence_stale: bool,
    /// The card's view a comment is being written from: it comes back as it was
    /// (its thread kept live by the events meanwhile) when the prompt closes.
    pub(crate) return_view: Option<CardView>,
    /// A card we asked for is to be selected when it is made, unless we moved on.
    select_created: bool,
    /// Card forms sent to be saved and not yet answered: one that is refused (a
    /// value, a conflict, the server) comes back with the reason, so that no typing
    /// is lost.
    drafts: Vec<Draft>,
    /// Changes waiting for the server, oldest first (shown on the board as pending).
    pub waiting: Vec<Change>,
    /// Refused forms waiting for the keyboard (another form or box had it).
    unsaved: Vec<CardForm>,
    /// This person's changes to undo and redo, in the open project.
    history: History,
    /// Undos (`false`) and redos (`true`) asked for while a change was on its way.
    deferred: Vec<bool>,
    /// The reads in flight, one of a kind.
    reads: Reads,
    /// The board as this person sees it, kept while nothing changes.
    seen: seen::Cache,
    pub quit: bool,
    /// Ctrl-Z was pressed: the runtime gives the terminal back to the shell.
    pub suspend: bool,
    /// Text for the person's clipboard, taken by the front end and written to
    /// its terminal ([`crate::clipboard::osc52`]).
    pub clipboard: Option<String>,
    /// Whether Ctrl-Z has a shell to go back to (not in an SSH session, which is
    /// the whole of the connection): the help says the key only where it works.
    pub can_suspend: bool,
    /// Text for the person's editor (`E`, or Ctrl-G in the form), taken by the
    /// front end, which answers with [`Action::Edited`].
    pub editor: Option<String>,
    /// Whether there is an editor at hand (not over SSH: the person's editor is
    /// on their own machine).
    pub can_edit_externally: bool,
    /// What comes back from the editor is saved at once (`E` on the board), not
    /// put in the form to be saved (Ctrl-G).
    editor_saves: bool,
    /// The picker lists archived boards too (`.` there).
    pub show_archived: bool,
    /// The board's keys: the defaults, or as the person's config binds them.
    pub keymap: KeyMap,
    /// The person's unread count, work across boards and watched cards.
    pub reach: inbox::Reach,
    /// The cards changed since the person last looked at the open board.
    pub marks: since::Marks,
    /// A bell or a desktop notification for the person's terminal, taken and
    /// written by the front end (as [`App::clipboard`] is).
    pub alert: Option<String>,
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
            filter: Filter::default(),
            density: Density::default(),
            viewport: (80, 24),
            join_hint: None,
            server: None,
            zone: jiff::tz::TimeZone::UTC,
            throttle: CursorThrottle::new(fps),
            following: None,
            presence_stale: false,
            return_view: None,
            select_created: false,
            drafts: Vec::new(),
            waiting: Vec::new(),
            unsaved: Vec::new(),
            history: History::default(),
            deferred: Vec::new(),
            reads: Reads::default(),
            seen: seen::Cache::default(),
            quit: false,
            suspend: false,
            clipboard: None,
            can_suspend: true,
            editor: None,
            can_edit_externally: true,
            editor_saves: false,
            show_archived: false,
            keymap: KeyMap::default(),
            reach: inbox::Reach::default(),
            marks: since::Marks::default(),
            alert: None,
        }
    }

    /// The board as this person sees it: the server's with their changes on their
    /// way made in it ([`seen`]). Keys act on it and the view draws it.
    pub fn seen(&self) -> Option<Seen<'_>> {
        seen::board_of(&self.board, &self.seen, self.on_its_way(), self.me.as_ref().map(|u| u.id))
    }

    /// As [`App::seen`], borrowing the board alone (so that the other fields may
    /// change while it is held): `seen_of!(app)`.
    pub(crate) fn seen_parts(&self) -> (Vec<OnItsWay>, Option<i64>) {
        (self.on_its_way(), self.me.as_ref().map(|u| u.id))
    }

    /// This person's changes on their way, in the order they go: those waiting for
    /// the server first (kept from an earlier run too), then those sent since.
    fn on_its_way(&self) -> Vec<OnItsWay> {
        let mut all: Vec<OnItsWay> =
            self.waiting.iter().map(|c| OnItsWay { change: c.clone(), waiting: true }).collect();
        for change in self.history.on_the_way() {
            if !self.waiting.contains(change) {
                all.push(OnItsWay { change: change.clone(), waiting: false });
            }
        }
        all
    }

    /// My presence user id (the user id as text).
    pub fn my_id(&self) -> Option<String> {
        self.me.as_ref().map(|u| u.id.to_string())
    }

    /// The others on the board (not me), in the order they arrived.
    pub fn others(&self) -> Vec<(String, kanban_protocol::model::UserInfo)> {
        let me = self.my_id();
        self.presence.members.iter().filter(|(id, _)| Some(id) != me.as_ref()).cloned().collect()
    }

    /// Starts following `id`: the selection goes where theirs is now, and where it
    /// goes next.
    fn follow(&mut self, id: String) {
        let name = self.presence.info(&id).map_or_else(|| "them".into(), |i| i.name.clone());
        let seen = seen::seen_of!(self);
        if let (Some(board), Some(pos)) = (seen.as_deref(), self.presence.cursors.get(&id)) {
            self.selection.select(board, &self.filter, pos.status_id, pos.task_id);
        }
        self.following = Some(id);
        self.info(format!("Following {name}: a move key stops"));
    }

    /// Stops following, saying why (in words about the one followed).
    fn unfollow(&mut self, why: impl Fn(&str) -> String) {
        if let Some(id) = self.following.take() {
            let name = self.presence.info(&id).map_or_else(|| "them".into(), |i| i.name.clone());
            self.info(why(&name));
        }
    }

    /// Whether I may change the board.
    pub fn can_write(&self) -> bool {
        self.board.as_ref().is_some_and(|b| b.project.role.can_write())
    }

    /// The help's lines: each key in effect and what it does, then (embedded) how
    /// others join.
    pub fn help_lines(&self) -> Vec<HelpLine> {
        let mut lines: Vec<HelpLine> = bindings::ROWS
            .iter()
            .filter(|row| self.can_suspend || row.keys != bindings::SUSPEND)
            .map(|row| HelpLine::Keys { keys: self.keymap.row_keys(row), does: row.does.to_string() })
            .collect();
        if let Some(hint) = &self.join_hint {
            lines.push(HelpLine::Text(String::new()));
            lines.extend(hint.steps.iter().map(|s| HelpLine::Text(format!(" {s}"))));
        }
        lines
    }

    /// The help box on a terminal of `width`×`height`.
    pub fn help_box(&self, width: u16, height: u16) -> crate::geometry::HelpBox {
        crate::geometry::help_box(width, height, &self.help_lines())
    }

    pub fn info(&mut self, text: impl Into<String>) {
        self.notice = Some(Notice { text: text.into(), error: false, lasting: false });
    }

    pub fn error(&mut self, text: impl Into<String>) {
        self.notice = Some(Notice { text: text.into(), error: true, lasting: false });
    }

    /// An error found before the board opened, said until the first key whatever
    /// the connection does meanwhile.
    pub fn error_at_start(&mut self, text: impl Into<String>) {
        self.notice = Some(Notice { text: text.into(), error: true, lasting: true });
    }

    /// Handles one action; returns what to do about it.
    pub fn update(&mut self, action: Action) -> Vec<Command> {
        let quitting = self.quit;
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
            Action::Edited(result) => self.edited(result),
        };
        self.after_change();
        if self.quit && !quitting {
            // What the person saw of the board is theirs to find next time.
            out.extend(self.seen_now());
        }
        out.extend(self.cursor_due(Instant::now()));
        let mut out = self.reads.gate(out);
        // What waited behind a read answered meanwhile, if it is still wanted.
        let due: Vec<Command> =
            self.reads.due().into_iter().filter(|r| self.still_wanted(r)).map(Command::Net).collect();
        out.extend(self.reads.gate(due));
        out
    }

    /// Whether a read that waited is still of use: its board is the open one, and
    /// what it fills is still on the screen.
    fn still_wanted(&self, request: &Request) -> bool {
        match request {
            Request::Reload(pid) | Request::CatchUp { project_id: pid, .. } => self.project_id == Some(*pid),
            Request::Trash(pid) => self.project_id == Some(*pid) && matches!(self.mode, Mode::Trash(_)),
            Request::Activity(pid) => {
                self.project_id == Some(*pid) && matches!(self.mode, Mode::Activity(..))
            }
            Request::Comments(tid) => {
                matches!(&self.mode, Mode::Card(view) if view.task_id == *tid)
                    || self.return_view.as_ref().is_some_and(|view| view.task_id == *tid)
            }
            Request::Inbox { .. } => matches!(self.mode, Mode::Inbox(_)),
            Request::Open(_)
            | Request::Cursor(_)
            | Request::Boards(_)
            | Request::Projects { .. }
            | Request::Unread
            | Request::MarkRead(_)
            | Request::MyWork
            | Request::Watch { .. }
            | Request::Since(_)
            | Request::Seen { .. }
            | Request::Pause
            | Request::Retry => true,
        }
    }

    /// Hands the open form's title and description to the person's editor; with
    /// `save`, what comes back is saved as the form would save it.
    fn hand_to_editor(&mut self, form: &CardForm, save: bool) -> bool {
        if !self.can_edit_externally {
            self.error("No editor here: over SSH the card is edited in its form (e)");
            return false;
        }
        self.editor = Some(form.editor_text());
        self.editor_saves = save;
        true
    }

    /// The editor is done: its text goes into the open form, and, from `E`, is
    /// saved under the form's rules (a refused save keeps the form open with the
    /// text). Nothing is saved from an editor that failed.
    fn edited(&mut self, result: Result<String, String>) -> Vec<Command> {
        let saves = std::mem::take(&mut self.editor_saves);
        let Mode::Form(mut form) = std::mem::take(&mut self.mode) else {
            self.error("Not saved: the card's form closed while the editor was open");
            return Vec::new();
        };
        match result {
            Err(why) if saves => {
                self.error(format!("Nothing saved: {why}"));
                Vec::new()
            }
            Err(why) => {
                self.error(format!("Nothing taken from the editor: {why}"));
                self.mode = Mode::Form(form);
                Vec::new()
            }
            Ok(text) => {
                form.from_editor(&text);
                if !saves {
                    self.info("Back from the editor: Ctrl-S saves");
                    self.mode = Mode::Form(form);
                    return Vec::new();
                }
                let outcome = form.save();
                if outcome == form::FormOutcome::Unchanged {
                    self.info("Nothing changed in the editor");
                }
                keys::form_outcome(self, form, outcome)
            }
        }
    }

    /// Sends a change of the board, noting what it changes so that it can be
    /// undone; `what` says what an undo or redo takes back.
    fn write(&mut self, change: Change, origin: Origin, what: Option<String>) -> Vec<Command> {
        if !self.can_write() {
            self.error("Viewers cannot change the board");
            return Vec::new();
        }
        // What the change changes is taken from the board as the person sees it:
        // after their earlier changes, which it follows.
        if let Some(before) = self.seen().map(|seen| undo::before(&change, &seen)) {
            self.history.sent(&change, origin, what, before);
        }
        vec![Command::Write(change)]
    }

    /// Sends a card form's change, keeping the form until the answer. One that
    /// cannot be sent (this person became a viewer while it was open) stays open
    /// with why: what was typed is not lost.
    fn send_form(&mut self, mut form: Box<CardForm>, change: Change) -> Vec<Command> {
        let out = self.write(change.clone(), Origin::Do, None);
        if out.is_empty() {
            form.error = Some((None, "Not saved: viewers cannot change the board".into()));
            self.mode = Mode::Form(form);
        } else {
            self.drafts.push(Draft { form, sent: change });
        }
        out
    }

    /// Undoes this person's last change (`redo`: redoes the last undone one).
    fn undo(&mut self, redo: bool) -> Vec<Command> {
        let (Some(board), Some(me)) = (&self.board, self.me.as_ref().map(|u| u.id)) else {
            return Vec::new();
        };
        if !self.can_write() {
            self.error("Viewers cannot change the board");
            return Vec::new();
        }
        if self.history.in_flight() {
            self.deferred.push(redo);
            self.info("Your last change is on its way: the undo follows it");
            return Vec::new();
        }
        let step = if redo { self.history.redo(board, me) } else { self.history.undo(board, me) };
        match step {
            None => self.info(if redo { "Nothing to redo" } else { "Nothing to undo" }),
            Some(Err(why)) => self.error(why),
            Some(Ok((change, what))) => {
                return self.write(change, if redo { Origin::Redo } else { Origin::Undo }, Some(what));
            }
        }
        Vec::new()
    }

    /// Keeps the selection on the board and tells the throttle where it is; brings
    /// back a refused form once the board has the keyboard.
    fn after_change(&mut self) {
        if matches!(self.mode, Mode::Board)
            && let Some(form) = self.unsaved.pop()
        {
            self.mode = Mode::Form(Box::new(form));
        }
        self.land();
        let seen = seen::seen_of!(self);
        if let Some(board) = seen.as_deref() {
            self.selection.fix(board, &self.filter);
            self.marks.selected(self.selection.task_id);
            if let Some(pos) = self.selection.pos() {
                // Editing is the open form of the card pointed at, to change it (a
                // viewer's form reads only; a card that went meanwhile is not).
                let editing = matches!(&self.mode, Mode::Form(f)
                    if !f.read_only && f.task.as_ref().is_some_and(|t| Some(t.id) == pos.task_id));
                self.throttle.set(Pointer { status_id: pos.status_id, task_id: pos.task_id, editing });
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

    /// How long until the next try to connect, while offline.
    pub fn retry_in(&self, now: Instant) -> Option<std::time::Duration> {
        match &self.connection {
            Connection::Offline { retry_at, .. } => Some(retry_at.saturating_duration_since(now)),
            _ => None,
        }
    }

    /// When the screen shows something new without any event: while offline, the
    /// countdown's next second.
    pub fn next_tick(&self, now: Instant) -> Option<Instant> {
        let left = self.retry_in(now)?;
        if left.is_zero() {
            return None;
        }
        // The count shows whole seconds, rounded up: it changes when the time left
        // passes the whole second below it.
        let whole = std::time::Duration::from_secs(left.as_secs_f64().ceil() as u64 - 1);
        Some(now + (left - whole))
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
}

#[cfg(test)]
mod columns_tests;
#[cfg(test)]
pub(crate) mod inbox_tests;
#[cfg(test)]
mod remap_tests;
#[cfg(test)]
pub(crate) mod tests;
