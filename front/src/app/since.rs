//! Since I last looked: the cards others changed on a board since this person
//! last saw it, marked on the board until each is selected (or `X` clears them
//! all), said in the status line, and the board's revision told to the server as
//! seen (after that read, and when the person leaves the board or quits).

use std::collections::HashSet;

use kanban_protocol::inbox::Since;

use super::inbox::said_when;
use super::{App, Command, Request};

/// The mark of a card changed since the last look, where the selection's
/// pointer goes.
pub const MARK: &str = "•";

/// The marks of the open board.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Marks {
    /// The cards changed since the last look.
    pub tasks: HashSet<i64>,
    /// The card selected when the marks came (or last): only a selection that
    /// moves onto a card clears its mark, not the one the board opened on.
    last_selected: Option<i64>,
}

impl Marks {
    /// Whether card `task_id` is marked.
    pub fn marked(&self, task_id: i64) -> bool {
        self.tasks.contains(&task_id)
    }

    /// The selection is on `task_id` now: a card it moved onto is no longer new.
    pub fn selected(&mut self, task_id: Option<i64>) {
        if task_id != self.last_selected {
            if let Some(id) = task_id {
                self.tasks.remove(&id);
            }
            self.last_selected = task_id;
        }
    }
}

impl App {
    /// What changed since the person last looked, for the open board: marked,
    /// said, and the revision now told as seen.
    pub(super) fn since(&mut self, project_id: i64, since: Since) -> Vec<Command> {
        if self.project_id != Some(project_id) {
            return Vec::new();
        }
        // A first look marks nothing: everything would be new.
        let tasks = if since.rev == 0 { HashSet::new() } else { since.tasks.iter().copied().collect() };
        self.marks = Marks { tasks, last_selected: self.selection.task_id };
        if since.changes > 0 && since.rev > 0 {
            let n = since.changes;
            let changes = if n == 1 { "1 change".to_string() } else { format!("{n} changes") };
            let when = since.at.as_deref().map(|at| said_when(at, &self.zone, self.filter.today));
            let key = self.keymap.say(super::bindings::BoardAction::ClearSince);
            self.info(match when {
                Some(when) => format!("{changes} since {when} (• marks the cards; {key} clears)"),
                None => format!("{changes} since you last looked (• marks the cards; {key} clears)"),
            });
        }
        let rev = self.board.as_ref().map_or(since.now, |b| b.rev.max(since.now));
        vec![Command::Net(Request::Seen { project_id, rev })]
    }

    /// The open board as seen now, for the server (when leaving it or quitting).
    pub(super) fn seen_now(&self) -> Option<Command> {
        let board = self.board.as_ref()?;
        Some(Command::Net(Request::Seen { project_id: board.project.id, rev: board.rev }))
    }

    /// `X`: no card is marked any more.
    pub(super) fn clear_marks(&mut self) {
        let n = self.marks.tasks.len();
        self.marks.tasks.clear();
        self.info(if n == 0 {
            "No card is marked as changed".to_string()
        } else {
            format!("Cleared {n} marks")
        });
    }
}
