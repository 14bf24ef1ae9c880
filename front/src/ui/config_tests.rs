//! The board drawn with a person's own keys and colors (a config's `[keys]` and
//! `[theme]`): the footer offers the keys in effect, the palette colors what it
//! names at the terminal's depth, and without color it changes nothing.

use kanban_protocol::model::Role;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::Color;

use super::paint::Depth;
use super::palette::{Palette, Role as For};
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

/// Where the selected card ("Write the README") and its column's top border are.
fn selected(buffer: &Buffer) -> ((u16, u16), (u16, u16)) {
    let y = (0..buffer.area.height).find(|y| row(buffer, *y).contains("Write the README")).unwrap();
    let x = row(buffer, y).chars().position(|c| c == 'W').unwrap() as u16;
    let top = (0..y).rev().find(|y| row(buffer, *y).starts_with('╭') || row(buffer, *y).starts_with('┌'));
    ((x, y), (0, top.expect("the column's top border")))
}

#[test]
fn the_palette_colors_what_it_names_at_the_terminals_depth() {
    let app = app_with(Role::Owner);
    let mut palette = Palette::DEFAULT;
    palette.set(For::Selection, Color::Rgb(0x11, 0x22, 0x33));
    palette.set(For::Accent, Color::Magenta);
    let buffer = render(&app, Theme::new(Depth::TrueColor).with_palette(palette));
    let (card, border) = selected(&buffer);
    assert_eq!(buffer[card].bg, Color::Rgb(0x11, 0x22, 0x33));
    assert_eq!(buffer[border].fg, Color::Magenta);
    let default = render(&app, Theme::new(Depth::TrueColor));
    assert_eq!(default[card].bg, Color::Rgb(60, 64, 72));
    assert_eq!(default[border].fg, Color::Cyan);
    // 256 colors: the chosen color as near as they come, never a 24-bit one.
    let buffer = render(&app, Theme::new(Depth::Ansi256).with_palette(palette));
    assert!(matches!(buffer[card].bg, Color::Indexed(_)), "{:?}", buffer[card].bg);
    // No color: the palette changes nothing.
    let none = render(&app, Theme::new(Depth::None).with_palette(palette));
    assert_eq!(none, render(&app, Theme::new(Depth::None)));
}
