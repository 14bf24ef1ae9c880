//! The board's keys in effect ([`KeyMap`]): the table's defaults
//! ([`super::bindings`]) with what a config file binds over them. What a key does
//! on the board, the help's keys and the footer's hints are all read from it, so a
//! remapped key is the key said everywhere.

use super::bindings::{self, BoardAction, Row};
use super::key::Key;

/// Each action of the board with the keys that do it now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyMap {
    /// In the table's order (the help's), each action once.
    bound: Vec<(BoardAction, Vec<Key>)>,
}

impl Default for KeyMap {
    /// The keys the table gives.
    fn default() -> Self {
        KeyMap { bound: bindings::actions().map(|b| (b.action, b.keys.to_vec())).collect() }
    }
}

impl KeyMap {
    /// What `key` does on the board, if anything.
    pub fn action(&self, key: Key) -> Option<BoardAction> {
        self.bound.iter().find(|(_, keys)| keys.contains(&key)).map(|(action, _)| *action)
    }

    /// The keys of `action` (none when a config took them all).
    pub fn keys(&self, action: BoardAction) -> &[Key] {
        self.bound.iter().find(|(a, _)| *a == action).map_or(&[], |(_, keys)| keys)
    }

    /// Every action with its keys, in the help's order.
    pub fn iter(&self) -> impl Iterator<Item = (BoardAction, &[Key])> {
        self.bound.iter().map(|(action, keys)| (*action, keys.as_slice()))
    }

    /// Gives `action` these keys instead of the ones it had. A key that another
    /// action had is taken from that one: a key does one thing.
    pub fn bind(&mut self, action: BoardAction, keys: &[Key]) {
        for (a, theirs) in &mut self.bound {
            if *a == action {
                theirs.clear();
                for key in keys {
                    if !theirs.contains(key) {
                        theirs.push(*key);
                    }
                }
            } else {
                theirs.retain(|k| !keys.contains(k));
            }
        }
    }

    /// The first key of `action` as the screen says it (`Ctrl-R`), for hints and
    /// messages; the action's name when it has no key left.
    pub fn say(&self, action: BoardAction) -> String {
        self.first(action).unwrap_or_else(|| action.name().to_string())
    }

    /// The first key of `action` as the screen says it, if it has one.
    pub fn first(&self, action: BoardAction) -> Option<String> {
        self.keys(action).first().map(|k| k.shown())
    }

    /// The keys of a help line: as the table writes them while its actions have
    /// their default keys, else each action's keys (an action's apart by a space,
    /// actions by two, `—` for one with none), then those no config changes.
    pub fn row_keys(&self, row: &Row) -> String {
        if row.actions.iter().all(|b| self.keys(b.action) == b.keys) {
            return row.keys.to_string();
        }
        let mut parts: Vec<String> = row
            .actions
            .iter()
            .map(|b| match self.keys(b.action) {
                [] => "—".to_string(),
                keys => keys.iter().map(|k| k.shown()).collect::<Vec<_>>().join(" "),
            })
            .collect();
        if !row.fixed.is_empty() {
            parts.push(row.fixed.to_string());
        }
        parts.join("  ")
    }
}

#[cfg(test)]
mod tests {
    use super::super::input::KeyCode;
    use super::*;
    use BoardAction::*;

    #[test]
    fn the_defaults_are_the_tables() {
        let keys = KeyMap::default();
        assert_eq!(keys.action(Key::char('n')), Some(NewCard));
        assert_eq!(keys.action(Key::plain(KeyCode::Left)), Some(SelectLeft));
        assert_eq!(keys.action(Key::ctrl('r')), Some(Redo));
        assert_eq!(keys.action(Key::char('x')), None);
        assert_eq!(keys.keys(SelectLeft), &[Key::plain(KeyCode::Left), Key::char('h')]);
    }

    #[test]
    fn a_binding_replaces_the_actions_keys() {
        let mut keys = KeyMap::default();
        keys.bind(NewCard, &[Key::char('o'), Key::ctrl('n')]);
        assert_eq!(keys.action(Key::char('o')), Some(NewCard));
        assert_eq!(keys.action(Key::ctrl('n')), Some(NewCard));
        assert_eq!(keys.action(Key::char('n')), None, "n no longer makes a card");
        keys.bind(SelectLeft, &[Key::char('b')]);
        assert_eq!(keys.keys(SelectLeft), &[Key::char('b')], "← and h both went");
    }

    #[test]
    fn a_key_taken_by_another_action_leaves_the_one_that_had_it() {
        let mut keys = KeyMap::default();
        keys.bind(NewCard, &[Key::char('e')]);
        assert_eq!(keys.action(Key::char('e')), Some(NewCard));
        assert_eq!(keys.keys(EditCard), &[] as &[Key], "edit-card lost its only key");
        keys.bind(SelectFirst, &[Key::char('h')]);
        assert_eq!(keys.keys(SelectLeft), &[Key::plain(KeyCode::Left)], "← still moves left");
        // Unbinding is an empty list.
        keys.bind(Quit, &[]);
        assert_eq!(keys.action(Key::char('q')), None);
    }

    #[test]
    fn the_help_says_the_keys_in_effect() {
        let row = |action: BoardAction| {
            bindings::ROWS.iter().find(|r| r.actions.iter().any(|b| b.action == action))
        };
        let mut keys = KeyMap::default();
        assert_eq!(keys.row_keys(row(MoveCardLeft).unwrap()), "H  L");
        keys.bind(MoveCardLeft, &[Key::ctrl('h')]);
        keys.bind(Quit, &[Key::char('x'), Key::char('Q')]);
        keys.bind(NewCard, &[Key::char('d')]);
        assert_eq!(keys.row_keys(row(MoveCardLeft).unwrap()), "Ctrl-H  L");
        assert_eq!(keys.row_keys(row(Quit).unwrap()), "x Q  Ctrl-C", "Ctrl-C quits whatever the config says");
        assert_eq!(keys.row_keys(row(DeleteCard).unwrap()), "—", "delete-card has no key left");
        assert_eq!(keys.say(NewCard), "d");
        assert_eq!(keys.say(DeleteCard), "delete-card");
    }

    /// The table's own writing of each line's keys holds the keys the line's
    /// actions have by default, and no other: it cannot drift from them.
    #[test]
    fn each_lines_keys_as_written_are_its_default_keys() {
        let keys = KeyMap::default();
        for row in bindings::ROWS.iter().filter(|r| !r.actions.is_empty()) {
            let mut written: Vec<char> = row.keys.chars().filter(|c| !c.is_whitespace()).collect();
            let generic = row
                .actions
                .iter()
                .flat_map(|b| keys.keys(b.action))
                .map(|k| k.shown())
                .chain((!row.fixed.is_empty()).then(|| row.fixed.to_string()));
            let mut derived: Vec<char> = generic.flat_map(|s| s.chars().collect::<Vec<_>>()).collect();
            written.sort();
            derived.sort();
            assert_eq!(written, derived, "the line {:?}", row.keys);
        }
    }
}
