//! Keys and the mouse on the board: what a key does comes from the app's
//! [`super::super::keymap::KeyMap`] (the table's defaults, or the config's keys;
//! the help lists the same); each group of actions (moving about, opening views,
//! cards, columns) has its handler here.

use kanban_protocol::model::Priority;
use kanban_protocol::request::{MoveStatus, MoveTask, TaskPatch};

use super::super::bindings::BoardAction;
use super::super::card_view::CardView;
use super::super::form::{CardForm, Confirm, Prompt, PromptKind};
use super::super::input::{KeyEvent, MouseButton, MouseEvent, MouseEventKind};
use super::super::key::Key;
use super::super::quick::QuickMenu;
use super::super::seen::seen_of;
use super::super::{App, Change, Command, Connection, Mode, Request};
use super::write;
use crate::filter::Sort;
use crate::geometry::{self, Density};
use crate::selection::visible_cards;

/// A key on the board.
pub(super) fn key(app: &mut App, key: KeyEvent) -> Vec<Command> {
    // Any key on the board means the user has moved on from a card being made.
    app.select_created = false;
    let Some(action) = app.keymap.action(Key::of(key)) else { return Vec::new() };
    if action == BoardAction::RenameColumn && matches!(app.connection, Connection::Offline { .. }) {
        // Offline, r tries to connect now (a rename could only wait anyway).
        let out = app.retry();
        app.info("Trying to connect now…");
        return out;
    }
    use BoardAction::*;
    if matches!(
        action,
        SelectLeft | SelectRight | SelectUp | SelectDown | SelectFirst | SelectLast | PageUp | PageDown
    ) {
        app.unfollow(|n| format!("Stopped following {n}"));
    }
    if app.board.is_none() {
        // Before a board is here, only what needs none.
        match action {
            Quit => app.quit = true,
            SwitchProject => {
                app.mode = Mode::Picker(0);
                return vec![Command::Net(Request::Projects { archived: app.show_archived })];
            }
            Help => app.mode = Mode::Help(0),
            Inbox => return app.open_inbox(),
            MyWork => return app.open_work(),
            _ => {}
        }
        return Vec::new();
    }
    match action {
        Quit => app.quit = true,
        Help => app.mode = Mode::Help(0),
        SelectLeft | SelectRight | SelectUp | SelectDown | SelectFirst | SelectLast | PageUp | PageDown => {
            select(app, action)
        }
        ToggleDensity => toggle_density(app),
        SortColumn => sort_column(app),
        QuickFilter => app.mode = Mode::Quick(QuickMenu::Menu),
        Filter => app.mode = Mode::Prompt(Box::new(Prompt::new(PromptKind::Filter, app.filter.as_str()))),
        ClearFilter => app.filter.clear(),
        Undo => return app.undo(false),
        Redo => return app.undo(true),
        Follow => follow(app),
        Members => app.mode = Mode::Members(0),
        Inbox => return app.open_inbox(),
        MyWork => return app.open_work(),
        ClearSince => app.clear_marks(),
        SwitchProject => {
            app.mode =
                Mode::Picker(app.projects.iter().position(|p| Some(p.id) == app.project_id).unwrap_or(0));
            // Boards made or given since the start show up, with the person's
            // cards on each.
            return vec![
                Command::Net(Request::Projects { archived: app.show_archived }),
                Command::Net(Request::MyWork),
            ];
        }
        Trash | Activity | ViewCard => return open(app, action),
        Comment | NewCard | EditCard | EditInEditor | DeleteCard | MoveCardLeft | MoveCardRight
        | MoveCardUp | MoveCardDown | AssignToMe | CyclePriority | CopyReference | CopyText | Watch => {
            return card(app, action);
        }
        NewColumn | RenameColumn | ColumnLimit | ColumnColor | MoveColumnLeft | MoveColumnRight
        | DeleteColumn => return column(app, action),
    }
    Vec::new()
}

/// Says that viewers cannot change the board (asked after `can_write`, once
/// nothing of the board is needed any more).
fn viewers_cannot(app: &mut App) -> Vec<Command> {
    app.error("Viewers cannot change the board");
    Vec::new()
}

/// Moves the selection. Keys act on the board as the person sees it: after
/// their own changes on their way, so that each press is a step from the one
/// before.
fn select(app: &mut App, action: BoardAction) {
    let seen = seen_of!(app);
    let Some(board) = seen.as_deref() else { return };
    let filter = &app.filter;
    let card_count = app.selection.status_id.map_or(0, |s| visible_cards(board, s, filter).len());
    let delta = match action {
        BoardAction::SelectLeft => return app.selection.step_column(board, filter, -1),
        BoardAction::SelectRight => return app.selection.step_column(board, filter, 1),
        BoardAction::SelectUp => -1,
        BoardAction::SelectDown => 1,
        BoardAction::SelectFirst => -(card_count as isize),
        BoardAction::SelectLast => card_count as isize,
        _ => {
            // A page is as many cards as the column shows now.
            let screen = geometry::layout(
                app.viewport.0,
                app.viewport.1,
                Some(board),
                &app.selection,
                filter,
                app.density,
            );
            let column = app.selection.status_id.and_then(|s| screen.column(s));
            let page = column.map_or(1, |c| c.cards.len().max(1)) as isize;
            if action == BoardAction::PageUp { -page } else { page }
        }
    };
    app.selection.step_card(board, filter, delta);
}

fn toggle_density(app: &mut App) {
    app.density = match app.density {
        Density::Roomy => Density::Compact,
        Density::Compact => Density::Roomy,
    };
    let z = app.keymap.say(BoardAction::ToggleDensity);
    app.info(match app.density {
        Density::Compact => format!("Compact: a line a card ({z}: roomy)"),
        Density::Roomy => format!("Roomy: details under each card ({z}: compact)"),
    });
}

/// `s`: the selected column's next way of showing its cards. The order stored
/// does not change; the selected card stays selected.
fn sort_column(app: &mut App) {
    let Some(status_id) = app.selection.status_id else { return };
    // The selected card stays selected, wherever it now shows: the selection is
    // fixed after every key.
    let sort = app.filter.toggle_sort(status_id);
    let s = app.keymap.say(BoardAction::SortColumn);
    let (j, k) = (app.keymap.say(BoardAction::MoveCardDown), app.keymap.say(BoardAction::MoveCardUp));
    app.info(match sort {
        Some(sort) => format!(
            "This column is shown by {} ({s} again: {})",
            sort.as_str(),
            match sort {
                Sort::Due => "by priority",
                Sort::Priority => "as stored",
            }
        ),
        None => format!("This column is shown as stored ({j}/{k} move cards in it)"),
    });
}

fn follow(app: &mut App) {
    let others = app.others();
    if app.following.is_some() {
        app.unfollow(|n| format!("Stopped following {n}"));
    } else if others.is_empty() {
        app.info("Nobody else is here to follow");
    } else if let [(id, _)] = &others[..] {
        app.follow(id.clone());
    } else {
        app.mode = Mode::Follow(0);
    }
}

/// Opens the trash, the history or the selected card's view, asking for what
/// it shows.
fn open(app: &mut App, action: BoardAction) -> Vec<Command> {
    match action {
        BoardAction::Trash => {
            if let Some(project_id) = app.project_id {
                app.mode = Mode::Trash(Box::default());
                return vec![Command::Net(Request::Trash(project_id))];
            }
        }
        BoardAction::Activity => {
            if let Some(project_id) = app.project_id {
                app.mode = Mode::Activity(None, 0);
                return vec![Command::Net(Request::Activity(project_id))];
            }
        }
        _ => {
            let seen = seen_of!(app);
            let exists =
                app.selection.task_id.filter(|id| seen.as_deref().is_some_and(|b| b.task(*id).is_some()));
            if let Some(task_id) = exists {
                app.mode = Mode::Card(CardView::new(task_id));
                // Who watches it comes with its thread.
                return vec![
                    Command::Net(Request::Comments(task_id)),
                    Command::Net(Request::Watch { task_id, watch: None }),
                ];
            }
        }
    }
    Vec::new()
}

/// What a key does to the selected card (or, for a new one, in the selected
/// column).
fn card(app: &mut App, action: BoardAction) -> Vec<Command> {
    let seen = seen_of!(app);
    let Some(board) = seen.as_deref() else { return Vec::new() };
    let sel = app.selection;
    if action == BoardAction::NewCard {
        let Some(s) = sel.status_id else { return Vec::new() };
        if !app.can_write() {
            return viewers_cannot(app);
        }
        app.mode = Mode::Form(Box::new(CardForm::new_card(s, board.members.clone())));
        return Vec::new();
    }
    let Some(task) = sel.task_id.and_then(|id| board.task(id)).cloned() else { return Vec::new() };
    match action {
        BoardAction::Comment => {
            if !app.can_write() {
                return viewers_cannot(app);
            }
            let kind = PromptKind::Comment { task_id: task.id, from_view: false, comment_id: None };
            app.mode = Mode::Prompt(Box::new(Prompt::new(kind, "")));
        }
        BoardAction::EditCard => {
            // Those who may not change the card read it in its view.
            app.mode = if app.can_write() {
                Mode::Form(Box::new(CardForm::edit(&task, board.members.clone(), false)))
            } else {
                Mode::Card(CardView::new(task.id))
            };
        }
        BoardAction::EditInEditor if !app.can_write() => app.error("Viewers cannot change the board"),
        BoardAction::EditInEditor => {
            let form = Box::new(CardForm::edit(&task, board.members.clone(), false));
            if app.hand_to_editor(&form, true) {
                app.mode = Mode::Form(form);
            }
        }
        BoardAction::CopyReference | BoardAction::CopyText => {
            let reference = format!("#{} {}", task.id, task.title);
            if action == BoardAction::CopyReference {
                app.info(format!("Copied “{reference}” to the clipboard"));
                app.clipboard = Some(reference);
            } else {
                app.info(format!("Copied the text of “{reference}” to the clipboard"));
                // As a commit message is written: the title, a blank line, the rest.
                app.clipboard = Some(match task.description.as_str() {
                    "" => task.title,
                    description => format!("{}\n\n{description}", task.title),
                });
            }
        }
        BoardAction::DeleteCard => {
            if !app.can_write() {
                return viewers_cannot(app);
            }
            app.mode = Mode::Confirm(Confirm::DeleteTask { task_id: task.id, title: task.title });
        }
        BoardAction::MoveCardLeft | BoardAction::MoveCardRight => {
            let delta = if action == BoardAction::MoveCardLeft { -1 } else { 1 };
            let i = sel.column_index as isize + delta;
            if let Some(target) = (i >= 0).then(|| board.statuses.get(i as usize)).flatten() {
                // Same row in the next column, where there is one.
                let there = visible_cards(board, target.id, &app.filter);
                let before_id = there.get(sel.card_index).map(|c| c.id);
                let to = MoveTask { status_id: target.id, before_id, after_id: None, version: None };
                return write(app, Change::MoveTask { task_id: task.id, to });
            }
        }
        BoardAction::MoveCardUp | BoardAction::MoveCardDown => {
            let Some(s) = sel.status_id else { return Vec::new() };
            if let Some(sort) = app.filter.sort_of(s) {
                app.error(format!(
                    "This column is shown by {}: press {} until it is shown as stored to move cards in it",
                    sort.as_str(),
                    app.keymap.say(BoardAction::SortColumn)
                ));
                return Vec::new();
            }
            let cards = visible_cards(board, s, &app.filter);
            let card_id = |n: usize| cards.get(n).map(|t| t.id);
            let i = sel.card_index;
            let to = if action == BoardAction::MoveCardUp {
                i.checked_sub(1).and_then(card_id).map(|before| MoveTask {
                    status_id: s,
                    before_id: Some(before),
                    after_id: None,
                    version: None,
                })
            } else {
                card_id(i + 1).map(|after| MoveTask {
                    status_id: s,
                    before_id: None,
                    after_id: Some(after),
                    version: None,
                })
            };
            if let Some(to) = to {
                return write(app, Change::MoveTask { task_id: task.id, to });
            }
        }
        BoardAction::AssignToMe => {
            if let Some(me) = &app.me {
                let assignee_id = if task.assignee_id == Some(me.id) { None } else { Some(me.id) };
                let patch = TaskPatch { assignee_id: Some(assignee_id), ..TaskPatch::default() };
                return write(app, Change::UpdateTask { task_id: task.id, patch });
            }
        }
        BoardAction::Watch => return app.toggle_watch(task.id, &task.title),
        BoardAction::CyclePriority => {
            let i = Priority::ALL.iter().position(|p| *p == task.priority).unwrap_or(0);
            let priority = Priority::ALL[(i + 1) % Priority::ALL.len()];
            let patch = TaskPatch { priority: Some(priority), ..TaskPatch::default() };
            return write(app, Change::UpdateTask { task_id: task.id, patch });
        }
        _ => {}
    }
    Vec::new()
}

/// What a key does to the selected column (or, for a new one, after it).
fn column(app: &mut App, action: BoardAction) -> Vec<Command> {
    let seen = seen_of!(app);
    let Some(board) = seen.as_deref() else { return Vec::new() };
    let sel = app.selection;
    if action == BoardAction::NewColumn {
        if !app.can_write() {
            return viewers_cannot(app);
        }
        let kind = PromptKind::NewColumn { after_id: sel.status_id };
        app.mode = Mode::Prompt(Box::new(Prompt::new(kind, "")));
        return Vec::new();
    }
    let Some(s) = sel.status_id.and_then(|id| board.status(id)) else { return Vec::new() };
    match action {
        BoardAction::RenameColumn => {
            if !app.can_write() {
                return viewers_cannot(app);
            }
            let kind = PromptKind::RenameColumn { status_id: s.id };
            app.mode = Mode::Prompt(Box::new(Prompt::new(kind, &s.name)));
        }
        BoardAction::ColumnLimit | BoardAction::ColumnColor => {
            if !app.can_write() {
                return viewers_cannot(app);
            }
            let (kind, now) = if action == BoardAction::ColumnLimit {
                let now = s.wip_limit.map(|l| l.to_string()).unwrap_or_default();
                (PromptKind::ColumnLimit { status_id: s.id }, now)
            } else {
                (PromptKind::ColumnColor { status_id: s.id }, s.color.clone().unwrap_or_default())
            };
            app.mode = Mode::Prompt(Box::new(Prompt::new(kind, &now)));
        }
        BoardAction::MoveColumnLeft | BoardAction::MoveColumnRight => {
            let left = action == BoardAction::MoveColumnLeft;
            let i = sel.column_index as isize + if left { -1 } else { 1 };
            if let Some(neighbour) = (i >= 0).then(|| board.statuses.get(i as usize)).flatten() {
                let to = if left {
                    MoveStatus { before_id: Some(neighbour.id), after_id: None }
                } else {
                    MoveStatus { before_id: None, after_id: Some(neighbour.id) }
                };
                return write(app, Change::MoveStatus { status_id: s.id, to });
            }
        }
        BoardAction::DeleteColumn => {
            if !app.can_write() {
                return viewers_cannot(app);
            }
            if board.statuses.len() == 1 {
                app.error("The last column stays");
            } else {
                let cards = board.card_count(s.id);
                app.mode =
                    Mode::Confirm(Confirm::DeleteColumn { status_id: s.id, name: s.name.clone(), cards });
            }
        }
        _ => {}
    }
    Vec::new()
}

/// The mouse on the board: a click selects, the wheel scrolls the column under it.
pub(super) fn mouse(app: &mut App, mouse: MouseEvent) -> Vec<Command> {
    if !matches!(app.mode, Mode::Board) {
        return Vec::new();
    }
    app.select_created = false;
    let seen = seen_of!(app);
    let Some(board) = seen.as_deref() else { return Vec::new() };
    let screen = geometry::layout(
        app.viewport.0,
        app.viewport.1,
        Some(board),
        &app.selection,
        &app.filter,
        app.density,
    );
    match mouse.kind {
        MouseEventKind::Down(MouseButton::Left) => {
            if let Some((status_id, task_id)) = screen.hit(mouse.column, mouse.row) {
                app.selection.select(board, &app.filter, status_id, task_id);
            }
        }
        MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => {
            let delta = if mouse.kind == MouseEventKind::ScrollDown { 1 } else { -1 };
            if let Some((status_id, _)) = screen.hit(mouse.column, mouse.row)
                && app.selection.status_id != Some(status_id)
            {
                app.selection.select(board, &app.filter, status_id, None);
            }
            app.selection.step_card(board, &app.filter, delta);
        }
        _ => {}
    }
    Vec::new()
}
