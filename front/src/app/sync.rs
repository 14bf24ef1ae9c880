//! What the network tells the app: who we are and what we may open, the board and
//! its events in revision order (with catch-ups for gaps, bounded), the answers to
//! our own changes, presence and cursors, and refusals.

use kanban_protocol::board::{Applied, BoardState};
use kanban_protocol::event::{BoardChange, BoardEvent};
use kanban_protocol::model::Project;

use kanban_protocol::check::FieldName;
use kanban_protocol::model::{Member, Role, Task};

use super::bindings::BoardAction;
use super::form::{CardForm, Field};
use super::presence::Presence;
use super::undo::History;
use super::{App, Change, Command, Connection, Mode, NetEvent, Origin, Request};
use crate::selection::Selection;

/// Catch-ups tried for one gap before the whole board is fetched instead.
const MAX_CATCH_UPS: u8 = 2;

impl App {
    pub(super) fn net(&mut self, event: NetEvent) -> Vec<Command> {
        if let Some(read) = answers(&event) {
            self.reads.answered(read);
        }
        let mut out = self.net_event(event);
        // An undo asked for while this person's last change was on its way goes
        // once it is answered.
        if !self.deferred.is_empty() && !self.history.in_flight() {
            let redo = self.deferred.remove(0);
            out.extend(self.undo(redo));
        }
        out
    }

    fn net_event(&mut self, event: NetEvent) -> Vec<Command> {
        match event {
            NetEvent::Me(user) => {
                self.filter.me = Some(user.id);
                self.me = Some(user);
            }
            NetEvent::Projects(projects) => return self.choose_project(projects),
            NetEvent::Project(project) => return self.project_changed(project),
            NetEvent::ProjectsNow(projects) => {
                if let Mode::Picker(index) = &mut self.mode {
                    *index = (*index).min(projects.len().saturating_sub(1));
                }
                self.projects = projects;
            }
            NetEvent::Connected => return self.connected(),
            NetEvent::Disconnected { reason, retry_in_ms } => {
                let retry_at = tokio::time::Instant::now() + std::time::Duration::from_millis(retry_in_ms);
                self.connection = Connection::Offline { reason, retry_at };
                self.presence = Presence::default();
            }
            NetEvent::Snapshot(board) => return self.snapshot(board),
            NetEvent::Missed(events) => return self.missed(events),
            NetEvent::Gone => self.catching_up = true,
            NetEvent::Board(event) => return self.board_event(*event),
            NetEvent::Done { change, event } => self.done(&change, &event),
            NetEvent::NotSaved { change, message, field } => {
                if let Some(Origin::Undo | Origin::Redo) = self.history.failed(&change) {
                    self.error(format!("Not undone or redone: {message}"));
                } else {
                    self.not_saved(*change, message, field);
                }
            }
            NetEvent::Stale { change, message, current } => {
                if let Some(Origin::Undo | Origin::Redo) = self.history.failed(&change) {
                    self.error("Not undone or redone: someone changed it meanwhile");
                } else {
                    self.stale(*change, message, *current);
                }
            }
            NetEvent::Members { project_id, members } => self.members_now(project_id, members),
            NetEvent::Comments { .. } | NetEvent::Activity { .. } | NetEvent::Trash { .. } => {
                self.read(event)
            }
            NetEvent::Throttled { retry_in_ms } => {
                let seconds = retry_in_ms.div_ceil(1000).max(1);
                self.info(format!(
                    "Too many changes at once for the server: the next goes in {seconds} s, the others after it"
                ));
            }
            NetEvent::Waiting(changes) => self.waiting = changes,
            NetEvent::Unread(_)
            | NetEvent::Notified(_)
            | NetEvent::NotificationsRead(_)
            | NetEvent::Inbox { .. }
            | NetEvent::MyWork(_)
            | NetEvent::Watchers { .. } => return self.reach_event(event),
            NetEvent::Since { project_id, since } => return self.since(project_id, since),
            // The person's work read for the picker's counts is not worth a word
            // unless they asked to see it.
            NetEvent::NotRead { read: super::reads::Read::Work, .. }
                if !matches!(self.mode, Mode::Work(_)) => {}
            NetEvent::Failed(message) | NetEvent::NotRead { message, .. } => self.error(message),
            NetEvent::Refused(reason) => return self.refused(reason),
            NetEvent::Present(..)
            | NetEvent::Joined(..)
            | NetEvent::Left(_)
            | NetEvent::Cursor { .. }
            | NetEvent::CursorRequested
            | NetEvent::Switched { .. } => return self.presence_event(event),
        }
        Vec::new()
    }

    /// Online (again): what was missed meanwhile is fetched.
    fn connected(&mut self) -> Vec<Command> {
        if self.connection != Connection::Online && !self.notice.as_ref().is_some_and(|n| n.lasting) {
            // What was said before the connection came back (that it was lost,
            // that a fetch failed) is no longer so.
            self.notice = None;
        }
        self.connection = Connection::Online;
        self.throttle.resend();
        // What the person's channel said while it was not heard is in the count.
        let mut out = vec![Command::Net(Request::Unread)];
        if let (Some(b), Some(project_id)) = (&self.board, self.project_id) {
            out.push(Command::Net(Request::CatchUp { project_id, after: b.rev, epoch: b.epoch }));
        }
        out
    }

    /// A whole board, of the project open.
    fn snapshot(&mut self, board: kanban_protocol::model::Board) -> Vec<Command> {
        if Some(board.project.id) != self.project_id {
            return Vec::new();
        }
        self.board = Some(BoardState::from(board));
        self.catching_up = false;
        self.follow_form(None);
        let mut out = self.drain_pending();
        if self.connection == Connection::Online
            && let (Some(b), Some(project_id)) = (&self.board, self.project_id)
        {
            // Events between the snapshot and our subscription are fetched.
            out.push(Command::Net(Request::CatchUp { project_id, after: b.rev, epoch: b.epoch }));
        }
        out
    }

    /// The events missed, oldest first.
    fn missed(&mut self, events: Vec<BoardEvent>) -> Vec<Command> {
        let mut last_by = None;
        if let Some(board) = &mut self.board {
            for e in &events {
                if board.apply(e) == Applied::Applied {
                    last_by = Some(e.by);
                    threads(&mut self.mode, &mut self.return_view, &e.change);
                }
            }
        }
        if last_by.is_some() {
            self.follow_form(last_by);
        }
        self.catching_up = false;
        self.drain_pending()
    }

    /// Our own change, committed: applied now (a gap means others' events are on
    /// their way, and the event itself will come with them), said when it was an
    /// undo or a redo, and what it made selected.
    fn done(&mut self, change: &Change, event: &BoardEvent) {
        if let Some(board) = &mut self.board
            && !self.catching_up
            && board.apply(event) == Applied::Applied
        {
            threads(&mut self.mode, &mut self.return_view, &event.change);
            self.follow_form(Some(event.by));
        }
        self.drafts.retain(|d| d.sent != *change);
        let done = self.history.done(change, event);
        match &done {
            Some((Origin::Undo, what)) => {
                let redo = self.keymap.say(BoardAction::Redo);
                self.info(format!("Undone: {what} ({redo} redoes)"))
            }
            Some((Origin::Redo, what)) => self.info(format!("Redone: {what}")),
            _ => {}
        }
        match &event.change {
            // A card we just made is where we look next, unless we have already
            // looked elsewhere.
            BoardChange::TaskCreated(task) if self.select_created => {
                self.select_created = false;
                self.selection.status_id = Some(task.status_id);
                self.selection.task_id = Some(task.id);
                self.say_if_hidden(task);
            }
            // A column we just made too.
            BoardChange::StatusCreated(status) if self.select_created => {
                self.select_created = false;
                self.selection.status_id = Some(status.id);
                self.selection.task_id = None;
                if let Some(i) =
                    self.board.as_ref().and_then(|b| b.statuses.iter().position(|s| s.id == status.id))
                {
                    self.selection.column_index = i;
                }
            }
            // So is one we brought back (from the trash, or by undoing).
            BoardChange::TaskRestored(task) if done.is_some() => {
                self.selection.status_id = Some(task.status_id);
                self.selection.task_id = Some(task.id);
            }
            _ => {}
        }
    }

    /// A read's answer, shown where it was asked for if that is still open.
    fn read(&mut self, answer: NetEvent) {
        match answer {
            NetEvent::Comments { task_id, comments, history } => {
                if let Mode::Card(view) = &mut self.mode
                    && view.task_id == task_id
                {
                    view.comments = Some(comments);
                    view.history = Some(history);
                }
            }
            NetEvent::Activity { project_id, lines } => {
                if let Mode::Activity(shown, _) = &mut self.mode
                    && Some(project_id) == self.project_id
                {
                    *shown = Some(lines);
                }
            }
            NetEvent::Trash { project_id, trash } => {
                if let Mode::Trash(view) = &mut self.mode
                    && Some(project_id) == self.project_id
                {
                    view.fill(trash);
                }
            }
            _ => {}
        }
    }

    /// Who is here and where they point; ignored while the presence list is
    /// stale (until the next one comes whole).
    fn presence_event(&mut self, event: NetEvent) -> Vec<Command> {
        match event {
            NetEvent::Present(members) => {
                self.presence_stale = false;
                self.presence.reset(members);
            }
            _ if self.presence_stale => {}
            NetEvent::Joined(id, info) => {
                let newcomer = self.presence.join(id, info);
                if newcomer {
                    // A newcomer has not seen where I point.
                    self.throttle.answer(tokio::time::Instant::now());
                }
            }
            NetEvent::Left(id) => {
                if self.following.as_ref() == Some(&id) {
                    self.unfollow(|n| format!("{n} left: not following anyone"));
                }
                self.presence.leave(&id);
            }
            NetEvent::Switched { user_id, project_id } => return self.switched(user_id, project_id),
            NetEvent::CursorRequested => self.throttle.answer(tokio::time::Instant::now()),
            NetEvent::Cursor { user_id, pos } => {
                let seen = super::seen::seen_of!(self);
                if self.following.as_ref() == Some(&user_id)
                    && let Some(board) = seen.as_deref()
                {
                    self.selection.select(board, &self.filter, pos.status_id, pos.task_id);
                }
                drop(seen);
                self.presence.point(user_id, pos);
            }
            _ => {}
        }
        Vec::new()
    }

    /// Someone went to another board: the one followed is followed there.
    fn switched(&mut self, user_id: String, project_id: i64) -> Vec<Command> {
        if self.following.as_ref() != Some(&user_id) {
            return Vec::new();
        }
        let name = self.presence.info(&user_id).map_or_else(|| "them".into(), |i| i.name.clone());
        match self.projects.iter().find(|p| p.id == project_id).map(|p| p.name.clone()) {
            Some(project) => {
                // Still following, on the other board: their cursor comes with
                // those already there.
                let out = self.open(project_id);
                self.following = Some(user_id);
                self.info(format!("Following {name} to {project}: a move key stops"));
                out
            }
            None => {
                self.unfollow(|n| format!("{n} went to a board you cannot open: not following anyone"));
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
        self.history = History::default();
        self.deferred.clear();
        // The network side stops: what was in flight may never be answered.
        self.reads.reset();
        if !matches!(self.mode, Mode::Form(_)) {
            self.mode = Mode::Board;
        }
        vec![Command::Net(Request::Pause)]
    }

    /// A card this person just made that the filter hides: said, with why, so
    /// that it does not seem lost.
    fn say_if_hidden(&mut self, task: &Task) {
        let Some(board) = &self.board else { return };
        if self.filter.matches(board, task) {
            return;
        }
        let why = self.filter.why_not(board, task).join(", ");
        let mut title: String = task.title.chars().take(40).collect();
        if title.len() < task.title.len() {
            title.push('…');
        }
        self.info(format!(
            "“{title}” is made, but the filter “{}” hides it: {why} ({} clears the filter)",
            self.filter.as_str(),
            self.keymap.say(BoardAction::ClearFilter)
        ));
    }

    /// The person asks to try again: after a refusal, or now rather than when the
    /// backoff says.
    pub fn retry(&mut self) -> Vec<Command> {
        self.connection = Connection::Connecting;
        self.notice = None;
        vec![Command::Net(Request::Retry)]
    }

    /// The sent form of `change`, if it was one.
    fn take_draft(&mut self, change: impl Fn(&Change) -> bool) -> Option<Box<CardForm>> {
        let i = self.drafts.iter().position(|d| change(&d.sent))?;
        Some(self.drafts.remove(i).form)
    }

    /// A form comes back: now if the board has the keyboard, else as soon as it does.
    fn reopen(&mut self, form: Box<CardForm>) {
        if matches!(self.mode, Mode::Board) {
            self.mode = Mode::Form(form);
        } else {
            self.unsaved.push(*form);
        }
    }

    /// A change was not made. A card's comes back in its form (the one it was sent
    /// from, or, for a change kept from an earlier run, one made from it) with the
    /// reason beside the field at fault; any other is said in the status bar.
    fn not_saved(&mut self, change: Change, message: String, field: Option<FieldName>) {
        let form = self.take_draft(|sent| *sent == change).or_else(|| self.form_of(&change, None));
        match form {
            Some(mut form) => {
                let field = field.and_then(Field::of);
                if let Some(f) = field {
                    form.field = f;
                }
                form.error = Some((field, format!("Not saved: {message}")));
                self.reopen(form);
            }
            None => self.error(message),
        }
    }

    /// A form holding what `change` (a card's) would have done, over the card as it
    /// is (`current`, or as this board has it).
    fn form_of(&self, change: &Change, current: Option<&Task>) -> Option<Box<CardForm>> {
        let board = self.board.as_ref()?;
        let members = board.members.clone();
        match change {
            Change::CreateTask { new, .. } => Some(Box::new(CardForm::from_new(new, members))),
            Change::UpdateTask { task_id, patch } => {
                let task = current.or_else(|| board.task(*task_id))?;
                let mut form = CardForm::edit(task, members, false);
                form.apply(patch);
                Some(Box::new(form))
            }
            _ => None,
        }
    }

    /// The project's members changed (granted, role changed, revoked): the board
    /// takes them (names and colors of assignees, this person's role), open forms
    /// their assignee choices, and the status bar says what changed.
    fn members_now(&mut self, project_id: i64, members: Vec<Member>) {
        let Some(board) = self.board.as_mut().filter(|b| b.project.id == project_id) else { return };
        if board.members == members {
            return;
        }
        let me = self.me.as_ref().map(|u| u.id);
        let said = members_said(&board.members, &members, me);
        if let Some(mine) = members.iter().find(|m| Some(m.id) == me) {
            board.project.role = mine.role;
            if let Some(p) = self.projects.iter_mut().find(|p| p.id == project_id) {
                p.role = mine.role;
            }
        }
        board.set_members(members.clone());
        let forms = self.drafts.iter_mut().map(|d| &mut *d.form).chain(self.unsaved.iter_mut());
        let open = match &mut self.mode {
            Mode::Form(form) => Some(&mut **form),
            _ => None,
        };
        for form in forms.chain(open) {
            form.set_members(members.clone());
        }
        if !said.is_empty() {
            self.info(said.join(" · "));
        }
    }

    /// An edit refused because the card changed meanwhile: the form comes back
    /// over the card as it is now, with this user's changes in it.
    fn stale(&mut self, change: Change, message: String, current: Task) {
        let id = current.id;
        let draft =
            self.take_draft(|sent| matches!(sent, Change::UpdateTask { task_id, .. } if *task_id == id));
        let form = match draft {
            Some(mut form) => {
                form.rebase(current);
                Some(form)
            }
            // A change kept from an earlier run: its values over the card as it is.
            None => self.form_of(&change, Some(&current)),
        };
        match form {
            Some(mut form) => {
                // Instead of the server's wording (versions), what to do now.
                form.error = Some((
                    None,
                    "Someone changed this card meanwhile: your edit is kept over theirs. Save again, or Esc"
                        .into(),
                ));
                self.reopen(form);
            }
            None => self.error(message),
        }
    }

    /// An open card form follows its card through someone else's change: a
    /// deletion (the card gone, on its own or with its column), or an edit or move
    /// (the form moves onto the card as it is now, and says who did what).
    fn follow_form(&mut self, by: Option<i64>) {
        let (Mode::Form(form), Some(board)) = (&mut self.mode, &self.board) else { return };
        let Some(base) = form.task.as_ref().filter(|_| form.deleted_by.is_none()) else { return };
        let who = by.and_then(|id| board.member(id)).map_or("someone", |m| m.name.as_str()).to_string();
        match board.task(base.id) {
            None => form.deleted(&who),
            Some(now) if now.version != base.version => {
                let column = board.status(now.status_id).map(|s| s.name.clone());
                form.follow(now.clone(), &who, column.as_deref());
            }
            Some(_) => {}
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
            Applied::Applied => {
                threads(&mut self.mode, &mut self.return_view, &event.change);
                self.follow_form(Some(event.by));
                // An open trash view is fetched again when the trash changed.
                let trashed = matches!(
                    event.change,
                    BoardChange::TaskDeleted { .. }
                        | BoardChange::StatusDeleted { .. }
                        | BoardChange::TaskRestored(_)
                        | BoardChange::StatusRestored { .. }
                );
                if trashed && matches!(self.mode, Mode::Trash(_)) {
                    return vec![Command::Net(Request::Trash(project_id))];
                }
                // An open history takes the change in.
                if matches!(self.mode, Mode::Activity(..)) {
                    return vec![Command::Net(Request::Activity(project_id))];
                }
                Vec::new()
            }
            Applied::AlreadySeen => Vec::new(),
            Applied::Gap { have, .. } => {
                let rev = event.rev;
                self.pending.push(event);
                self.gap_tries += 1;
                if self.gap_tries <= MAX_CATCH_UPS {
                    self.catching_up = true;
                    let epoch = self.board.as_ref().map_or(0, |b| b.epoch);
                    vec![Command::Net(Request::CatchUp { project_id, after: have, epoch })]
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
        // The picker's counts of the person's cards.
        let mut out = vec![Command::Net(Request::MyWork)];
        if let Some(wanted) = self.wanted_project.take() {
            let found = self.projects.iter().find(|p| p.id.to_string() == wanted || p.name == wanted);
            out.extend(match found {
                Some(p) => self.open(p.id),
                None => {
                    self.error(format!("No project {wanted:?} among yours"));
                    self.pick_or_open()
                }
            });
            return out;
        }
        out.extend(self.pick_or_open());
        out
    }

    /// A board this person made (it opens), renamed or archived (it leaves the
    /// picker; open, it stays readable).
    fn project_changed(&mut self, project: Project) -> Vec<Command> {
        let name = project.name.clone();
        match self.projects.iter().position(|p| p.id == project.id) {
            None if project.archived => {}
            None => {
                self.projects.push(project.clone());
                self.info(format!("Made the board {name}: M adds its members"));
                return self.open(project.id);
            }
            Some(i) if project.archived => {
                if self.show_archived {
                    self.projects[i] = project;
                } else {
                    self.projects.remove(i);
                }
                self.info(format!(
                    "Archived {name}: it takes no changes until an owner brings it back (P . x)"
                ));
            }
            Some(i) if self.projects[i].archived => {
                self.projects[i] = project;
                self.info(format!("Brought {name} back: it takes changes again"));
            }
            Some(i) => {
                if let Some(board) = self.board.as_mut().filter(|b| b.project.id == project.id) {
                    board.project.name.clone_from(&name);
                }
                self.projects[i] = project;
                self.info(format!("The board is {name} now"));
            }
        }
        Vec::new()
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
        // The board left is seen as it was.
        let mut out: Vec<Command> = self.seen_now().into_iter().collect();
        self.marks = super::since::Marks::default();
        self.reach.jump = None;
        self.project_id = Some(project_id);
        self.board = None;
        self.pending.clear();
        self.catching_up = false;
        self.gap_tries = 0;
        self.selection = Selection::default();
        self.presence = Presence::default();
        self.presence_stale = true;
        self.history = History::default();
        self.deferred.clear();
        self.mode = Mode::Board;
        out.extend([
            Command::Net(Request::Open(project_id)),
            Command::Net(Request::Reload(project_id)),
            Command::Net(Request::Since(project_id)),
        ]);
        out
    }
}

/// The kind of read `event` answers, if it answers one.
fn answers(event: &NetEvent) -> Option<super::reads::Read> {
    use super::reads::Read;
    match event {
        NetEvent::Snapshot(_) | NetEvent::Missed(_) => Some(Read::Board),
        NetEvent::Trash { .. } => Some(Read::Trash),
        NetEvent::Comments { .. } => Some(Read::Thread),
        NetEvent::Activity { .. } => Some(Read::History),
        NetEvent::Inbox { .. } => Some(Read::Inbox),
        NetEvent::MyWork(_) => Some(Read::Work),
        NetEvent::NotRead { read, .. } => Some(*read),
        _ => None,
    }
}

/// What changed between two member lists, as sentences: who joined, who left,
/// whose role changed (this person's own said as "you").
fn members_said(before: &[Member], after: &[Member], me: Option<i64>) -> Vec<String> {
    let mut said = Vec::new();
    for m in after {
        let you = Some(m.id) == me;
        match before.iter().find(|b| b.id == m.id) {
            None => said.push(format!("{} joined the project ({})", m.name, m.role)),
            Some(b) if b.role != m.role && you && !m.role.can_write() => {
                said.push("You are now a viewer: the board is read-only".to_string());
            }
            Some(b) if b.role != m.role && you => {
                said.push(format!("You are now {}: you can change the board", with_article(m.role)));
            }
            Some(b) if b.role != m.role => said.push(format!("{} is now {}", m.name, with_article(m.role))),
            Some(_) => {}
        }
    }
    for b in before.iter().filter(|b| !after.iter().any(|m| m.id == b.id)) {
        said.push(format!("{} no longer has access", b.name));
    }
    said
}

/// "a member", "an owner".
fn with_article(role: Role) -> String {
    let article = if role == Role::Owner { "an" } else { "a" };
    format!("{article} {role}")
}

/// Keeps the open card's thread (and one waiting behind a comment prompt) as a
/// comment event says it is now.
fn threads(mode: &mut Mode, waiting: &mut Option<super::card_view::CardView>, change: &BoardChange) {
    if let Mode::Card(view) = mode {
        view.comment_event(change);
    }
    if let Some(view) = waiting {
        view.comment_event(change);
    }
}
