//! Where everything goes on the screen: one pure function of the terminal size and
//! the board, used both to draw and to find what a mouse click hit.

use kanban_protocol::board::BoardState;
use kanban_protocol::model::{Priority, Task};
use ratatui::layout::Rect;

use crate::filter::Filter;
use crate::selection::{Selection, Visible, visible_cards};

/// The narrowest a column gets before columns scroll sideways instead.
pub const MIN_COLUMN_WIDTH: u16 = 24;

/// How much room a card takes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Density {
    /// A title line, a details line when the card has details, a row between cards.
    #[default]
    Roomy,
    /// One line a card, none between.
    Compact,
}

impl Density {
    /// Rows of `task`'s own (not counting the row between cards).
    pub fn rows(self, task: &Task) -> u16 {
        match self {
            Density::Compact => 1,
            Density::Roomy if has_details(task) => 2,
            Density::Roomy => 1,
        }
    }

    /// Rows between two cards.
    pub fn gap(self) -> u16 {
        match self {
            Density::Roomy => 1,
            Density::Compact => 0,
        }
    }
}

/// Whether a card has a details line: an assignee, a priority, labels or a due date.
pub fn has_details(task: &Task) -> bool {
    task.assignee_id.is_some()
        || task.priority != Priority::None
        || !task.labels.is_empty()
        || task.due_date.is_some()
}

/// A card's place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CardPlace {
    pub task_id: i64,
    pub area: Rect,
}

/// A column's place, and which of its cards are shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnPlace {
    pub status_id: i64,
    /// The whole column, borders included.
    pub area: Rect,
    pub cards: Vec<CardPlace>,
    /// Cards scrolled out of sight above and below.
    pub above: usize,
    pub below: usize,
    /// Cards that pass the filter (shown or scrolled away).
    pub matching: usize,
}

/// The screen's regions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Screen {
    pub title: Rect,
    pub presence: Rect,
    pub board: Rect,
    pub status: Rect,
    pub columns: Vec<ColumnPlace>,
    /// Columns scrolled out of sight to the left and right.
    pub left: usize,
    pub right: usize,
}

impl Screen {
    /// What is at a cell: a column, and a card in it or none.
    pub fn hit(&self, x: u16, y: u16) -> Option<(i64, Option<i64>)> {
        let inside = |r: Rect| x >= r.x && x < r.x + r.width && y >= r.y && y < r.y + r.height;
        let column = self.columns.iter().find(|c| inside(c.area))?;
        let card = column.cards.iter().find(|c| inside(c.area)).map(|c| c.task_id);
        Some((column.status_id, card))
    }

    /// The place of column `status_id`, if it is shown.
    pub fn column(&self, status_id: i64) -> Option<&ColumnPlace> {
        self.columns.iter().find(|c| c.status_id == status_id)
    }
}

/// The first of `cards` to show so that the one at `selected` is in view: as few
/// scrolled away as can be, so that the selection sits at the bottom of a column
/// scrolled down.
fn first_shown(cards: &Visible<'_>, selected: usize, rows: u16, density: Density) -> usize {
    let mut used = 0u16;
    let mut first = selected.min(cards.len().saturating_sub(1));
    for i in (0..=first).rev() {
        let Some(card) = cards.get(i) else { break };
        let need = density.rows(card) + if i < selected { density.gap() } else { 0 };
        if used + need > rows && i < selected {
            break;
        }
        used += need;
        first = i;
    }
    first
}

/// Lays out a `width`×`height` terminal.
pub fn layout(
    width: u16,
    height: u16,
    board: Option<&BoardState>,
    selection: &Selection,
    filter: &Filter,
    density: Density,
) -> Screen {
    let row = |y: u16, h: u16| Rect { x: 0, y, width, height: h };
    let title = row(0, 1.min(height));
    let presence = row(1.min(height), 1.min(height.saturating_sub(1)));
    let status = row(height.saturating_sub(1), 1.min(height));
    let board_area = row(2.min(height), height.saturating_sub(3));
    let mut screen =
        Screen { title, presence, board: board_area, status, columns: Vec::new(), left: 0, right: 0 };
    let Some(board) = board else { return screen };
    let count = board.statuses.len();
    if count == 0 || board_area.height < 3 || board_area.width < 4 {
        return screen;
    }
    let fit = ((board_area.width / MIN_COLUMN_WIDTH).max(1) as usize).min(count);
    let selected = selection.column_index.min(count - 1);
    let first = if selected < fit { 0 } else { selected + 1 - fit };
    screen.left = first;
    screen.right = count - first - fit;
    let base = board_area.width / fit as u16;
    let mut x = board_area.x;
    for (i, status) in board.statuses.iter().enumerate().skip(first).take(fit) {
        let width = if i == first + fit - 1 { board_area.x + board_area.width - x } else { base };
        let area = Rect { x, y: board_area.y, width, height: board_area.height };
        x += width;
        let cards = visible_cards(board, status.id, filter);
        // Inside the border, less a row each for the "more above/below" hints.
        let top = area.y + 2;
        let rows = area.height.saturating_sub(4);
        let selected_card = (selection.status_id == Some(status.id))
            .then(|| selection.task_id.and_then(|id| cards.position(id)))
            .flatten()
            .unwrap_or(0);
        let offset = if cards.is_empty() { 0 } else { first_shown(&cards, selected_card, rows, density) };
        let mut places = Vec::new();
        let mut y = top;
        for card in cards.iter_from(offset) {
            let h = density.rows(card);
            // A card that does not fit whole is not shown (the one selected is
            // cut rather than left out).
            if y + h > top + rows && !(places.is_empty() && y < top + rows) {
                break;
            }
            let h = h.min(top + rows - y);
            places.push(CardPlace {
                task_id: card.id,
                area: Rect { x: area.x + 1, y, width: area.width.saturating_sub(2), height: h },
            });
            y += h + density.gap();
            if y >= top + rows {
                break;
            }
        }
        let below = cards.len() - offset - places.len();
        screen.columns.push(ColumnPlace {
            status_id: status.id,
            area,
            cards: places,
            above: offset,
            below,
            matching: cards.len(),
        });
    }
    screen
}

/// The help box's widest text, and the most of it shown at once.
const HELP_WIDTH: u16 = 90;

/// The help box on a screen of `width`×`height`: where it goes and its text
/// wrapped to it. Drawing and scrolling both use it, so the scroll stops where the
/// text ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelpBox {
    pub area: Rect,
    /// Each row: the index of the line it comes from, and its text.
    pub rows: Vec<(usize, String)>,
    /// How many rows fit inside the box.
    pub visible: u16,
}

impl HelpBox {
    /// The furthest the text scrolls.
    pub fn max_scroll(&self) -> u16 {
        u16::try_from(self.rows.len()).unwrap_or(u16::MAX).saturating_sub(self.visible)
    }
}

/// How wide the help's column of keys is: what a key line says starts there.
pub const HELP_KEYS: usize = 17;

/// A line of the help: keys and what they do, or text (how others join).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HelpLine {
    Keys { keys: String, does: String },
    Text(String),
}

/// Whether `keys` fit in the help's column of keys, a space after them; those
/// that do not (a remapped line's) take a row of their own above what they do.
pub fn keys_fit(keys: &str) -> bool {
    keys.chars().count() < HELP_KEYS - 1
}

/// Lays out `lines` of help (a key line's keys in the first [`HELP_KEYS`]
/// columns) in a box above the status line. What a key does wraps at word
/// boundaries, under itself; a command (the other lines) stays whole, broken only
/// where the box ends, so that it is copied as it is.
pub fn help_box(width: u16, height: u16, lines: &[HelpLine]) -> HelpBox {
    let screen_height = height.saturating_sub(1);
    let box_width = HELP_WIDTH.min(width);
    let inner = usize::from(box_width.saturating_sub(2)).max(1);
    let mut rows = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let text = match line {
            HelpLine::Keys { keys, does } if inner > HELP_KEYS + 8 => {
                let indent = " ".repeat(HELP_KEYS);
                let head = if keys_fit(keys) {
                    format!(" {keys:<width$}", width = HELP_KEYS - 1)
                } else {
                    broken(&mut rows, i, &format!(" {keys}"), inner);
                    indent.clone()
                };
                for (n, part) in textwrap::wrap(does, inner - HELP_KEYS).into_iter().enumerate() {
                    rows.push((i, format!("{}{part}", if n == 0 { &head } else { &indent })));
                }
                continue;
            }
            HelpLine::Keys { keys, does } => format!(" {keys:<width$}{does}", width = HELP_KEYS - 1),
            HelpLine::Text(text) => text.clone(),
        };
        broken(&mut rows, i, &text, inner);
    }
    let wanted = u16::try_from(rows.len()).unwrap_or(u16::MAX).saturating_add(2);
    let box_height = wanted.min(screen_height);
    let area = Rect {
        x: (width - box_width) / 2,
        y: (screen_height - box_height) / 2,
        width: box_width,
        height: box_height,
    };
    HelpBox { area, rows, visible: box_height.saturating_sub(2) }
}

/// `line` (the `i`th) in rows of `inner` columns, broken wherever a row ends.
fn broken(rows: &mut Vec<(usize, String)>, i: usize, line: &str, inner: usize) {
    let mut row = String::new();
    let mut used = 0;
    for c in line.chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w > inner {
            rows.push((i, std::mem::take(&mut row)));
            used = 0;
        }
        row.push(c);
        used += w;
    }
    rows.push((i, row));
}

/// The widest a text box (a card's view) gets.
const TEXT_WIDTH: u16 = 80;

/// A box of text over the board (a card's view): where it goes, and its lines
/// wrapped at word boundaries to its width.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextBox {
    pub area: Rect,
    /// Each row: the index of the line it comes from, and its text.
    pub rows: Vec<(usize, String)>,
    /// How many rows fit inside the box.
    pub visible: u16,
}

impl TextBox {
    /// The furthest the text scrolls.
    pub fn max_scroll(&self) -> u16 {
        u16::try_from(self.rows.len()).unwrap_or(u16::MAX).saturating_sub(self.visible)
    }
}

/// The history's box on a `width`×`height` screen (in the middle, above the
/// status line), and how many of its lines it shows: scrolling stops when its
/// last line reaches the box's bottom.
pub fn history_box(width: u16, height: u16) -> (Rect, usize) {
    let (w, h) = (90.min(width), 22.min(height.saturating_sub(1)));
    let area = Rect { x: (width - w) / 2, y: (height.saturating_sub(1) - h) / 2, width: w, height: h };
    (area, usize::from(h.saturating_sub(2)).max(1))
}

/// Lays out `lines` in a box above the status line, each wrapped by words to the
/// box (a word longer than the box is broken), a wrapped line's rows under its
/// first (a comment's indent, a list's item, kept).
pub fn text_box(width: u16, height: u16, lines: &[&str]) -> TextBox {
    let screen_height = height.saturating_sub(1);
    let box_width = TEXT_WIDTH.min(width);
    // Inside the border, a column of margin each side.
    let inner = usize::from(box_width.saturating_sub(4)).max(1);
    let mut rows = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if line.is_empty() {
            rows.push((i, String::new()));
            continue;
        }
        let indent: String = line.chars().take_while(|c| *c == ' ').take(inner / 2).collect();
        let options = textwrap::Options::new(inner).subsequent_indent(&indent);
        for row in textwrap::wrap(line, options) {
            rows.push((i, row.into_owned()));
        }
    }
    let wanted = u16::try_from(rows.len()).unwrap_or(u16::MAX).saturating_add(2);
    let box_height = wanted.min(screen_height);
    let area = Rect {
        x: (width - box_width) / 2,
        y: (screen_height - box_height) / 2,
        width: box_width,
        height: box_height,
    };
    TextBox { area, rows, visible: box_height.saturating_sub(2) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrapped_line_keeps_its_indent() {
        let comment = format!("  {}", "word ".repeat(30));
        let text = text_box(40, 30, &["ann · 2026-11-27 10:32 UTC", &comment]);
        let rows: Vec<&str> = text.rows.iter().filter(|(i, _)| *i == 1).map(|(_, r)| r.as_str()).collect();
        assert!(rows.len() > 2, "{rows:?}");
        assert!(rows.iter().all(|r| r.starts_with("  word")), "under the first: {rows:?}");
    }
}
