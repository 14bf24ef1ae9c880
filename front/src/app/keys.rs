//! Keys and the mouse: what each does in each mode. On the board, what a key does
//! comes from the table in [`super::bindings`], which the help overlay lists too.
use kanban_protocol::model::Priority;
use kanban_protocol::request::{MoveStatus, MoveTask, NewComment, NewStatus, StatusPatch, TaskPatch};

use super::bindings::{self, BoardAction};
use super::card_view::{self, CardView, ViewOutcome};
use super::form::{CardForm, Confirm, FormOutcome, Prompt, PromptKind, PromptOutcome};
use super::input::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use super::quick::{QuickMenu, QuickOutcome};
use super::seen::seen_of;
use super::trash::TrashOutcome;
use super::{App, Change, Command, Mode, Origin, Request};
use crate::geometry::{self, Density};
use crate::selection::{Visible, visible_cards};

pub fn key(app: &mut App, key: KeyEvent) -> Vec<Command> {
    if key.kind == KeyEventKind::Release {
        return Vec::new();
    }
    if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) {
        // Unsaved changes in a form are asked about first.
        match &mut app.mode {
            Mode::Form(form) if form.is_dirty() && form.asking.is_none() => {
                form.asking = Some(super::form::Ask::Quit);
            }
            Mode::Prompt(prompt) if prompt.is_dirty() && prompt.asking.is_none() => {
                prompt.asking = Some(super::form::Ask::Quit);
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
    if matches!(app.connection, super::Connection::Refused(_)) && matches!(app.mode, Mode::Board) {
        // Refused: q quits, any other key tries again.
        if key.code == KeyCode::Char('q') {
            app.quit = true;
            return Vec::new();
        }
        return app.retry();
    }
    match std::mem::take(&mut app.mode) {
        Mode::Board => board_key(app, key),
        Mode::Help(scroll) => {
            // Arrows scroll a help taller than the screen a line, PgDn and PgUp a
            // page; any other key closes it.
            let help = app.help_box(app.viewport.0, app.viewport.1);
            let page = help.visible.max(1);
            let to = match key.code {
                KeyCode::Down | KeyCode::Char('j') => Some(scroll.saturating_add(1)),
                KeyCode::PageDown | KeyCode::Char(' ') => Some(scroll.saturating_add(page)),
                KeyCode::Up | KeyCode::Char('k') => Some(scroll.saturating_sub(1)),
                KeyCode::PageUp => Some(scroll.saturating_sub(page)),
                KeyCode::Home => Some(0),
                KeyCode::End => Some(help.max_scroll()),
                _ => None,
            };
            if let Some(to) = to {
                app.mode = Mode::Help(to.min(help.max_scroll()));
            }
            Vec::new()
        }
        Mode::Form(mut form) => {
            let out = form.key(key);
            form_outcome(app, form, out)
        }
        Mode::Prompt(mut prompt) => {
            let out = prompt.key(key);
            prompt_outcome(app, prompt, out)
        }
        Mode::Confirm(confirm) => match key.code {
            KeyCode::Char('y') | KeyCode::Char('Y') => confirmed(app, confirm),
            _ => Vec::new(),
        },
        Mode::Picker(index) => picker_key(app, key, index),
        Mode::Follow(index) => follow_key(app, key, index),
        Mode::Activity(lines, scroll) => {
            // Scrolling stops when the last line is at the box's bottom.
            let (_, page) = geometry::history_box(app.viewport.0, app.viewport.1);
            let last = lines.as_ref().map_or(0, |l| l.len().saturating_sub(page));
            match key.code {
                KeyCode::Down | KeyCode::Char('j') => {
                    app.mode = Mode::Activity(lines, (scroll + 1).min(last))
                }
                KeyCode::Up | KeyCode::Char('k') => {
                    app.mode = Mode::Activity(lines, scroll.saturating_sub(1))
                }
                KeyCode::PageDown => app.mode = Mode::Activity(lines, (scroll + page).min(last)),
                KeyCode::PageUp => app.mode = Mode::Activity(lines, scroll.saturating_sub(page)),
                KeyCode::End => app.mode = Mode::Activity(lines, last),
                KeyCode::Home => app.mode = Mode::Activity(lines, 0),
                _ => {}
            }
            Vec::new()
        }
        Mode::Card(view) => card_view_key(app, key, view),
        Mode::Quick(mut menu) => {
            let seen = seen_of!(app);
            let Some(board) = seen.as_deref() else { return Vec::new() };
            match menu.key(key, board) {
                QuickOutcome::Stay => app.mode = Mode::Quick(menu),
                QuickOutcome::Close => {}
                QuickOutcome::Toggle(term) => app.filter.toggle(&term),
                QuickOutcome::Clear => app.filter.clear(),
            }
            Vec::new()
        }
        Mode::Trash(mut view) => match view.key(key) {
            TrashOutcome::Stay => {
                app.mode = Mode::Trash(view);
                Vec::new()
            }
            TrashOutcome::Close => Vec::new(),
            TrashOutcome::Restore(change) => {
                let out = write(app, change.clone());
                if !out.is_empty() {
                    view.forget(&change);
                }
                app.mode = Mode::Trash(view);
                out
            }
        },
    }
}

fn write(app: &mut App, w: Change) -> Vec<Command> {
    app.write(w, Origin::Do, None)
}

fn board_key(app: &mut App, key: KeyEvent) -> Vec<Command> {
    // Any key on the board means the user has moved on from a card being made.
    app.select_created = false;
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        // Ctrl-R redoes; other control keys are not the letters' board actions.
        return match key.code {
            KeyCode::Char('r') => app.undo(true),
            _ => Vec::new(),
        };
    }
    let Some(action) = bindings::action(key.code) else { return Vec::new() };
    if action == BoardAction::RenameColumn && matches!(app.connection, super::Connection::Offline { .. }) {
        // Offline, r tries to connect now (a rename could only wait anyway).
        let out = app.retry();
        app.info("Trying to connect now…");
        return out;
    }
    use BoardAction::{
        PageDown, PageUp, SelectDown, SelectFirst, SelectLast, SelectLeft, SelectRight, SelectUp,
    };
    if matches!(
        action,
        SelectLeft | SelectRight | SelectUp | SelectDown | SelectFirst | SelectLast | PageUp | PageDown
    ) {
        app.unfollow(|n| format!("Stopped following {n}"));
    }
    // Keys act on the board as the person sees it: after their own changes on
    // their way, so that each press is a step from the one before.
    let seen = seen_of!(app);
    let Some(board) = seen.as_deref() else {
        match action {
            BoardAction::Quit => app.quit = true,
            BoardAction::SwitchProject if !app.projects.is_empty() => app.mode = Mode::Picker(0),
            BoardAction::Help => app.mode = Mode::Help(0),
            _ => {}
        }
        return Vec::new();
    };
    let filter = app.filter.clone();
    let sel = app.selection;
    let status_id = sel.status_id;
    let task = sel.task_id.and_then(|id| board.task(id)).cloned();
    let cards = status_id.map(|s| visible_cards(board, s, &filter));
    let card_count = cards.as_ref().map_or(0, Visible::len);
    let card_id = |n: usize| cards.as_ref().and_then(|c| c.get(n)).map(|t| t.id);
    let column = |delta: isize| {
        let i = sel.column_index as isize + delta;
        (i >= 0).then(|| board.statuses.get(i as usize)).flatten().cloned()
    };
    match action {
        BoardAction::Quit => app.quit = true,
        BoardAction::Help => app.mode = Mode::Help(0),
        BoardAction::SelectLeft => app.selection.step_column(board, &filter, -1),
        BoardAction::SelectRight => app.selection.step_column(board, &filter, 1),
        BoardAction::SelectUp => app.selection.step_card(board, &filter, -1),
        BoardAction::SelectDown => app.selection.step_card(board, &filter, 1),
        BoardAction::SelectFirst => app.selection.step_card(board, &filter, -(card_count as isize)),
        BoardAction::SelectLast => app.selection.step_card(board, &filter, card_count as isize),
        BoardAction::PageUp | BoardAction::PageDown => {
            // A page is as many cards as the column shows now.
            let screen =
                geometry::layout(app.viewport.0, app.viewport.1, Some(board), &sel, &filter, app.density);
            let page = status_id.and_then(|s| screen.column(s)).map_or(1, |c| c.cards.len().max(1)) as isize;
            let delta = if action == BoardAction::PageUp { -page } else { page };
            app.selection.step_card(board, &filter, delta);
        }
        BoardAction::ToggleDensity => {
            app.density = match app.density {
                Density::Roomy => Density::Compact,
                Density::Compact => Density::Roomy,
            };
            app.info(match app.density {
                Density::Compact => "Compact: a line a card (z: roomy)",
                Density::Roomy => "Roomy: details under each card (z: compact)",
            });
        }
        BoardAction::QuickFilter => app.mode = Mode::Quick(QuickMenu::Menu),
        BoardAction::Filter => {
            app.mode = Mode::Prompt(Box::new(Prompt::new(PromptKind::Filter, filter.as_str())))
        }
        BoardAction::ClearFilter => app.filter.clear(),
        BoardAction::Undo => return app.undo(false),
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
        BoardAction::Comment => {
            if let Some(t) = &task {
                if app.can_write() {
                    let kind = PromptKind::Comment { task_id: t.id, from_view: false };
                    app.mode = Mode::Prompt(Box::new(Prompt::new(kind, "")));
                } else {
                    app.error("Viewers cannot change the board");
                }
            }
        }
        BoardAction::Follow => {
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
        BoardAction::SwitchProject => {
            app.mode =
                Mode::Picker(app.projects.iter().position(|p| Some(p.id) == app.project_id).unwrap_or(0))
        }
        BoardAction::NewCard => {
            if let Some(s) = status_id {
                if !app.can_write() {
                    app.error("Viewers cannot change the board");
                } else {
                    app.mode = Mode::Form(Box::new(CardForm::new_card(s, board.members.clone())));
                }
            }
        }
        BoardAction::ViewCard => {
            if let Some(t) = &task {
                app.mode = Mode::Card(CardView::new(t.id));
                return vec![Command::Net(Request::Comments(t.id))];
            }
        }
        BoardAction::EditCard => {
            if let Some(t) = &task {
                // Those who may not change the card read it in its view.
                app.mode = if app.can_write() {
                    Mode::Form(Box::new(CardForm::edit(t, board.members.clone(), false)))
                } else {
                    Mode::Card(CardView::new(t.id))
                };
            }
        }
        BoardAction::DeleteCard => {
            if let Some(t) = task {
                if app.can_write() {
                    app.mode = Mode::Confirm(Confirm::DeleteTask { task_id: t.id, title: t.title });
                } else {
                    app.error("Viewers cannot change the board");
                }
            }
        }
        BoardAction::MoveCardLeft | BoardAction::MoveCardRight => {
            let delta = if action == BoardAction::MoveCardLeft { -1 } else { 1 };
            if let (Some(t), Some(target)) = (&task, column(delta)) {
                // Same row in the next column, where there is one.
                let there = visible_cards(board, target.id, &filter);
                let before_id = there.get(sel.card_index).map(|c| c.id);
                let to = MoveTask { status_id: target.id, before_id, after_id: None, version: None };
                return write(app, Change::MoveTask { task_id: t.id, to });
            }
        }
        BoardAction::MoveCardUp | BoardAction::MoveCardDown => {
            if let (Some(t), Some(s)) = (&task, status_id) {
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
                    return write(app, Change::MoveTask { task_id: t.id, to });
                }
            }
        }
        BoardAction::AssignToMe => {
            if let (Some(t), Some(me)) = (&task, &app.me) {
                let assignee_id = if t.assignee_id == Some(me.id) { None } else { Some(me.id) };
                let patch = TaskPatch { assignee_id: Some(assignee_id), ..TaskPatch::default() };
                return write(app, Change::UpdateTask { task_id: t.id, patch });
            }
        }
        BoardAction::CyclePriority => {
            if let Some(t) = &task {
                let i = Priority::ALL.iter().position(|p| *p == t.priority).unwrap_or(0);
                let priority = Priority::ALL[(i + 1) % Priority::ALL.len()];
                let patch = TaskPatch { priority: Some(priority), ..TaskPatch::default() };
                return write(app, Change::UpdateTask { task_id: t.id, patch });
            }
        }
        BoardAction::NewColumn => {
            if app.can_write() {
                app.mode =
                    Mode::Prompt(Box::new(Prompt::new(PromptKind::NewColumn { after_id: status_id }, "")));
            } else {
                app.error("Viewers cannot change the board");
            }
        }
        BoardAction::RenameColumn => {
            if let Some(s) = status_id.and_then(|id| board.status(id)) {
                if app.can_write() {
                    app.mode = Mode::Prompt(Box::new(Prompt::new(
                        PromptKind::RenameColumn { status_id: s.id },
                        &s.name,
                    )));
                } else {
                    app.error("Viewers cannot change the board");
                }
            }
        }
        BoardAction::ColumnLimit | BoardAction::ColumnColor => {
            if let Some(s) = status_id.and_then(|id| board.status(id)) {
                if app.can_write() {
                    let (kind, now) = if action == BoardAction::ColumnLimit {
                        let now = s.wip_limit.map(|l| l.to_string()).unwrap_or_default();
                        (PromptKind::ColumnLimit { status_id: s.id }, now)
                    } else {
                        (PromptKind::ColumnColor { status_id: s.id }, s.color.clone().unwrap_or_default())
                    };
                    app.mode = Mode::Prompt(Box::new(Prompt::new(kind, &now)));
                } else {
                    app.error("Viewers cannot change the board");
                }
            }
        }
        BoardAction::MoveColumnLeft | BoardAction::MoveColumnRight => {
            let left = action == BoardAction::MoveColumnLeft;
            if let (Some(s), Some(neighbour)) = (status_id, column(if left { -1 } else { 1 })) {
                let to = if left {
                    MoveStatus { before_id: Some(neighbour.id), after_id: None }
                } else {
                    MoveStatus { before_id: None, after_id: Some(neighbour.id) }
                };
                return write(app, Change::MoveStatus { status_id: s, to });
            }
        }
        BoardAction::DeleteColumn => {
            if let Some(s) = status_id.and_then(|id| board.status(id)) {
                if !app.can_write() {
                    app.error("Viewers cannot change the board");
                } else if board.statuses.len() == 1 {
                    app.error("The last column stays");
                } else {
                    app.mode = Mode::Confirm(Confirm::DeleteColumn {
                        status_id: s.id,
                        name: s.name.clone(),
                        cards: board.card_count(s.id),
                    });
                }
            }
        }
    }
    Vec::new()
}

fn form_outcome(app: &mut App, form: Box<CardForm>, outcome: FormOutcome) -> Vec<Command> {
    match outcome {
        FormOutcome::Editing => app.mode = Mode::Form(form),
        FormOutcome::Cancel | FormOutcome::Unchanged => {}
        FormOutcome::Quit => app.quit = true,
        FormOutcome::Create(new) => {
            if let Some(project_id) = app.project_id {
                app.select_created = true;
                return app.send_form(form, Change::CreateTask { project_id, new });
            }
            app.mode = Mode::Form(form);
        }
        FormOutcome::Update { task_id, patch } => {
            return app.send_form(form, Change::UpdateTask { task_id, patch });
        }
    }
    Vec::new()
}

fn prompt_outcome(app: &mut App, prompt: Box<Prompt>, outcome: PromptOutcome) -> Vec<Command> {
    if outcome == PromptOutcome::Quit {
        app.quit = true;
        return Vec::new();
    }
    if prompt.kind == PromptKind::Filter {
        // The filter applies as one types.
        match outcome {
            PromptOutcome::Cancel | PromptOutcome::Quit => app.filter.clear(),
            PromptOutcome::Submit(text) => app.filter.set(&text),
            PromptOutcome::Editing => {
                app.filter.set(&prompt.value());
                app.mode = Mode::Prompt(prompt);
            }
        }
        return Vec::new();
    }
    if let PromptKind::Comment { task_id, from_view } = prompt.kind {
        return match outcome {
            PromptOutcome::Submit(text) => comment(app, prompt, task_id, from_view, &text),
            PromptOutcome::Editing => {
                app.mode = Mode::Prompt(prompt);
                Vec::new()
            }
            PromptOutcome::Cancel | PromptOutcome::Quit => {
                if let Some(view) = app.return_view.take() {
                    app.mode = Mode::Card(view);
                }
                Vec::new()
            }
        };
    }
    let PromptOutcome::Submit(name) = outcome else {
        if outcome == PromptOutcome::Editing {
            app.mode = Mode::Prompt(prompt);
        }
        return Vec::new();
    };
    if let PromptKind::ColumnLimit { status_id } | PromptKind::ColumnColor { status_id } = prompt.kind {
        return column_setting(app, prompt, status_id, &name);
    }

    // Checked as the server checks it: a name it would refuse stays to be fixed.
    if let Err(invalid) = kanban_protocol::check::check_status_name(&name) {
        let mut prompt = prompt;
        prompt.error = Some(invalid.message);
        app.mode = Mode::Prompt(prompt);
        return Vec::new();
    }
    match prompt.kind {
        PromptKind::NewColumn { after_id } => match app.project_id {
            Some(project_id) => {
                // The new column is where the selection goes, once it is made.
                app.select_created = true;
                let new = NewStatus { name, color: None, wip_limit: None, before_id: None, after_id };
                write(app, Change::CreateStatus { project_id, new })
            }
            None => Vec::new(),
        },
        PromptKind::RenameColumn { status_id } => {
            let patch = StatusPatch { name: Some(name), ..StatusPatch::default() };
            write(app, Change::UpdateStatus { status_id, patch })
        }
        PromptKind::Filter
        | PromptKind::ColumnLimit { .. }
        | PromptKind::ColumnColor { .. }
        | PromptKind::Comment { .. } => Vec::new(),
    }
}

/// A comment from its prompt, checked as the server checks it; back to the card's
/// view when it was written there.
fn comment(
    app: &mut App,
    mut prompt: Box<Prompt>,
    task_id: i64,
    from_view: bool,
    text: &str,
) -> Vec<Command> {
    let body = match kanban_protocol::check::check_comment(text) {
        Ok(body) => body,
        Err(invalid) => {
            prompt.error = Some(invalid.message);
            app.mode = Mode::Prompt(prompt);
            return Vec::new();
        }
    };
    let out = write(app, Change::CreateComment { task_id, new: NewComment { body } });
    if from_view {
        // Its thread takes the comment in from the event, as it does others'.
        app.mode = Mode::Card(app.return_view.take().unwrap_or_else(|| CardView::new(task_id)));
    }
    out
}

/// A column's WIP limit or color from its prompt, checked as the server checks
/// it (a value it would refuse keeps the prompt open, with why).
fn column_setting(app: &mut App, mut prompt: Box<Prompt>, status_id: i64, answer: &str) -> Vec<Command> {
    let checked = if matches!(prompt.kind, PromptKind::ColumnLimit { .. }) {
        match answer {
            "" => Ok(StatusPatch { wip_limit: Some(None), ..StatusPatch::default() }),
            n => match n.parse::<u32>() {
                Ok(limit) => kanban_protocol::check::check_wip_limit(limit)
                    .map(|()| StatusPatch { wip_limit: Some(Some(limit)), ..StatusPatch::default() })
                    .map_err(|e| e.message),
                Err(_) => Err(format!("{n:?} is not a number of cards")),
            },
        }
    } else {
        match answer {
            "" => Ok(StatusPatch { color: Some(None), ..StatusPatch::default() }),
            c => kanban_protocol::check::check_color(c)
                .map(|hex| StatusPatch { color: Some(Some(hex)), ..StatusPatch::default() })
                .map_err(|e| e.message),
        }
    };
    match checked {
        Ok(patch) => write(app, Change::UpdateStatus { status_id, patch }),
        Err(why) => {
            prompt.error = Some(why);
            app.mode = Mode::Prompt(prompt);
            Vec::new()
        }
    }
}

/// A key in a card's view: scrolling, `e` to edit, closing.
fn card_view_key(app: &mut App, key: KeyEvent, mut view: CardView) -> Vec<Command> {
    let seen = seen_of!(app);
    let Some(board) = seen.as_deref() else { return Vec::new() };
    let Some(task) = board.task(view.task_id).cloned() else {
        // The card is gone: any key closes its view.
        return Vec::new();
    };
    let lines = card_view::lines(
        board,
        &task,
        view.comments.as_deref(),
        view.history.as_deref(),
        app.filter.today,
        &app.zone,
    );
    let text = card_view::text_box(app.viewport.0, app.viewport.1, &lines);
    match view.key(key, &text) {
        ViewOutcome::Stay => app.mode = Mode::Card(view),
        ViewOutcome::Close => {}
        ViewOutcome::Edit if app.can_write() => {
            app.mode = Mode::Form(Box::new(CardForm::edit(&task, board.members.clone(), false)));
        }
        ViewOutcome::Edit | ViewOutcome::Comment if !app.can_write() => {
            app.mode = Mode::Card(view);
            app.error("Viewers cannot change the board");
        }
        ViewOutcome::Edit => unreachable!("a writer edits above"),
        ViewOutcome::Comment => {
            app.return_view = Some(view);
            let kind = PromptKind::Comment { task_id: task.id, from_view: true };
            app.mode = Mode::Prompt(Box::new(Prompt::new(kind, "")));
        }
    }
    Vec::new()
}

fn confirmed(app: &mut App, confirm: Confirm) -> Vec<Command> {
    match confirm {
        Confirm::DeleteTask { task_id, .. } => write(app, Change::DeleteTask { task_id }),
        // With its cards, to the trash: restored (or undone), it comes back whole.
        Confirm::DeleteColumn { status_id, .. } => {
            write(app, Change::DeleteStatus { status_id, move_to: None })
        }
    }
}

fn picker_key(app: &mut App, key: KeyEvent, index: usize) -> Vec<Command> {
    let last = app.projects.len().saturating_sub(1);
    match key.code {
        KeyCode::Up | KeyCode::Char('k') => app.mode = Mode::Picker(index.saturating_sub(1)),
        KeyCode::Down | KeyCode::Char('j') => app.mode = Mode::Picker((index + 1).min(last)),
        KeyCode::Enter => {
            if let Some(id) = app.projects.get(index).map(|p| p.id) {
                // One's own way to another board: no longer following anyone.
                app.unfollow(|n| format!("Stopped following {n}"));
                return app.open(id);
            }
        }
        KeyCode::Char('q') if app.board.is_none() => app.quit = true,
        KeyCode::Esc | KeyCode::Char('q') => {}
        _ => app.mode = Mode::Picker(index),
    }
    Vec::new()
}

/// The list of people to follow: ↑↓ choose, Enter follows, anything else closes.
fn follow_key(app: &mut App, key: KeyEvent, index: usize) -> Vec<Command> {
    let others = app.others();
    let last = others.len().saturating_sub(1);
    match key.code {
        KeyCode::Up | KeyCode::Char('k') => app.mode = Mode::Follow(index.saturating_sub(1)),
        KeyCode::Down | KeyCode::Char('j') => app.mode = Mode::Follow((index + 1).min(last)),
        KeyCode::Enter => {
            if let Some((id, _)) = others.into_iter().nth(index) {
                app.follow(id);
            }
        }
        _ => {}
    }
    Vec::new()
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
