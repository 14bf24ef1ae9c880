//! The trash view: what was deleted from the project (cards, and columns with the
//! cards that went with them), newest first, and its keys. Restoring is an ordinary
//! change ([`Change::RestoreTask`], [`Change::RestoreStatus`]) that every open board
//! sees as an event.

use kanban_protocol::model::{Trash, TrashedStatus, TrashedTask};

use super::Change;
use super::input::{KeyCode, KeyEvent};

/// One thing in the trash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Card(TrashedTask),
    Column(TrashedStatus),
}

impl Item {
    pub fn deleted_at(&self) -> &str {
        match self {
            Item::Card(t) => &t.deleted_at,
            Item::Column(s) => &s.deleted_at,
        }
    }

    pub fn deleted_by(&self) -> Option<i64> {
        match self {
            Item::Card(t) => t.deleted_by,
            Item::Column(s) => s.deleted_by,
        }
    }

    /// The change that brings it back.
    pub fn restore(&self) -> Change {
        match self {
            Item::Card(t) => Change::RestoreTask { task_id: t.task.id },
            Item::Column(s) => Change::RestoreStatus { status_id: s.status.id },
        }
    }

    fn is(&self, change: &Change) -> bool {
        *change == self.restore()
    }
}

/// The trash of the open project, as last fetched.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrashView {
    /// `None` until the first answer.
    pub items: Option<Vec<Item>>,
    pub index: usize,
}

/// What a key in the trash view asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrashOutcome {
    Stay,
    Close,
    Restore(Change),
}

impl TrashView {
    /// Takes a fresh answer, keeping the selection on the same item where it is
    /// still there.
    pub fn fill(&mut self, trash: Trash) {
        let selected = self.selected().map(Item::restore);
        let mut items: Vec<Item> = trash
            .tasks
            .into_iter()
            .map(Item::Card)
            .chain(trash.statuses.into_iter().map(Item::Column))
            .collect();
        // Newest first; the timestamps are ISO 8601 in UTC, so they sort as text.
        items.sort_by(|a, b| b.deleted_at().cmp(a.deleted_at()));
        self.index = selected
            .and_then(|c| items.iter().position(|i| i.is(&c)))
            .unwrap_or(self.index)
            .min(items.len().saturating_sub(1));
        self.items = Some(items);
    }

    pub fn selected(&self) -> Option<&Item> {
        self.items.as_ref()?.get(self.index)
    }

    /// An item on its way back leaves the list at once (a fetch after its event
    /// would say the same, later).
    pub fn forget(&mut self, change: &Change) {
        if let Some(items) = &mut self.items {
            items.retain(|i| !i.is(change));
            self.index = self.index.min(items.len().saturating_sub(1));
        }
    }

    pub fn key(&mut self, key: KeyEvent) -> TrashOutcome {
        let count = self.items.as_ref().map_or(0, Vec::len);
        match key.code {
            KeyCode::Up | KeyCode::Char('k') => self.index = self.index.saturating_sub(1),
            KeyCode::Down | KeyCode::Char('j') => self.index = (self.index + 1).min(count.saturating_sub(1)),
            KeyCode::Home | KeyCode::Char('g') => self.index = 0,
            KeyCode::End | KeyCode::Char('G') => self.index = count.saturating_sub(1),
            KeyCode::Enter | KeyCode::Char('r') => {
                if let Some(item) = self.selected() {
                    return TrashOutcome::Restore(item.restore());
                }
            }
            KeyCode::Esc | KeyCode::Char('q') | KeyCode::Char('T') => return TrashOutcome::Close,
            _ => {}
        }
        TrashOutcome::Stay
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::input::KeyModifiers;
    use kanban_protocol::model::{Priority, Status, Task};

    fn card(id: i64, at: &str) -> TrashedTask {
        let task = Task {
            id,
            project_id: 1,
            status_id: 1,
            title: format!("card {id}"),
            description: String::new(),
            assignee_id: None,
            priority: Priority::None,
            labels: Vec::new(),
            due_date: None,
            position: "V".into(),
            version: 1,
            created_by: None,
            updated_by: None,
            created_at: String::new(),
            updated_at: String::new(),
            checklist: Vec::new(),
        };
        TrashedTask { task, deleted_at: at.into(), deleted_by: Some(1) }
    }

    fn column(id: i64, at: &str) -> TrashedStatus {
        let status = Status {
            id,
            project_id: 1,
            name: format!("column {id}"),
            color: None,
            position: "V".into(),
            wip_limit: None,
            version: 1,
        };
        TrashedStatus { status, cards: 2, deleted_at: at.into(), deleted_by: Some(1) }
    }

    fn press(view: &mut TrashView, code: KeyCode) -> TrashOutcome {
        view.key(KeyEvent::new(code, KeyModifiers::NONE))
    }

    #[test]
    fn newest_first_and_enter_restores_the_selected_one() {
        let mut view = TrashView::default();
        assert_eq!(press(&mut view, KeyCode::Enter), TrashOutcome::Stay, "nothing yet");
        view.fill(Trash {
            tasks: vec![card(1, "2026-11-27T10:00:00.000Z"), card(2, "2026-11-27T12:00:00.000Z")],
            statuses: vec![column(9, "2026-11-27T11:00:00.000Z")],
        });
        assert_eq!(
            press(&mut view, KeyCode::Enter),
            TrashOutcome::Restore(Change::RestoreTask { task_id: 2 })
        );
        press(&mut view, KeyCode::Down);
        assert_eq!(
            press(&mut view, KeyCode::Enter),
            TrashOutcome::Restore(Change::RestoreStatus { status_id: 9 })
        );
        press(&mut view, KeyCode::Down);
        press(&mut view, KeyCode::Down);
        assert_eq!(view.index, 2, "stops at the last");
        assert_eq!(press(&mut view, KeyCode::Esc), TrashOutcome::Close);
    }

    #[test]
    fn the_selection_stays_on_its_item_through_a_refetch() {
        let mut view = TrashView::default();
        view.fill(Trash { tasks: vec![card(1, "2026-11-27T10:00:00.000Z")], statuses: Vec::new() });
        view.fill(Trash {
            tasks: vec![card(1, "2026-11-27T10:00:00.000Z"), card(2, "2026-11-27T12:00:00.000Z")],
            statuses: Vec::new(),
        });
        assert_eq!(view.index, 1, "still on card 1, now second");
        view.forget(&Change::RestoreTask { task_id: 1 });
        assert_eq!(view.items.as_ref().unwrap().len(), 1);
        assert_eq!(view.index, 0);
    }
}
