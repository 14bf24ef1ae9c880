//! Keys and the mouse: the keys every mode shares (Ctrl-C, Ctrl-Z, a refusal's
//! retry), then each mode's own handler: the board ([`board`]), the overlays
//! and views that sit over it ([`overlays`]), and what a form or a prompt comes
//! to ([`prompts`]).

mod board;
mod overlays;
mod prompts;

use super::bindings::BoardAction;
use super::form::{Ask, Confirm, PromptKind};
use super::input::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseEvent};
use super::key::Key;
use super::{App, Change, Command, Connection, Mode, Origin};
pub(super) use prompts::form_outcome;

pub fn key(app: &mut App, key: KeyEvent) -> Vec<Command> {
    if key.kind == KeyEventKind::Release {
        return Vec::new();
    }
    if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) {
        // Unsaved changes in a form are asked about first.
        match &mut app.mode {
            Mode::Form(form) if form.is_dirty() && form.asking.is_none() => form.asking = Some(Ask::Quit),
            Mode::Prompt(prompt) if prompt.is_dirty() && prompt.asking.is_none() => {
                prompt.asking = Some(Ask::Quit);
            }
            _ => app.quit = true,
        }
        return Vec::new();
    }
    if key.code == KeyCode::Char('z') && key.modifiers.contains(KeyModifiers::CONTROL) {
        // Suspends from anywhere; whatever is open (a form half typed) stays.
        app.suspend = app.can_suspend;
        return Vec::new();
    }
    app.notice = None;
    if matches!(app.connection, Connection::Refused(_)) && matches!(app.mode, Mode::Board) {
        // Refused: the quit key quits, any other key tries again.
        if app.keymap.action(Key::of(key)) == Some(BoardAction::Quit) {
            app.quit = true;
            return Vec::new();
        }
        return app.retry();
    }
    match std::mem::take(&mut app.mode) {
        Mode::Board => board::key(app, key),
        Mode::Help(scroll) => overlays::help(app, key, scroll),
        Mode::Form(mut form) => {
            form.today = app.filter.today;
            let out = form.key(key);
            prompts::form_outcome(app, form, out)
        }
        Mode::Prompt(mut prompt) => {
            // Tab right after `@prefix` in a comment completes a member's name.
            if key.code == KeyCode::Tab
                && prompt.is_comment()
                && let Some(board) = &app.board
            {
                let names: Vec<&str> = board.members.iter().map(|m| m.name.as_str()).collect();
                crate::mention::complete(&mut prompt.input, &names);
                app.mode = Mode::Prompt(prompt);
                return Vec::new();
            }
            let out = prompt.key(key);
            prompts::prompt_outcome(app, prompt, out)
        }
        Mode::Confirm(confirm) => {
            // A comment's question was asked from its card's view: back to it.
            let back =
                matches!(confirm, Confirm::DeleteComment { .. }).then(|| app.return_view.take()).flatten();
            // A member's, from the members' list: back to it.
            let members = matches!(confirm, Confirm::RemoveMember { .. });
            let out = match key.code {
                KeyCode::Char('y') | KeyCode::Char('Y') => overlays::confirmed(app, confirm),
                _ => Vec::new(),
            };
            if let Some(view) = back {
                app.mode = Mode::Card(view);
            }
            if members {
                app.mode = Mode::Members(0);
            }
            out
        }
        Mode::Picker(index) => overlays::picker(app, key, index),
        Mode::Members(index) => overlays::members(app, key, index),
        Mode::Follow(index) => overlays::follow(app, key, index),
        Mode::Activity(lines, scroll) => overlays::activity(app, key, lines, scroll),
        Mode::Card(view) => overlays::card_view(app, key, view),
        Mode::Quick(menu) => overlays::quick(app, key, menu),
        Mode::Trash(view) => overlays::trash(app, key, view),
        Mode::Inbox(view) => super::inbox::inbox_key(app, key, view),
        Mode::Work(chosen) => super::inbox::work_key(app, key, chosen),
    }
}

/// One of the person's own changes, to make.
fn write(app: &mut App, w: Change) -> Vec<Command> {
    app.write(w, Origin::Do, None)
}

pub fn paste(app: &mut App, text: &str) {
    match &mut app.mode {
        Mode::Form(form) => form.paste(text),
        Mode::Prompt(prompt) => {
            prompt.paste(text);
            if prompt.kind == PromptKind::Filter {
                app.filter.set(&prompt.value());
            }
        }
        _ => {}
    }
}

pub fn mouse(app: &mut App, mouse: MouseEvent) -> Vec<Command> {
    board::mouse(app, mouse)
}
