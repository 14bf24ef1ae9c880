//! The quick filters (`F`): one key for my cards or the overdue ones, a short list
//! for an assignee, a priority or a label. Each puts its term in the board's
//! filter (one of each kind; chosen again, it is taken out), where `/` shows and
//! edits it like any other.

use kanban_protocol::board::BoardState;
use kanban_protocol::model::Priority;

use super::input::{KeyCode, KeyEvent};

/// What a list offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Assignee,
    Priority,
    Label,
}

impl Kind {
    pub fn title(self) -> &'static str {
        match self {
            Kind::Assignee => "Cards of",
            Kind::Priority => "Cards of priority",
            Kind::Label => "Cards labelled",
        }
    }
}

/// The menu, or one of its lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuickMenu {
    Menu,
    /// Choices as shown, with the term each puts in the filter.
    List {
        kind: Kind,
        choices: Vec<(String, String)>,
        index: usize,
    },
}

/// What a key did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuickOutcome {
    Stay,
    Close,
    /// Put this term in the filter (or take it out).
    Toggle(String),
    Clear,
}

/// The menu's lines: key and what it does.
pub const MENU: &[(&str, &str)] = &[
    ("m", "my cards (@me)"),
    ("o", "overdue (is:overdue)"),
    ("a", "by assignee…"),
    ("p", "by priority…"),
    ("l", "by label…"),
    ("x", "clear the filter"),
];

/// A name or label as a term: `_` for spaces, so that it stays one word.
fn word(s: &str) -> String {
    s.trim().replace(char::is_whitespace, "_")
}

fn choices(kind: Kind, board: &BoardState) -> Vec<(String, String)> {
    match kind {
        Kind::Assignee => std::iter::once(("nobody".to_string(), "@none".to_string()))
            .chain(board.members.iter().map(|m| (m.name.clone(), format!("@{}", word(&m.name)))))
            .collect(),
        Kind::Priority => {
            Priority::ALL.iter().rev().map(|p| (p.as_str().to_string(), format!("!{}", p.as_str()))).collect()
        }
        Kind::Label => {
            let mut labels: Vec<String> = board.tasks.iter().flat_map(|t| t.labels.iter().cloned()).collect();
            labels.sort_by_key(|l| l.to_lowercase());
            labels.dedup_by_key(|l| l.to_lowercase());
            labels.into_iter().map(|l| (format!("#{l}"), format!("#{}", word(&l)))).collect()
        }
    }
}

impl QuickMenu {
    pub fn key(&mut self, key: KeyEvent, board: &BoardState) -> QuickOutcome {
        match self {
            QuickMenu::Menu => {
                let list = |kind| QuickMenu::List { kind, choices: choices(kind, board), index: 0 };
                match key.code {
                    KeyCode::Char('m') => return QuickOutcome::Toggle("@me".into()),
                    KeyCode::Char('o') => return QuickOutcome::Toggle("is:overdue".into()),
                    KeyCode::Char('a') => *self = list(Kind::Assignee),
                    KeyCode::Char('p') => *self = list(Kind::Priority),
                    KeyCode::Char('l') => *self = list(Kind::Label),
                    KeyCode::Char('x') => return QuickOutcome::Clear,
                    KeyCode::Esc | KeyCode::Char('q') | KeyCode::Char('F') => return QuickOutcome::Close,
                    _ => {}
                }
                QuickOutcome::Stay
            }
            QuickMenu::List { choices, index, .. } => {
                match key.code {
                    KeyCode::Down | KeyCode::Char('j') => {
                        *index = (*index + 1).min(choices.len().saturating_sub(1))
                    }
                    KeyCode::Up | KeyCode::Char('k') => *index = index.saturating_sub(1),
                    KeyCode::Enter => {
                        if let Some((_, term)) = choices.get(*index) {
                            return QuickOutcome::Toggle(term.clone());
                        }
                        return QuickOutcome::Close;
                    }
                    KeyCode::Esc => *self = QuickMenu::Menu,
                    _ => {}
                }
                QuickOutcome::Stay
            }
        }
    }
}
