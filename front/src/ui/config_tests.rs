//! The board drawn with a person's own keys (a config's `[keys]`): the footer
//! offers the keys in effect.

use kanban_protocol::model::Role;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;

use super::paint::Depth;
use super::{Theme, draw};
use crate::app::App;
use crate::app::bindings::BoardAction::*;
use crate::app::key::Key;
use crate::app::tests::app_with;

fn render(app: &App, theme: Theme) -> Buffer {
    let mut terminal = Terminal::new(TestBackend::new(100, 16)).unwrap();
    terminal.draw(|f| draw(f, app, theme)).unwrap();
    terminal.backend().buffer().clone()
}

fn row(buffer: &Buffer, y: u16) -> String {
    (0..buffer.area.width).map(|x| buffer[(x, y)].symbol()).collect()
}

fn footer(app: &App) -> String {
    let buffer = render(app, Theme::new(Depth::TrueColor));
    row(&buffer, buffer.area.height - 1)
}

#[test]
fn the_footer_offers_the_keys_in_effect() {
    let mut app = app_with(Role::Owner);
    app.keymap.bind(NewCard, &[Key::char('o')]);
    app.keymap.bind(MoveCardLeft, &[Key::ctrl('h')]);
    app.keymap.bind(DeleteCard, &[]);
    let mine = footer(&app);
    for offered in ["? help", "o new", "Ctrl-H/L move", "q quit"] {
        assert!(mine.contains(offered), "{offered}: {mine}");
    }
    for not in ["n new", "delete"] {
        assert!(!mine.contains(not), "{not}: {mine}");
    }
    let mut viewer = app_with(Role::Viewer);
    viewer.keymap.bind(Quit, &[Key::char('x')]);
    let theirs = footer(&viewer);
    assert!(theirs.contains("x quit") && theirs.contains("read-only"), "{theirs}");
}
