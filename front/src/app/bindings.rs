//! The board's keys as data. One table says what each key does on the board
//! ([`action`]), what the help overlay lists, and what the README's table of keys
//! shows (a test holds the README to it), so the three cannot drift apart.

use super::input::KeyCode;

/// What a key does on the board.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoardAction {
    SelectLeft,
    SelectRight,
    SelectUp,
    SelectDown,
    SelectFirst,
    SelectLast,
    PageUp,
    PageDown,
    NewCard,
    ViewCard,
    EditCard,
    EditInEditor,
    MoveCardLeft,
    MoveCardRight,
    MoveCardDown,
    MoveCardUp,
    DeleteCard,
    CopyReference,
    CopyText,
    AssignToMe,
    CyclePriority,
    NewColumn,
    RenameColumn,
    ColumnLimit,
    ColumnColor,
    MoveColumnLeft,
    MoveColumnRight,
    DeleteColumn,
    Undo,
    Trash,
    Filter,
    QuickFilter,
    ClearFilter,
    ToggleDensity,
    SortColumn,
    SwitchProject,
    Follow,
    Comment,
    Activity,
    Help,
    Quit,
}

/// A line of the help: the keys as shown, what they do, and the keys themselves.
#[derive(Debug)]
pub struct Row {
    pub keys: &'static str,
    pub does: &'static str,
    pub bindings: &'static [(KeyCode, BoardAction)],
}

use BoardAction::*;
use KeyCode::Char;

/// Every key of the board, in the order the help lists them.
/// The row of Ctrl-Z, which only a front end with a shell to go back to shows.
pub const SUSPEND: &str = "Ctrl-Z";

pub const ROWS: &[Row] = &[
    Row {
        keys: "←↓↑→  h j k l",
        does: "move the selection",
        bindings: &[
            (KeyCode::Left, SelectLeft),
            (Char('h'), SelectLeft),
            (KeyCode::Down, SelectDown),
            (Char('j'), SelectDown),
            (KeyCode::Up, SelectUp),
            (Char('k'), SelectUp),
            (KeyCode::Right, SelectRight),
            (Char('l'), SelectRight),
        ],
    },
    Row {
        keys: "g  G  Home  End",
        does: "first / last card of the column",
        bindings: &[
            (Char('g'), SelectFirst),
            (KeyCode::Home, SelectFirst),
            (Char('G'), SelectLast),
            (KeyCode::End, SelectLast),
        ],
    },
    Row {
        keys: "PgUp  PgDn",
        does: "a page up / down the column",
        bindings: &[(KeyCode::PageUp, PageUp), (KeyCode::PageDown, PageDown)],
    },
    Row { keys: "n", does: "new card in this column", bindings: &[(Char('n'), NewCard)] },
    Row {
        keys: "Enter",
        does: "the card's view: all of it, to read (e there edits)",
        bindings: &[(KeyCode::Enter, ViewCard)],
    },
    Row { keys: "e", does: "edit the card: all its fields", bindings: &[(Char('e'), EditCard)] },
    Row {
        keys: "E",
        does: "edit its title and description in $VISUAL/$EDITOR",
        bindings: &[(Char('E'), EditInEditor)],
    },
    Row {
        keys: "c",
        does: "comment on the card (its view, Enter, shows the thread)",
        bindings: &[(Char('c'), Comment)],
    },
    Row {
        keys: "H  L",
        does: "move the card to the column left / right",
        bindings: &[(Char('H'), MoveCardLeft), (Char('L'), MoveCardRight)],
    },
    Row {
        keys: "J  K",
        does: "move the card down / up",
        bindings: &[(Char('J'), MoveCardDown), (Char('K'), MoveCardUp)],
    },
    Row { keys: "d", does: "delete the card (asks y/n)", bindings: &[(Char('d'), DeleteCard)] },
    Row {
        keys: "y  Y",
        does: "copy the card's reference (#ID and title) / its text to the clipboard",
        bindings: &[(Char('y'), CopyReference), (Char('Y'), CopyText)],
    },
    Row { keys: "a", does: "assign the card to me / unassign", bindings: &[(Char('a'), AssignToMe)] },
    Row { keys: "p", does: "cycle the card's priority", bindings: &[(Char('p'), CyclePriority)] },
    Row { keys: "N", does: "new column after this one", bindings: &[(Char('N'), NewColumn)] },
    Row {
        keys: "r",
        does: "rename this column (offline: try to connect now)",
        bindings: &[(Char('r'), RenameColumn)],
    },
    Row { keys: "w", does: "set this column's WIP limit", bindings: &[(Char('w'), ColumnLimit)] },
    Row { keys: "C", does: "set this column's color", bindings: &[(Char('C'), ColumnColor)] },
    Row {
        keys: "<  >",
        does: "move this column left / right",
        bindings: &[(Char('<'), MoveColumnLeft), (Char('>'), MoveColumnRight)],
    },
    Row {
        keys: "D",
        does: "delete this column with its cards (asks)",
        bindings: &[(Char('D'), DeleteColumn)],
    },
    // Ctrl-R is a control key, so the board handles it before this table.
    Row {
        keys: "u  Ctrl-R",
        does: "undo your last change / redo what you undid",
        bindings: &[(Char('u'), Undo)],
    },
    Row {
        keys: "T",
        does: "the trash: deleted cards and columns, Enter brings one back",
        bindings: &[(Char('T'), Trash)],
    },
    Row {
        keys: "/  Esc",
        does: "filter: words, @name, #label, !priority, is:overdue / clear it",
        bindings: &[(Char('/'), Filter), (KeyCode::Esc, ClearFilter)],
    },
    Row {
        keys: "F",
        does: "quick filters: mine, by assignee, priority or label, overdue",
        bindings: &[(Char('F'), QuickFilter)],
    },
    Row { keys: "z", does: "compact cards (a line each) / roomy", bindings: &[(Char('z'), ToggleDensity)] },
    Row {
        keys: "s",
        does: "show this column sorted by due date, by priority, as stored",
        bindings: &[(Char('s'), SortColumn)],
    },
    Row { keys: "P", does: "switch project", bindings: &[(Char('P'), SwitchProject)] },
    Row {
        keys: "A",
        does: "the board's history: who did what, newest first",
        bindings: &[(Char('A'), Activity)],
    },
    Row {
        keys: "f",
        does: "follow someone here: your selection goes where theirs does (a move key stops)",
        bindings: &[(Char('f'), Follow)],
    },
    Row { keys: "?", does: "this help", bindings: &[(Char('?'), Help)] },
    // Ctrl-C quits everywhere, so it is handled before the board sees a key.
    Row { keys: "q  Ctrl-C", does: "quit", bindings: &[(Char('q'), Quit)] },
    // Ctrl-Z works everywhere too, before any mode sees a key.
    Row { keys: SUSPEND, does: "suspend to the shell (fg comes back)", bindings: &[] },
    Row { keys: "mouse", does: "click selects, wheel scrolls", bindings: &[] },
    Row {
        keys: "in a card",
        does: "Tab next field · Enter or Ctrl-S save · Ctrl-G editor · Esc cancel",
        bindings: &[],
    },
];

/// What `code` does on the board, if anything.
pub fn action(code: KeyCode) -> Option<BoardAction> {
    ROWS.iter().flat_map(|row| row.bindings).find(|(key, _)| *key == code).map(|&(_, action)| action)
}

/// The README's table of keys, as it must read.
pub fn markdown() -> String {
    let mut table = String::from("| keys | do |\n| --- | --- |\n");
    for row in ROWS {
        table.push_str(&format!("| `{}` | {} |\n", row.keys, row.does));
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_readme_lists_every_key_as_the_help_does() {
        let readme = include_str!("../../../README.md");
        let table = markdown();
        assert!(readme.contains(&table), "the README's table of keys must read:\n{table}");
    }

    #[test]
    fn no_key_does_two_things() {
        let keys: Vec<KeyCode> = ROWS.iter().flat_map(|r| r.bindings).map(|(k, _)| *k).collect();
        for (i, k) in keys.iter().enumerate() {
            assert!(!keys[i + 1..].contains(k), "{k:?} is bound twice");
        }
    }
}
