//! Reaching the person across boards: the unread count (kept live by their own
//! channel, so that marking read on one client shows on all), the inbox (`i`),
//! their work on every board (`m`, and the picker's counts from it), who watches
//! a card (`W`), and the jump from either list to a card on its board. A bell
//! (the config's `[notify]`) rings for a new mention.

use std::collections::HashMap;

use jiff::civil::Date;
use kanban_protocol::inbox::{MarkRead, MyTask, Notification, NotificationsRead, kinds};
use kanban_protocol::model::User;

use super::input::{KeyCode, KeyEvent};
use super::{App, Command, Mode, Request};
use crate::due;
use crate::link::reads::INBOX_PAGE;

/// The inbox's list: `None` while it is fetched.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InboxView {
    pub items: Option<Vec<Notification>>,
    pub chosen: usize,
    /// Older ones are to be had (the last page came full): ↓ past the last asks.
    pub more: bool,
}

/// How the person is told of a new mention, from the config's `[notify]`:
/// nothing by default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Notify {
    /// The terminal's bell (BEL).
    pub bell: bool,
    /// A desktop notification through the terminal (OSC 9 and OSC 777).
    pub desktop: bool,
}

impl Notify {
    /// As a list of words says (`bell`, `desktop`, `bell,desktop`): how an SSH
    /// client asks, with no config file of theirs on the server. Other words are
    /// left aside.
    pub fn from_words(words: &str) -> Self {
        let said = |w: &str| words.split([',', ' ']).any(|x| x.trim().eq_ignore_ascii_case(w));
        Notify { bell: said("bell"), desktop: said("desktop") }
    }

    /// What to write to the terminal for `text`, if anything.
    pub fn sequence(self, text: &str) -> Option<String> {
        if !self.bell && !self.desktop {
            return None;
        }
        let mut out = String::new();
        if self.desktop {
            // Only what a terminal shows as text: no escape of the server's may
            // ride along in the title.
            let text: String = text.chars().filter(|c| !c.is_control() && *c != ';').take(200).collect();
            out.push_str(&format!("\x1b]9;{text}\x07\x1b]777;notify;kanban;{text}\x07"));
        }
        if self.bell {
            out.push('\x07');
        }
        Some(out)
    }
}

/// What the person knows across boards, kept by the app.
#[derive(Debug, Default)]
pub struct Reach {
    /// How many notifications are unread (`None` until the server says).
    pub unread: Option<u64>,
    /// Their open cards across boards, due first, as last read.
    pub work: Option<Vec<MyTask>>,
    /// Who watches each card, as last read.
    pub watchers: HashMap<i64, Vec<User>>,
    /// A card to select once its board is here: (project, card).
    pub jump: Option<(i64, i64)>,
    pub notify: Notify,
}

impl Reach {
    /// `(open cards, overdue ones)` of the person's on board `project_id`, from
    /// the last read of their work.
    pub fn counts(&self, project_id: i64, today: Date) -> Option<(usize, usize)> {
        let mine: Vec<&MyTask> =
            self.work.as_ref()?.iter().filter(|t| t.task.project_id == project_id).collect();
        let overdue = mine.iter().filter(|t| is_overdue(t, today)).count();
        Some((mine.len(), overdue))
    }
}

/// Whether a card of the person's work is past its due date.
pub fn is_overdue(task: &MyTask, today: Date) -> bool {
    !task.done
        && task
            .task
            .due_date
            .as_deref()
            .and_then(|d| due::when(d, today))
            .is_some_and(|w| matches!(w, due::When::Overdue(_)))
}

/// The person's work grouped by board (in the order their boards first come,
/// due first within each, as the server sends them).
pub fn by_board(work: &[MyTask]) -> Vec<(&str, Vec<&MyTask>)> {
    let mut groups: Vec<(&str, Vec<&MyTask>)> = Vec::new();
    for task in work {
        match groups.iter_mut().find(|(_, list)| list[0].task.project_id == task.task.project_id) {
            Some((_, list)) => list.push(task),
            None => groups.push((task.project.as_str(), vec![task])),
        }
    }
    groups
}

/// The cards of the work list in the order it shows them.
fn work_order(work: &[MyTask]) -> Vec<&MyTask> {
    by_board(work).into_iter().flat_map(|(_, list)| list).collect()
}

/// When something happened, in words from `today` where the person is:
/// `today 17:40`, `yesterday 17:40`, `Mon 17:40`, else the date.
pub fn said_when(at: &str, zone: &jiff::tz::TimeZone, today: Date) -> String {
    let Ok(ts) = at.parse::<jiff::Timestamp>() else { return at.to_string() };
    let there = ts.to_zoned(zone.clone());
    let time = there.strftime("%H:%M");
    match (today - there.date()).get_days() {
        0 => format!("today {time}"),
        1 => format!("yesterday {time}"),
        2..=6 => format!("{} {time}", there.strftime("%a")),
        _ => there.date().to_string(),
    }
}

impl App {
    /// The news of the person's own channel and the answers of the reads here.
    pub(super) fn reach_event(&mut self, event: super::NetEvent) -> Vec<Command> {
        use super::NetEvent;
        match event {
            NetEvent::Unread(n) => self.reach.unread = Some(n),
            NetEvent::Notified(n) => {
                if !n.read {
                    self.reach.unread = Some(self.reach.unread.unwrap_or(0) + 1);
                }
                if n.kind == kinds::MENTIONED
                    && let Some(sequence) = self.reach.notify.sequence(&n.what)
                {
                    self.alert = Some(sequence);
                }
                if let Mode::Inbox(view) = &mut self.mode
                    && let Some(items) = &mut view.items
                    && !items.iter().any(|i| i.id == n.id)
                {
                    items.insert(0, *n);
                    // The one chosen stays chosen.
                    view.chosen += 1;
                }
            }
            NetEvent::NotificationsRead(NotificationsRead { ids, all, unread }) => {
                self.reach.unread = Some(unread);
                if let Mode::Inbox(InboxView { items: Some(items), .. }) = &mut self.mode {
                    for item in items.iter_mut().filter(|i| all || ids.contains(&i.id)) {
                        item.read = true;
                    }
                }
            }
            NetEvent::Inbox { before, page } => {
                if let Mode::Inbox(view) = &mut self.mode {
                    view.more = page.len() >= INBOX_PAGE as usize;
                    match (before, &mut view.items) {
                        // Older ones, after those shown (unless the list began again).
                        (Some(before), Some(items)) if items.last().is_some_and(|n| n.id == before) => {
                            items.extend(page);
                        }
                        (Some(_), _) => {}
                        (None, items) => {
                            view.chosen = view.chosen.min(page.len().saturating_sub(1));
                            *items = Some(page);
                        }
                    }
                }
            }
            NetEvent::MyWork(work) => {
                if let Mode::Work(chosen) = &mut self.mode {
                    *chosen = (*chosen).min(work.len().saturating_sub(1));
                }
                self.reach.work = Some(work);
            }
            NetEvent::Watchers { task_id, watchers } => {
                self.reach.watchers.insert(task_id, watchers);
            }
            _ => {}
        }
        Vec::new()
    }

    /// Whether the person watches card `task_id`, as far as the app knows.
    pub fn watching(&self, task_id: i64) -> Option<bool> {
        let me = self.me.as_ref()?.id;
        Some(self.reach.watchers.get(&task_id)?.iter().any(|u| u.id == me))
    }

    /// `W`: watches the card, or stops (when the app knows it is watched).
    pub(super) fn toggle_watch(&mut self, task_id: i64, title: &str) -> Vec<Command> {
        let watch = !self.watching(task_id).unwrap_or(false);
        self.info(if watch {
            format!("Watching “{title}”: its changes and comments reach your inbox")
        } else {
            format!("No longer watching “{title}”")
        });
        vec![Command::Net(Request::Watch { task_id, watch: Some(watch) })]
    }

    /// Opens the inbox, asking for its first page.
    pub(super) fn open_inbox(&mut self) -> Vec<Command> {
        self.mode = Mode::Inbox(InboxView::default());
        vec![Command::Net(Request::Inbox { unread_only: false, before: None })]
    }

    /// Opens the person's work, asking for it again (the last read shows
    /// meanwhile).
    pub(super) fn open_work(&mut self) -> Vec<Command> {
        self.mode = Mode::Work(0);
        vec![Command::Net(Request::MyWork)]
    }

    /// Goes to card `task_id` of board `project_id`: at once on the open board,
    /// else once the other board is here (opened as the picker opens one).
    pub(super) fn jump(&mut self, project_id: i64, task_id: i64) -> Vec<Command> {
        if self.project_id == Some(project_id) {
            self.reach.jump = Some((project_id, task_id));
            self.land();
            return Vec::new();
        }
        if !self.projects.iter().any(|p| p.id == project_id) {
            self.error("That board is not among yours any more");
            return Vec::new();
        }
        self.unfollow(|n| format!("Stopped following {n}"));
        let out = self.open(project_id);
        self.reach.jump = Some((project_id, task_id));
        out
    }

    /// Selects the card a jump is for, if its board is here now.
    pub(super) fn land(&mut self) {
        let Some((project_id, task_id)) = self.reach.jump else { return };
        if self.project_id != Some(project_id) {
            self.reach.jump = None;
            return;
        }
        let Some(board) = &self.board else { return };
        self.reach.jump = None;
        let Some(status_id) = board.task(task_id).map(|t| t.status_id) else {
            self.error("That card is no longer on the board");
            return;
        };
        if !self.filter.is_empty() && board.task(task_id).is_some_and(|t| !self.filter.matches(board, t)) {
            // The card is what was asked for: the filter that hides it goes.
            self.filter.clear();
            self.info("The filter hid that card: cleared");
        }
        let seen = super::seen::seen_of!(self);
        if let Some(board) = seen.as_deref() {
            self.selection.select(board, &self.filter, status_id, Some(task_id));
        }
    }
}

/// A key in the inbox: ↑↓ choose, Enter goes to the card (and marks it read),
/// `r` marks all read, Esc closes.
pub(super) fn inbox_key(app: &mut App, key: KeyEvent, mut view: InboxView) -> Vec<Command> {
    let len = view.items.as_ref().map_or(0, Vec::len);
    match key.code {
        KeyCode::Up | KeyCode::Char('k') => view.chosen = view.chosen.saturating_sub(1),
        KeyCode::Down | KeyCode::Char('j') if view.more && view.chosen + 1 >= len => {
            // Past the last: the next page, once.
            view.more = false;
            let before = view.items.as_ref().and_then(|i| i.last()).map(|n| n.id);
            app.mode = Mode::Inbox(view);
            return vec![Command::Net(Request::Inbox { unread_only: false, before })];
        }
        KeyCode::Down | KeyCode::Char('j') => view.chosen = (view.chosen + 1).min(len.saturating_sub(1)),
        KeyCode::Home | KeyCode::Char('g') => view.chosen = 0,
        KeyCode::End | KeyCode::Char('G') => view.chosen = len.saturating_sub(1),
        KeyCode::Char('r') => {
            app.mode = Mode::Inbox(view);
            return vec![Command::Net(Request::MarkRead(MarkRead { ids: Vec::new(), all: true }))];
        }
        KeyCode::Enter => {
            let Some(n) = view.items.as_ref().and_then(|i| i.get(view.chosen)).cloned() else {
                app.mode = Mode::Inbox(view);
                return Vec::new();
            };
            let mut out = Vec::new();
            if !n.read {
                out.push(Command::Net(Request::MarkRead(MarkRead { ids: vec![n.id], all: false })));
            }
            match n.task_id {
                Some(task_id) => out.extend(app.jump(n.project_id, task_id)),
                None => {
                    app.mode = Mode::Inbox(view);
                    app.info("That one is of no card");
                }
            }
            return out;
        }
        KeyCode::Esc | KeyCode::Char('q') | KeyCode::Char('i') => return Vec::new(),
        _ => {}
    }
    app.mode = Mode::Inbox(view);
    Vec::new()
}

/// A key in the person's work: ↑↓ choose, Enter goes to the card, Esc closes.
pub(super) fn work_key(app: &mut App, key: KeyEvent, chosen: usize) -> Vec<Command> {
    let len = app.reach.work.as_ref().map_or(0, Vec::len);
    let chosen = match key.code {
        KeyCode::Up | KeyCode::Char('k') => chosen.saturating_sub(1),
        KeyCode::Down | KeyCode::Char('j') => (chosen + 1).min(len.saturating_sub(1)),
        KeyCode::Home | KeyCode::Char('g') => 0,
        KeyCode::End | KeyCode::Char('G') => len.saturating_sub(1),
        KeyCode::Enter => {
            let target = app
                .reach
                .work
                .as_deref()
                .and_then(|w| work_order(w).get(chosen).map(|t| (t.task.project_id, t.task.id)));
            return match target {
                Some((project_id, task_id)) => app.jump(project_id, task_id),
                None => {
                    app.mode = Mode::Work(chosen);
                    Vec::new()
                }
            };
        }
        KeyCode::Esc | KeyCode::Char('q') | KeyCode::Char('m') => return Vec::new(),
        _ => chosen,
    };
    app.mode = Mode::Work(chosen);
    Vec::new()
}
