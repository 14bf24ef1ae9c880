//! The selection: a column and a card in it, kept by id so that it survives other
//! people's changes, with the index as a fallback when the card goes away.

use std::sync::Arc;

use kanban_protocol::board::BoardState;
use kanban_protocol::model::{CursorPos, Task};

use crate::filter::Filter;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Selection {
    pub status_id: Option<i64>,
    pub task_id: Option<i64>,
    /// Where the selection was, for when its column or card disappears.
    pub column_index: usize,
    pub card_index: usize,
}

/// The cards of a column that pass the filter, in order.
pub fn visible_cards<'a>(board: &'a BoardState, status_id: i64, filter: &Filter) -> Visible<'a> {
    let passing = filter.reorders(status_id).then(|| filter.passing(board, status_id));
    Visible { board, status_id, passing, sorted: filter.sort_of(status_id).is_some() }
}

/// A column's cards that pass the filter, read through the board's index (and the
/// filter's memo of what passes): nothing is copied and no card is asked, so that
/// a frame of a big board costs the cards it shows.
pub struct Visible<'a> {
    board: &'a BoardState,
    status_id: i64,
    /// Where those shown are in the column, while a filter or a sort is on.
    passing: Option<Arc<[usize]>>,
    /// Whether they are sorted other than in column order.
    sorted: bool,
}

impl<'a> Visible<'a> {
    pub fn len(&self) -> usize {
        match &self.passing {
            Some(places) => places.len(),
            None => self.board.card_count(self.status_id),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `n`th (from 0).
    pub fn get(&self, n: usize) -> Option<&'a Task> {
        let place = match &self.passing {
            Some(places) => *places.get(n)?,
            None => n,
        };
        self.board.card_at(self.status_id, place)
    }

    /// Where card `id` is among them.
    pub fn position(&self, id: i64) -> Option<usize> {
        let task = self.board.task(id).filter(|t| t.status_id == self.status_id)?;
        let place = self.board.rank(task.id)?;
        match &self.passing {
            Some(places) if self.sorted => places.iter().position(|p| *p == place),
            // In column order, as the places are.
            Some(places) => places.binary_search(&place).ok(),
            None => Some(place),
        }
    }

    /// Those from the `n`th on, in order.
    pub fn iter_from(&self, n: usize) -> impl Iterator<Item = &'a Task> + '_ {
        (n..self.len()).filter_map(|n| self.get(n))
    }
}

impl Selection {
    /// Where this selection points, for the cursor event.
    pub fn pos(&self) -> Option<CursorPos> {
        self.status_id.map(|status_id| CursorPos { status_id, task_id: self.task_id })
    }

    /// Brings the selection back onto the board after it changed: a card is
    /// followed to wherever it went; a vanished card or column gives way to its
    /// neighbour at the same place.
    pub fn fix(&mut self, board: &BoardState, filter: &Filter) {
        if board.statuses.is_empty() {
            *self = Selection::default();
            return;
        }
        if let Some(task) = self.task_id.and_then(|id| board.task(id)).filter(|t| filter.matches(board, t)) {
            self.status_id = Some(task.status_id);
        }
        let column = match self.status_id.and_then(|id| board.statuses.iter().position(|s| s.id == id)) {
            Some(i) => i,
            None => self.column_index.min(board.statuses.len() - 1),
        };
        self.column_index = column;
        let status_id = board.statuses[column].id;
        self.status_id = Some(status_id);
        let cards = visible_cards(board, status_id, filter);
        match self.task_id.and_then(|id| cards.position(id)) {
            Some(i) => self.card_index = i,
            None if cards.is_empty() => {
                self.task_id = None;
                self.card_index = 0;
            }
            None => {
                self.card_index = self.card_index.min(cards.len() - 1);
                self.task_id = cards.get(self.card_index).map(|t| t.id);
            }
        }
    }

    /// Moves to the column `delta` away, keeping the row where it can.
    pub fn step_column(&mut self, board: &BoardState, filter: &Filter, delta: isize) {
        if board.statuses.is_empty() {
            return;
        }
        let last = board.statuses.len() as isize - 1;
        let column = (self.column_index as isize + delta).clamp(0, last) as usize;
        self.column_index = column;
        self.status_id = Some(board.statuses[column].id);
        let cards = visible_cards(board, board.statuses[column].id, filter);
        self.task_id = cards.get(self.card_index.min(cards.len().saturating_sub(1))).map(|t| t.id);
        self.fix(board, filter);
    }

    /// Moves `delta` cards up or down in the column.
    pub fn step_card(&mut self, board: &BoardState, filter: &Filter, delta: isize) {
        let Some(status_id) = self.status_id else { return };
        let cards = visible_cards(board, status_id, filter);
        if cards.is_empty() {
            return;
        }
        let index = (self.card_index as isize + delta).clamp(0, cards.len() as isize - 1) as usize;
        self.card_index = index;
        self.task_id = cards.get(index).map(|t| t.id);
    }

    /// Selects a cell directly (e.g. by a mouse click).
    pub fn select(&mut self, board: &BoardState, filter: &Filter, status_id: i64, task_id: Option<i64>) {
        self.status_id = Some(status_id);
        self.task_id = task_id;
        if let Some(i) = board.statuses.iter().position(|s| s.id == status_id) {
            self.column_index = i;
        }
        self.fix(board, filter);
    }
}
