//! The view: a function of the app's state that draws a frame. One file per region.

mod board;
mod card;
mod chrome;
mod inbox;
mod overlay;
pub mod paint;
pub mod palette;
mod quick;
pub mod text;
pub mod theme;

use ratatui::Frame;

use crate::app::{App, Mode};
use crate::geometry;
pub use theme::Theme;

/// Draws the whole screen.
pub fn draw(frame: &mut Frame<'_>, app: &App, theme: Theme) {
    let area = frame.area();
    // The board as the person sees it: with their changes on their way made.
    let shown = app.seen();
    let screen =
        geometry::layout(area.width, area.height, shown.as_deref(), &app.selection, &app.filter, app.density);
    chrome::title(frame, app, &screen, theme);
    let looks = paint::looks_of(&app.presence.members, theme.depth);
    chrome::presence(frame, app, &looks, screen.presence, theme);
    board::board(frame, app, shown.as_deref(), &screen, &looks, theme);
    chrome::status(frame, app, screen.status, theme);
    match &app.mode {
        Mode::Board => {}
        Mode::Help(scroll) => overlay::help(frame, app, *scroll, theme),
        Mode::Form(form) => {
            let me = app.my_id();
            let editing: Vec<String> = form
                .task
                .as_ref()
                .map(|t| app.presence.editing(t.id, me.as_deref()))
                .unwrap_or_default()
                .into_iter()
                .filter_map(|id| app.presence.info(id).map(|i| i.name.clone()))
                .collect();
            overlay::form(frame, form, &editing, &app.zone, theme)
        }
        Mode::Prompt(prompt) => overlay::prompt(frame, prompt, theme),
        Mode::Confirm(confirm) => overlay::confirm(frame, confirm, theme),
        Mode::Picker(index) => overlay::picker(frame, app, *index, theme),
        Mode::Members(index) => overlay::members(frame, app, *index, theme),
        Mode::Follow(index) => overlay::follow(frame, app, *index, &looks, theme),
        Mode::Activity(lines, scroll) => {
            overlay::activity(frame, lines.as_deref(), *scroll, &app.zone, theme)
        }
        Mode::Trash(view) => overlay::trash(frame, app, view, theme),
        Mode::Card(view) => card::view(frame, app, view, theme),
        Mode::Quick(menu) => quick::menu(frame, menu, theme),
        Mode::Inbox(view) => inbox::inbox(frame, app, view, theme),
        Mode::Work(chosen) => inbox::work(frame, app, *chosen, theme),
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod cards_tests;

#[cfg(test)]
mod config_tests;

#[cfg(test)]
mod inbox_tests;
