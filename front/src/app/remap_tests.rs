//! A person's own keys ([`super::keymap::KeyMap`] as a config binds it) on the
//! board: the new key acts, the old one no longer does, the help and what is said
//! name the new one; and an error said before the board opened outlasts the
//! first connection.

use kanban_protocol::model::{Project, Role, User};

use super::bindings::BoardAction::*;
use super::input::{KeyCode, KeyEvent, KeyModifiers};
use super::key::Key;
use super::tests::{app_with, key};
use super::*;

fn press(app: &mut App, code: KeyCode, modifiers: KeyModifiers) -> Vec<Command> {
    app.update(Action::Key(KeyEvent::new(code, modifiers)))
}

/// The help's keys for the line of `does`.
fn help_keys(app: &App, does: &str) -> String {
    app.help_lines()
        .into_iter()
        .find_map(|line| match line {
            HelpLine::Keys { keys, does: d } if d.starts_with(does) => Some(keys),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no help line for {does}"))
}

#[test]
fn a_remapped_key_acts_and_the_old_one_no_longer_does() {
    let mut app = app_with(Role::Owner);
    app.keymap.bind(NewCard, &[Key::char('o')]);
    key(&mut app, KeyCode::Char('n'));
    assert!(matches!(app.mode, Mode::Board), "n makes no card now");
    key(&mut app, KeyCode::Char('o'));
    assert!(matches!(app.mode, Mode::Form(_)), "o opens the new card's form");
    assert_eq!(help_keys(&app, "new card"), "o");
}

#[test]
fn ctrl_and_alt_keys_are_keys_of_their_own() {
    let mut app = app_with(Role::Owner);
    app.keymap.bind(Filter, &[Key::parse("Alt-f").unwrap()]);
    app.keymap.bind(Help, &[Key::parse("Ctrl-h").unwrap()]);
    press(&mut app, KeyCode::Char('f'), KeyModifiers::ALT);
    assert!(matches!(&app.mode, Mode::Prompt(p) if p.kind == form::PromptKind::Filter), "{:?}", app.mode);
    app.mode = Mode::Board;
    // f alone still follows (nobody here to follow: said).
    key(&mut app, KeyCode::Char('f'));
    assert!(matches!(app.mode, Mode::Board));
    press(&mut app, KeyCode::Char('h'), KeyModifiers::CONTROL);
    assert!(matches!(app.mode, Mode::Help(0)));
    app.mode = Mode::Board;
    // Ctrl-R redoes, from the table like any other key.
    press(&mut app, KeyCode::Char('r'), KeyModifiers::CONTROL);
    assert_eq!(app.notice.as_ref().map(|n| n.text.as_str()), Some("Nothing to redo"));
    assert_eq!(help_keys(&app, "undo"), "u  Ctrl-R");
    assert_eq!(help_keys(&app, "filter"), "Alt-f  Esc");
}

#[test]
fn a_line_of_keys_too_long_for_its_column_takes_a_row_of_its_own() {
    let mut app = app_with(Role::Owner);
    app.keymap.bind(SelectLeft, &[Key::ctrl('b')]);
    let keys = help_keys(&app, "move the selection");
    assert_eq!(keys, "Ctrl-B  ↓ j  ↑ k  → l");
    let help = app.help_box(100, 60);
    let rows: Vec<&str> = help.rows.iter().filter(|(i, _)| *i == 0).map(|(_, r)| r.as_str()).collect();
    assert_eq!(rows, [" Ctrl-B  ↓ j  ↑ k  → l", "                 move the selection"]);
}

#[test]
fn what_is_said_names_the_keys_in_effect() {
    let mut app = app_with(Role::Owner);
    app.keymap.bind(ToggleDensity, &[Key::char('m')]);
    app.keymap.bind(SortColumn, &[Key::char('o')]);
    key(&mut app, KeyCode::Char('m'));
    assert_eq!(app.notice.as_ref().unwrap().text, "Compact: a line a card (m: roomy)");
    key(&mut app, KeyCode::Char('o'));
    assert!(app.notice.as_ref().unwrap().text.contains("(o again: by priority)"), "{:?}", app.notice);
    key(&mut app, KeyCode::Char('J'));
    assert!(app.notice.as_ref().unwrap().text.contains("press o until"), "{:?}", app.notice);
}

/// Refused, the quit key quits, whichever it is, and any other tries again.
#[test]
fn refused_the_remapped_quit_key_quits() {
    let mut app = app_with(Role::Owner);
    app.keymap.bind(Quit, &[Key::char('x')]);
    app.update(Action::Net(NetEvent::Refused("No access to this project".into())));
    assert_eq!(key(&mut app, KeyCode::Char('q')), vec![Command::Net(Request::Retry)]);
    assert!(!app.quit);
    app.update(Action::Net(NetEvent::Refused("No access to this project".into())));
    key(&mut app, KeyCode::Char('x'));
    assert!(app.quit);
}

/// A config error is said as the board opens: the first connection, which clears
/// what was said before it, leaves it; the next key takes it away.
#[test]
fn an_error_said_at_start_outlasts_the_first_connection() {
    let mut app = App::new(60, None);
    app.error_at_start("config.toml line 3: unknown action");
    app.update(Action::Net(NetEvent::Me(User { id: 1, name: "ann".into(), color: "#e06c75".into() })));
    let project = Project { id: 1, name: "Launch".into(), role: Role::Owner, archived: false };
    app.update(Action::Net(NetEvent::Projects(vec![project])));
    app.update(Action::Net(NetEvent::Connected));
    assert_eq!(app.notice.as_ref().map(|n| n.text.as_str()), Some("config.toml line 3: unknown action"));
    key(&mut app, KeyCode::Char('j'));
    assert_eq!(app.notice, None);
    // An ordinary error goes with the connection's return, as it always has.
    let mut app = App::new(60, None);
    app.error("Cannot load the board");
    app.update(Action::Net(NetEvent::Connected));
    assert_eq!(app.notice, None);
}
