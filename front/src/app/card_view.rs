//! A card's view (`Enter`): the whole title and description, wrapped, its
//! checklist, and every field, scrolled when it is taller than the screen. It
//! follows the live card (an edit or a tick by someone else shows at once); `e`
//! edits it, for those who may. `Tab` chooses an item of the checklist, then a
//! comment of the thread: on an item `Space` ticks it, `e` edits, `d` deletes and
//! `J`/`K` move it; on a comment `e` edits and `d` deletes it (its author's or an
//! owner's to do). `a` adds an item; `Esc` lets the chosen one go.

use jiff::civil::Date;
use kanban_protocol::board::BoardState;
use kanban_protocol::event::BoardChange;
use kanban_protocol::model::{Activity, ChecklistItem, Comment, Priority, Task, User};

use super::input::{KeyCode, KeyEvent};
use crate::due;
use crate::geometry::{self, TextBox};

/// The open view: which card, how far down it is scrolled, and its thread of
/// comments (`None` until it has been fetched).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardView {
    pub task_id: i64,
    pub scroll: u16,
    pub comments: Option<Vec<Comment>>,
    /// The card's history, newest first, as of opening.
    pub history: Option<Vec<Activity>>,
    /// What `Tab` chose.
    pub chosen: Option<Chosen>,
}

/// What `Tab` chose in the view: an item of the checklist or a comment, by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chosen {
    Item(i64),
    Comment(i64),
}

/// What a key did to the view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewOutcome {
    Stay,
    Close,
    Edit,
    /// `c`: write a comment.
    Comment,
    /// `e` on a chosen comment.
    EditComment(i64),
    /// `d` on a chosen comment.
    DeleteComment(i64),
    /// `a`: a new item, after the chosen one (at the end when none is).
    AddItem {
        after: Option<i64>,
    },
    /// `Space` on a chosen item.
    TickItem(i64),
    /// `e` on a chosen item.
    EditItem(i64),
    /// `d` on a chosen item.
    DeleteItem(i64),
    /// `J` (down) or `K` on a chosen item.
    MoveItem {
        id: i64,
        down: bool,
    },
    /// `W`: watch the card, or stop.
    Watch,
}

/// How a line of the view is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Title,
    /// Where it is, who made it: dimmed.
    Meta,
    /// `Name      value`.
    Field,
    /// The chosen item, or the chosen comment's first line.
    Chosen,
    /// An item of the checklist, ticked or not.
    Item(bool),
    /// The due date, drawn as the board draws it.
    Due(Option<due::When>),
    /// `#labels`, each in its color.
    Labels,
    /// The description's line `n`, as [`crate::markdown::render`] makes it.
    Markdown(usize),
    Heading,
    Text,
    Blank,
}

impl CardView {
    pub fn new(task_id: i64) -> Self {
        CardView { task_id, scroll: 0, comments: None, history: None, chosen: None }
    }

    /// Keeps the thread as a comment event of this card says it is now, and lets
    /// go of a chosen item that was deleted.
    pub fn comment_event(&mut self, change: &BoardChange) {
        if let BoardChange::ItemDeleted(item) = change
            && self.chosen == Some(Chosen::Item(item.id))
        {
            self.chosen = None;
        }
        let Some(thread) = &mut self.comments else { return };
        match change {
            BoardChange::CommentCreated { comment, .. } | BoardChange::CommentUpdated { comment, .. }
                if comment.task_id == self.task_id =>
            {
                match thread.iter_mut().find(|c| c.id == comment.id) {
                    Some(c) => *c = comment.clone(),
                    None => thread.push(comment.clone()),
                }
            }
            BoardChange::CommentDeleted { id, .. } => {
                thread.retain(|c| c.id != *id);
                if self.chosen == Some(Chosen::Comment(*id)) {
                    self.chosen = None;
                }
            }
            _ => {}
        }
    }

    /// Handles a key; `text` is the view's box on this screen (for how far it
    /// scrolls), `items` the card's checklist (what `Tab` chooses first).
    pub fn key(&mut self, key: KeyEvent, text: &TextBox, items: &[ChecklistItem]) -> ViewOutcome {
        let page = text.visible.max(1);
        let last = text.max_scroll();
        let item = match self.chosen {
            Some(Chosen::Item(id)) => Some(id),
            _ => None,
        };
        if let Some(id) = item {
            match key.code {
                KeyCode::Char(' ') => return ViewOutcome::TickItem(id),
                KeyCode::Char('J') => return ViewOutcome::MoveItem { id, down: true },
                KeyCode::Char('K') => return ViewOutcome::MoveItem { id, down: false },
                _ => {}
            }
        }
        match key.code {
            KeyCode::Down | KeyCode::Char('j') => self.scroll = self.scroll.saturating_add(1).min(last),
            KeyCode::Up | KeyCode::Char('k') => self.scroll = self.scroll.saturating_sub(1),
            KeyCode::PageDown | KeyCode::Char(' ') => {
                self.scroll = self.scroll.saturating_add(page).min(last)
            }
            KeyCode::PageUp => self.scroll = self.scroll.saturating_sub(page),
            KeyCode::Home | KeyCode::Char('g') => self.scroll = 0,
            KeyCode::End | KeyCode::Char('G') => self.scroll = last,
            KeyCode::Tab => self.choose(1, items),
            KeyCode::BackTab => self.choose(-1, items),
            KeyCode::Char('e') => {
                return match self.chosen {
                    None => ViewOutcome::Edit,
                    Some(Chosen::Item(id)) => ViewOutcome::EditItem(id),
                    Some(Chosen::Comment(id)) => ViewOutcome::EditComment(id),
                };
            }
            KeyCode::Char('d') => match self.chosen {
                Some(Chosen::Item(id)) => return ViewOutcome::DeleteItem(id),
                Some(Chosen::Comment(id)) => return ViewOutcome::DeleteComment(id),
                None => {}
            },
            KeyCode::Char('a') => return ViewOutcome::AddItem { after: item },
            KeyCode::Char('c') => return ViewOutcome::Comment,
            KeyCode::Char('W') => return ViewOutcome::Watch,
            KeyCode::Esc if self.chosen.is_some() => self.chosen = None,
            KeyCode::Esc | KeyCode::Enter | KeyCode::Char('q') => return ViewOutcome::Close,
            _ => {}
        }
        ViewOutcome::Stay
    }
}

impl CardView {
    /// Chooses the next (`1`) or the previous (`-1`) of the checklist's items and
    /// then the thread's comments, from the first or the last when none is
    /// chosen, and none past either end.
    fn choose(&mut self, step: isize, items: &[ChecklistItem]) {
        let all: Vec<Chosen> = items
            .iter()
            .map(|i| Chosen::Item(i.id))
            .chain(self.comments.iter().flatten().map(|c| Chosen::Comment(c.id)))
            .collect();
        if all.is_empty() {
            return;
        }
        let at = self.chosen.and_then(|c| all.iter().position(|a| *a == c));
        let next = match at {
            None if step > 0 => Some(0),
            None => Some(all.len() - 1),
            Some(i) => i.checked_add_signed(step).filter(|n| *n < all.len()),
        };
        self.chosen = next.map(|n| all[n]);
    }

    /// A comment of the thread, by id.
    pub fn comment(&self, id: i64) -> Option<&Comment> {
        self.comments.iter().flatten().find(|c| c.id == id)
    }

    /// Scrolls so that the chosen comment's first line is in sight, given the
    /// view's `lines` and its box.
    pub fn show_chosen(&mut self, lines: &[(Part, String)], text: &TextBox) {
        let Some(line) = lines.iter().position(|(part, _)| *part == Part::Chosen) else { return };
        let Some(row) = text.rows.iter().position(|(i, _)| *i == line) else { return };
        let row = u16::try_from(row).unwrap_or(u16::MAX);
        if row < self.scroll {
            self.scroll = row;
        } else if row >= self.scroll + text.visible.max(1) {
            self.scroll = (row + 1).saturating_sub(text.visible.max(1)).min(text.max_scroll());
        }
    }
}

/// What the view shows beside the card itself, each `None` until it is fetched.
#[derive(Debug, Clone, Copy, Default)]
pub struct Fetched<'a> {
    pub comments: Option<&'a [Comment]>,
    pub history: Option<&'a [Activity]>,
    pub watchers: Option<&'a [User]>,
}

/// The view's lines for `task` and its thread, before wrapping.
pub fn lines(
    board: &BoardState,
    task: &Task,
    fetched: Fetched<'_>,
    chosen: Option<Chosen>,
    today: Date,
    zone: &jiff::tz::TimeZone,
) -> Vec<(Part, String)> {
    let Fetched { comments, history, watchers } = fetched;
    let who = |id: Option<i64>| {
        id.and_then(|id| board.member(id)).map_or_else(|| "someone".to_string(), |m| m.name.clone())
    };
    let column = board.status(task.status_id).map_or("?", |s| s.name.as_str());
    let mut out = vec![
        (Part::Title, task.title.clone()),
        (Part::Meta, format!("in {column} · card #{} · version {}", task.id, task.version)),
        (Part::Blank, String::new()),
    ];
    let assignee = task.assignee_id.map_or_else(|| "nobody".to_string(), |id| who(Some(id)));
    out.push((Part::Field, format!("Assignee   {assignee}")));
    if task.priority != Priority::None {
        out.push((Part::Field, format!("Priority   {}", task.priority.as_str())));
    }
    if let Some(d) = &task.due_date {
        let when = due::when(d, today);
        let said = when.map(|w| format!(" · {}", w.short(today))).unwrap_or_default();
        out.push((Part::Due(when), format!("Due        {d}{said}")));
    }
    if !task.labels.is_empty() {
        let labels: Vec<String> = task.labels.iter().map(|l| format!("#{l}")).collect();
        out.push((Part::Labels, format!("Labels     {}", labels.join(" "))));
    }
    match watchers {
        Some([]) => out.push((Part::Field, "Watching   nobody (W watches)".to_string())),
        Some(people) => {
            let names: Vec<&str> = people.iter().map(|u| u.name.as_str()).collect();
            out.push((Part::Field, format!("Watching   {}", names.join(", "))));
        }
        None => {}
    }
    out.push((Part::Blank, String::new()));
    if task.description.trim().is_empty() {
        out.push((Part::Meta, "No description.".to_string()));
    } else {
        out.push((Part::Heading, "Description".to_string()));
        let rendered = crate::markdown::render(&task.description);
        out.extend(rendered.into_iter().enumerate().map(|(n, l)| (Part::Markdown(n), l.text)));
    }
    out.push((Part::Blank, String::new()));
    if task.checklist.is_empty() {
        out.push((Part::Meta, "No checklist (a adds an item).".to_string()));
    } else {
        let done = task.checklist.iter().filter(|i| i.done).count();
        let n = task.checklist.len();
        out.push((Part::Heading, format!("Checklist {done}/{n} · Tab chooses an item, a adds one")));
        for item in &task.checklist {
            let mark = if item.done { TICKED } else { UNTICKED };
            out.push(match chosen == Some(Chosen::Item(item.id)) {
                true => (
                    Part::Chosen,
                    format!("▶ {mark} {} · Space ticks, e edits, d deletes, J/K move", item.text),
                ),
                false => (Part::Item(item.done), format!("  {mark} {}", item.text)),
            });
        }
    }
    out.push((Part::Blank, String::new()));
    out.push((Part::Meta, format!("created by {} {}", who(task.created_by), minute(&task.created_at, zone))));
    out.push((Part::Meta, format!("updated by {} {}", who(task.updated_by), minute(&task.updated_at, zone))));
    out.push((Part::Blank, String::new()));
    match comments {
        None => out.push((Part::Meta, "Comments: loading…".to_string())),
        Some([]) => out.push((Part::Meta, "No comments yet (c writes one).".to_string())),
        Some(thread) => {
            out.push((Part::Heading, format!("Comments ({}) · Tab chooses one", thread.len())));
            for c in thread {
                // Someone else's change of these words is said, with who made it.
                let edited = match c.edited_by {
                    Some(editor) if Some(editor) != c.author_id => {
                        format!(" · edited by {}", who(Some(editor)))
                    }
                    _ if c.updated_at != c.created_at => " · edited".to_string(),
                    _ => String::new(),
                };
                let said = format!("{} · {}{edited}", who(c.author_id), minute(&c.created_at, zone));
                out.push(match chosen == Some(Chosen::Comment(c.id)) {
                    true => (Part::Chosen, format!("▶ {said} · e edits, d deletes, Esc lets go")),
                    false => (Part::Meta, said),
                });
                out.extend(c.body.lines().map(|l| (Part::Text, format!("  {l}"))));
            }
        }
    }
    if let Some(history) = history.filter(|h| !h.is_empty()) {
        out.push((Part::Blank, String::new()));
        out.push((Part::Heading, "History".to_string()));
        for line in history {
            out.push((Part::Meta, format!("{} · {}", minute(&line.at, zone), line.what)));
        }
    }
    out
}

/// The mark of a ticked item, on the board too (before its progress).
pub const TICKED: &str = "☑";
/// The mark of an item still to do.
pub const UNTICKED: &str = "☐";

/// `2026-11-27T10:32:05.123Z` to the minute in `zone`, with the zone's name:
/// `2026-11-27 11:32 CET`, or `2026-11-27 10:32 UTC`. A time that cannot be read
/// is shown as it is.
pub fn minute(at: &str, zone: &jiff::tz::TimeZone) -> String {
    match at.parse::<jiff::Timestamp>() {
        Ok(ts) => ts.to_zoned(zone.clone()).strftime("%Y-%m-%d %H:%M %Z").to_string(),
        Err(_) => at.to_string(),
    }
}

/// The view's box on a `width`×`height` screen, its lines wrapped to it.
pub fn text_box(width: u16, height: u16, lines: &[(Part, String)]) -> TextBox {
    let texts: Vec<&str> = lines.iter().map(|(_, t)| t.as_str()).collect();
    geometry::text_box(width, height, &texts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::input::KeyModifiers;
    use crate::app::tests::{board, task};
    use kanban_protocol::model::{Comment, Role};

    #[test]
    fn times_are_shown_to_the_minute_where_the_person_is() {
        let at = "2026-11-27T10:32:05.123Z";
        assert_eq!(minute(at, &jiff::tz::TimeZone::UTC), "2026-11-27 10:32 UTC");
        let east = jiff::tz::TimeZone::fixed(jiff::tz::offset(2));
        assert!(minute(at, &east).starts_with("2026-11-27 12:32"), "{}", minute(at, &east));
        assert_eq!(minute("yesterday", &east), "yesterday", "what cannot be read, as it is");
    }

    #[test]
    fn a_comment_changed_by_someone_else_says_who() {
        let board = kanban_protocol::board::BoardState::from(board(Role::Owner));
        let comment = |author: i64, edited_by: Option<i64>, updated_at: &str| Comment {
            id: 1,
            task_id: 11,
            project_id: 1,
            author_id: Some(author),
            body: "Ship it".into(),
            created_at: "2026-12-01T10:00:00.000Z".into(),
            updated_at: updated_at.into(),
            edited_by,
        };
        let said = |c: Comment| {
            let today = jiff::civil::date(2026, 12, 1);
            let lines = lines(
                &board,
                &task(11, 1, "V", "Card"),
                Fetched { comments: Some(&[c]), ..Fetched::default() },
                None,
                today,
                &jiff::tz::TimeZone::UTC,
            );
            lines.into_iter().find(|(_, l)| l.contains("bob ·")).map(|(_, l)| l).unwrap()
        };
        let at = "2026-12-01T10:00:00.000Z";
        assert!(!said(comment(2, None, at)).contains("edited"), "as written");
        assert!(said(comment(2, None, "2026-12-01T11:00:00.000Z")).ends_with(" · edited"), "by bob himself");
        assert!(said(comment(2, Some(1), "2026-12-01T11:00:00.000Z")).ends_with(" · edited by ann"));
    }

    #[test]
    fn scrolls_within_its_text() {
        let lines: Vec<(Part, String)> = (0..40).map(|i| (Part::Text, format!("line {i}"))).collect();
        let text = text_box(80, 20, &lines);
        let mut view = CardView::new(1);
        let key = |c| KeyEvent::new(c, KeyModifiers::NONE);
        assert_eq!(view.key(key(KeyCode::End), &text, &[]), ViewOutcome::Stay);
        assert_eq!(view.scroll, text.max_scroll());
        view.key(key(KeyCode::Down), &text, &[]);
        assert_eq!(view.scroll, text.max_scroll(), "not past the end");
        view.key(key(KeyCode::PageUp), &text, &[]);
        assert_eq!(view.scroll, text.max_scroll() - text.visible);
        assert_eq!(view.key(key(KeyCode::Char('e')), &text, &[]), ViewOutcome::Edit);
        assert_eq!(view.key(key(KeyCode::Esc), &text, &[]), ViewOutcome::Close);
    }
}
