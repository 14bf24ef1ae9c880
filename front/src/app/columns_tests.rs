//! Columns from the keyboard: a WIP limit (`w`) and a color (`C`), each checked as
//! the server checks it; a column made with `N` is where the selection goes.

use kanban_protocol::event::{BoardChange, BoardEvent};
use kanban_protocol::model::Role;
use kanban_protocol::request::StatusPatch;

use super::input::KeyCode;
use super::tests::{app_with, key, status, writes};
use super::{Action, App, Change, Mode, NetEvent};

/// Types `text` into whatever has the keyboard, then Enter.
fn answer(app: &mut App, text: &str) -> Vec<Change> {
    for c in text.chars() {
        key(app, KeyCode::Char(c));
    }
    writes(key(app, KeyCode::Enter))
}

fn clear(app: &mut App) {
    for _ in 0..20 {
        key(app, KeyCode::Backspace);
    }
}

#[test]
fn w_sets_a_wip_limit_and_c_a_color_both_checked_first() {
    let mut app = app_with(Role::Member);
    key(&mut app, KeyCode::Char('w'));
    assert!(matches!(&app.mode, Mode::Prompt(p) if p.title().starts_with("WIP limit")));
    assert!(answer(&mut app, "zero").is_empty());
    assert!(
        matches!(&app.mode, Mode::Prompt(p) if p.error.as_deref() == Some("\"zero\" is not a number of cards"))
    );
    clear(&mut app);
    assert!(answer(&mut app, "0").is_empty(), "the server refuses 0: so does the prompt");
    assert!(matches!(&app.mode, Mode::Prompt(p) if p.error.is_some()));
    clear(&mut app);
    let sent = answer(&mut app, "3");
    let limit = StatusPatch { wip_limit: Some(Some(3)), ..StatusPatch::default() };
    assert_eq!(sent, [Change::UpdateStatus { status_id: 1, patch: limit }]);
    assert!(matches!(app.mode, Mode::Board));
    // Empty: no limit.
    key(&mut app, KeyCode::Char('w'));
    clear(&mut app);
    let none = StatusPatch { wip_limit: Some(None), ..StatusPatch::default() };
    assert_eq!(answer(&mut app, ""), [Change::UpdateStatus { status_id: 1, patch: none }]);

    key(&mut app, KeyCode::Char('C'));
    assert!(answer(&mut app, "not-a-color").is_empty());
    assert!(matches!(&app.mode, Mode::Prompt(p) if p.error.is_some()));
    clear(&mut app);
    let sent = answer(&mut app, "teal");
    let Some(Change::UpdateStatus { status_id: 1, patch }) = sent.first() else { panic!("{sent:?}") };
    assert!(
        patch.color.as_ref().is_some_and(|c| c.as_deref().is_some_and(|c| c.starts_with('#'))),
        "{patch:?}"
    );
}

#[test]
fn a_column_made_with_n_is_selected() {
    let mut app = app_with(Role::Owner);
    key(&mut app, KeyCode::Char('N'));
    let sent = answer(&mut app, "Review");
    assert!(matches!(sent.as_slice(), [Change::CreateStatus { .. }]), "{sent:?}");
    // Made between Todo and Doing (after the selected column).
    let made = BoardEvent {
        rev: 11,
        by: 1,
        change: BoardChange::StatusCreated(status(9, "M", "Review")),
        rekeyed: vec![],
    };
    app.update(Action::Net(NetEvent::Done { change: Box::new(sent[0].clone()), event: Box::new(made) }));
    assert_eq!(app.selection.status_id, Some(9));
    assert_eq!(app.selection.column_index, 1);
    assert_eq!(app.selection.task_id, None);
}
