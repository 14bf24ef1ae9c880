//! What a card's form or a prompt comes to: a card made or changed, a column
//! made, renamed or set, a comment, the filter as typed. Each value is checked
//! as the server checks it; one it would refuse keeps its form or prompt open,
//! with why.

use kanban_protocol::model::Role;
use kanban_protocol::request::{ItemPatch, NewComment, NewItem, NewStatus, StatusPatch};

use super::super::card_view::CardView;
use super::super::form::{CardForm, FormOutcome, Prompt, PromptKind, PromptOutcome};
use super::super::{App, BoardsChange, Change, Command, Mode, Request};
use super::write;

pub(in crate::app) fn form_outcome(app: &mut App, form: Box<CardForm>, outcome: FormOutcome) -> Vec<Command> {
    match outcome {
        FormOutcome::Editing => app.mode = Mode::Form(form),
        FormOutcome::Editor => {
            app.hand_to_editor(&form, false);
            app.mode = Mode::Form(form);
        }
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

pub(super) fn prompt_outcome(app: &mut App, prompt: Box<Prompt>, outcome: PromptOutcome) -> Vec<Command> {
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
    if let PromptKind::Comment { task_id, from_view, comment_id } = prompt.kind {
        return match outcome {
            PromptOutcome::Submit(text) => comment(app, prompt, task_id, from_view, comment_id, &text),
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
    if let PromptKind::Item { task_id, item_id, after } = prompt.kind {
        return match outcome {
            PromptOutcome::Submit(text) => item(app, prompt, task_id, item_id, after, &text),
            PromptOutcome::Editing => {
                app.mode = Mode::Prompt(prompt);
                Vec::new()
            }
            PromptOutcome::Cancel | PromptOutcome::Quit => {
                app.mode = Mode::Card(app.return_view.take().unwrap_or_else(|| CardView::new(task_id)));
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
    if let Some(change) = boards_change(&prompt.kind, &name) {
        return match change {
            Ok(change) => {
                if matches!(prompt.kind, PromptKind::AddMember { .. }) {
                    app.mode = Mode::Members(0);
                }
                vec![Command::Net(Request::Boards(change))]
            }
            Err(why) => {
                let mut prompt = prompt;
                prompt.error = Some(why);
                app.mode = Mode::Prompt(prompt);
                Vec::new()
            }
        };
    }
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
        | PromptKind::Comment { .. }
        | PromptKind::Item { .. }
        | PromptKind::NewBoard
        | PromptKind::RenameBoard { .. }
        | PromptKind::AddMember { .. } => Vec::new(),
    }
}

/// The change of boards or members a prompt's answer asks for (the server
/// checks the names), or why it cannot be asked; `None` for other prompts.
fn boards_change(kind: &PromptKind, answer: &str) -> Option<Result<BoardsChange, String>> {
    let empty = || Err("a name, please (Esc lets it be)".to_string());
    Some(match kind {
        PromptKind::NewBoard if answer.is_empty() => empty(),
        PromptKind::NewBoard => Ok(BoardsChange::Make { name: answer.to_string() }),
        PromptKind::RenameBoard { .. } if answer.is_empty() => empty(),
        PromptKind::RenameBoard { project_id } => {
            Ok(BoardsChange::Rename { project_id: *project_id, name: answer.to_string() })
        }
        PromptKind::AddMember { project_id } => {
            let mut words = answer.split_whitespace();
            match (words.next(), words.next().map(str::parse::<Role>), words.next()) {
                (None, ..) => empty(),
                (Some(user), None, None) => {
                    Ok(BoardsChange::Grant { project_id: *project_id, user: user.into(), role: Role::Member })
                }
                (Some(user), Some(Ok(role)), None) => {
                    Ok(BoardsChange::Grant { project_id: *project_id, user: user.into(), role })
                }
                (Some(_), Some(Err(e)), _) => Err(e.to_string()),
                (Some(_), Some(Ok(_)), Some(_)) => Err("a name and a role, no more".into()),
                (Some(_), None, Some(_)) => unreachable!("no third word without a second"),
            }
        }
        _ => return None,
    })
}

/// An item of a checklist from its prompt, checked as the server checks it. A
/// new one added at the end leaves the prompt open for the next (a list is
/// typed an item a line); any other goes back to the card's view.
fn item(
    app: &mut App,
    mut prompt: Box<Prompt>,
    task_id: i64,
    item_id: Option<i64>,
    after: Option<i64>,
    text: &str,
) -> Vec<Command> {
    if text.is_empty() && item_id.is_none() {
        // Enter on an empty line: the list is done.
        app.mode = Mode::Card(app.return_view.take().unwrap_or_else(|| CardView::new(task_id)));
        return Vec::new();
    }
    let text = match kanban_protocol::check::check_item(text) {
        Ok(text) => text,
        Err(invalid) => {
            prompt.error = Some(invalid.message);
            app.mode = Mode::Prompt(prompt);
            return Vec::new();
        }
    };
    let out = match item_id {
        None => write(
            app,
            Change::CreateItem { task_id, new: NewItem { text, after_id: after, ..NewItem::default() } },
        ),
        Some(item_id) => {
            let now = app.board.as_ref().and_then(|b| b.item(item_id)).cloned();
            match now {
                // Saved unchanged: nothing to send (the server would refuse it).
                Some(now) if now.text == text => Vec::new(),
                now => {
                    let patch = ItemPatch { text: Some(text), done: None, version: now.map(|i| i.version) };
                    write(app, Change::UpdateItem { item_id, patch })
                }
            }
        }
    };
    if item_id.is_none() && after.is_none() {
        app.mode =
            Mode::Prompt(Box::new(Prompt::new(PromptKind::Item { task_id, item_id: None, after: None }, "")));
    } else {
        app.mode = Mode::Card(app.return_view.take().unwrap_or_else(|| CardView::new(task_id)));
    }
    out
}

/// A comment from its prompt, checked as the server checks it; back to the card's
/// view when it was written there.
fn comment(
    app: &mut App,
    mut prompt: Box<Prompt>,
    task_id: i64,
    from_view: bool,
    comment_id: Option<i64>,
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
    let out = match comment_id {
        None => write(app, Change::CreateComment { task_id, new: NewComment { body } }),
        // Saved unchanged: nothing to send (the server would refuse it).
        Some(id) if app.return_view.as_ref().and_then(|v| v.comment(id)).is_some_and(|c| c.body == body) => {
            Vec::new()
        }
        Some(comment_id) => write(app, Change::UpdateComment { comment_id, patch: NewComment { body } }),
    };
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
