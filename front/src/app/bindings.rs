//! The board's keys as data. One table says what each action of the board is
//! called in the config file, which keys it has by default (the app's
//! [`super::keymap::KeyMap`] starts from them), what the help overlay lists, and
//! what the README's table of keys shows (a test holds the README to it), so that
//! none of them can drift from the others.

use super::input::KeyCode;
use super::key::Key;

/// What a key does on the board. `Quit` stays the last: a test counts the actions
/// up to it to find each in the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
    Redo,
    Trash,
    Filter,
    QuickFilter,
    ClearFilter,
    ToggleDensity,
    SortColumn,
    SwitchProject,
    Members,
    Follow,
    Comment,
    Activity,
    Inbox,
    MyWork,
    Watch,
    ClearSince,
    Help,
    Quit,
}

/// An action by the name the config file's `[keys]` gives it, with the keys it
/// has unless the config says otherwise.
#[derive(Debug)]
pub struct Bound {
    pub action: BoardAction,
    pub name: &'static str,
    pub keys: &'static [Key],
}

/// A line of the help: the keys as written while they are the defaults, what they
/// do, and the actions behind them.
#[derive(Debug)]
pub struct Row {
    pub keys: &'static str,
    pub does: &'static str,
    pub actions: &'static [Bound],
    /// Keys of the line that no config changes, handled before the board sees a
    /// key (Ctrl-C quits from anywhere): shown after the actions' keys.
    pub fixed: &'static str,
}

use BoardAction::*;

const fn bound(action: BoardAction, name: &'static str, keys: &'static [Key]) -> Bound {
    Bound { action, name, keys }
}

const fn row(keys: &'static str, does: &'static str, actions: &'static [Bound]) -> Row {
    Row { keys, does, actions, fixed: "" }
}

const fn ch(c: char) -> Key {
    Key::char(c)
}

const fn key(code: KeyCode) -> Key {
    Key::plain(code)
}

/// The row of Ctrl-Z, which only a front end with a shell to go back to shows.
pub const SUSPEND: &str = "Ctrl-Z";

/// Every key of the board, in the order the help lists them.
pub const ROWS: &[Row] = &[
    row(
        "←↓↑→  h j k l",
        "move the selection",
        &[
            bound(SelectLeft, "select-left", &[key(KeyCode::Left), ch('h')]),
            bound(SelectDown, "select-down", &[key(KeyCode::Down), ch('j')]),
            bound(SelectUp, "select-up", &[key(KeyCode::Up), ch('k')]),
            bound(SelectRight, "select-right", &[key(KeyCode::Right), ch('l')]),
        ],
    ),
    row(
        "g  G  Home  End",
        "first / last card of the column",
        &[
            bound(SelectFirst, "select-first", &[ch('g'), key(KeyCode::Home)]),
            bound(SelectLast, "select-last", &[ch('G'), key(KeyCode::End)]),
        ],
    ),
    row(
        "PgUp  PgDn",
        "a page up / down the column",
        &[
            bound(PageUp, "page-up", &[key(KeyCode::PageUp)]),
            bound(PageDown, "page-down", &[key(KeyCode::PageDown)]),
        ],
    ),
    row("n", "new card in this column", &[bound(NewCard, "new-card", &[ch('n')])]),
    row(
        "Enter",
        "the card's view: all of it, to read (e there edits)",
        &[bound(ViewCard, "view-card", &[key(KeyCode::Enter)])],
    ),
    row("e", "edit the card: all its fields", &[bound(EditCard, "edit-card", &[ch('e')])]),
    row(
        "E",
        "edit its title and description in $VISUAL/$EDITOR",
        &[bound(EditInEditor, "edit-in-editor", &[ch('E')])],
    ),
    row(
        "c",
        "comment on the card (its view, Enter, shows the thread)",
        &[bound(Comment, "comment", &[ch('c')])],
    ),
    row(
        "H  L",
        "move the card to the column left / right",
        &[
            bound(MoveCardLeft, "move-card-left", &[ch('H')]),
            bound(MoveCardRight, "move-card-right", &[ch('L')]),
        ],
    ),
    row(
        "J  K",
        "move the card down / up",
        &[bound(MoveCardDown, "move-card-down", &[ch('J')]), bound(MoveCardUp, "move-card-up", &[ch('K')])],
    ),
    row("d", "delete the card (asks y/n)", &[bound(DeleteCard, "delete-card", &[ch('d')])]),
    row(
        "y  Y",
        "copy the card's reference (#ID and title) / its text to the clipboard",
        &[bound(CopyReference, "copy-reference", &[ch('y')]), bound(CopyText, "copy-text", &[ch('Y')])],
    ),
    row("a", "assign the card to me / unassign", &[bound(AssignToMe, "assign-to-me", &[ch('a')])]),
    row("p", "cycle the card's priority", &[bound(CyclePriority, "cycle-priority", &[ch('p')])]),
    row("N", "new column after this one", &[bound(NewColumn, "new-column", &[ch('N')])]),
    row(
        "r",
        "rename this column (offline: try to connect now)",
        &[bound(RenameColumn, "rename-column", &[ch('r')])],
    ),
    row("w", "set this column's WIP limit", &[bound(ColumnLimit, "column-limit", &[ch('w')])]),
    row("C", "set this column's color", &[bound(ColumnColor, "column-color", &[ch('C')])]),
    row(
        "<  >",
        "move this column left / right",
        &[
            bound(MoveColumnLeft, "move-column-left", &[ch('<')]),
            bound(MoveColumnRight, "move-column-right", &[ch('>')]),
        ],
    ),
    row("D", "delete this column with its cards (asks)", &[bound(DeleteColumn, "delete-column", &[ch('D')])]),
    row(
        "u  Ctrl-R",
        "undo your last change / redo what you undid",
        &[bound(Undo, "undo", &[ch('u')]), bound(Redo, "redo", &[Key::ctrl('r')])],
    ),
    row(
        "T",
        "the trash: deleted cards and columns, Enter brings one back",
        &[bound(Trash, "trash", &[ch('T')])],
    ),
    row(
        "/  Esc",
        "filter: words, @name, #label, !priority, is:overdue / clear it",
        &[bound(Filter, "filter", &[ch('/')]), bound(ClearFilter, "clear-filter", &[key(KeyCode::Esc)])],
    ),
    row(
        "F",
        "quick filters: mine, by assignee, priority or label, overdue",
        &[bound(QuickFilter, "quick-filter", &[ch('F')])],
    ),
    row("z", "compact cards (a line each) / roomy", &[bound(ToggleDensity, "toggle-density", &[ch('z')])]),
    row(
        "s",
        "show this column sorted by due date, by priority, as stored",
        &[bound(SortColumn, "sort-column", &[ch('s')])],
    ),
    row(
        "P",
        "switch project (n there makes a board; owners: r renames, x archives)",
        &[bound(SwitchProject, "switch-project", &[ch('P')])],
    ),
    row(
        "M",
        "the board's members (owners add, change and remove them)",
        &[bound(Members, "members", &[ch('M')])],
    ),
    row("A", "the board's history: who did what, newest first", &[bound(Activity, "activity", &[ch('A')])]),
    row(
        "i",
        "your inbox, across boards (Enter goes to the card, r marks all read)",
        &[bound(Inbox, "inbox", &[ch('i')])],
    ),
    row("m", "my work: your open cards on every board, due first", &[bound(MyWork, "my-work", &[ch('m')])]),
    row(
        "W",
        "watch the card / stop: its changes and comments reach your inbox",
        &[bound(Watch, "watch", &[ch('W')])],
    ),
    row(
        "X",
        "clear the • marks of cards changed since you last looked",
        &[bound(ClearSince, "clear-since", &[ch('X')])],
    ),
    row(
        "f",
        "follow someone here: your selection goes where theirs does (a move key stops)",
        &[bound(Follow, "follow", &[ch('f')])],
    ),
    row("?", "this help", &[bound(Help, "help", &[ch('?')])]),
    Row { keys: "q  Ctrl-C", does: "quit", actions: &[bound(Quit, "quit", &[ch('q')])], fixed: "Ctrl-C" },
    // Ctrl-Z works everywhere too, before any mode sees a key.
    row(SUSPEND, "suspend to the shell (fg comes back)", &[]),
    row("mouse", "click selects, wheel scrolls", &[]),
    row("in a card", "Tab next field · Enter or Ctrl-S save · Ctrl-G editor · Esc cancel", &[]),
];

/// Every action of the board with its name and default keys, in the help's order.
pub fn actions() -> impl Iterator<Item = &'static Bound> {
    ROWS.iter().flat_map(|row| row.actions)
}

impl BoardAction {
    /// The action's name in the config file's `[keys]`.
    pub fn name(self) -> &'static str {
        actions().find(|b| b.action == self).map_or("", |b| b.name)
    }

    /// The action a config file names.
    pub fn named(name: &str) -> Option<BoardAction> {
        actions().find(|b| b.name == name).map(|b| b.action)
    }
}

/// The README's table of keys, as it must read: the default keys, what they do,
/// and the actions' names for the config file.
pub fn markdown() -> String {
    let mut table = String::from("| keys | do | action |\n| --- | --- | --- |\n");
    for row in ROWS {
        let names: String = row.actions.iter().map(|b| format!(" `{}`", b.name)).collect();
        table.push_str(&format!("| `{}` | {} |{names} |\n", row.keys, row.does));
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
        let keys: Vec<Key> = actions().flat_map(|b| b.keys).copied().collect();
        for (i, k) in keys.iter().enumerate() {
            assert!(!keys[i + 1..].contains(k), "{k:?} is bound twice");
        }
    }

    #[test]
    fn every_action_has_one_line_in_the_table_and_a_name_of_its_own() {
        let mut found: Vec<usize> = actions().map(|b| b.action as usize).collect();
        found.sort();
        assert_eq!(found, (0..=Quit as usize).collect::<Vec<_>>());
        let names: Vec<&str> = actions().map(|b| b.name).collect();
        for (i, name) in names.iter().enumerate() {
            assert!(!names[i + 1..].contains(name), "{name} names two actions");
            assert!(
                !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'),
                "{name} is kebab-case"
            );
        }
        assert_eq!(BoardAction::named("move-card-left"), Some(MoveCardLeft));
        assert_eq!(CopyReference.name(), "copy-reference");
    }
}
