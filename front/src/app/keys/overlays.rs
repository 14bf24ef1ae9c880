//! Keys in what sits over the board: the help, the history, a card's view, the
//! quick filter, the trash, the project picker, the list of people to follow,
//! and a question to confirm. Each handler owns its mode's keys; a mode that is
//! not put back is closed.

use kanban_protocol::model::{Activity, ChecklistItem, Role};
use kanban_protocol::request::{ItemPatch, MoveItem};

use super::super::card_view::{self, CardView, ViewOutcome};
use super::super::form::{CardForm, Confirm, Prompt, PromptKind};
use super::super::input::{KeyCode, KeyEvent};
use super::super::quick::{QuickMenu, QuickOutcome};
use super::super::seen::seen_of;
use super::super::trash::{TrashOutcome, TrashView};
use super::super::{App, BoardsChange, Change, Command, Mode, Request};
use super::write;
use crate::geometry;

/// Arrows scroll a help taller than the screen a line, PgDn and PgUp a page;
/// any other key closes it.
pub(super) fn help(app: &mut App, key: KeyEvent, scroll: u16) -> Vec<Command> {
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

/// The history scrolls until its last line is at the box's bottom.
pub(super) fn activity(
    app: &mut App,
    key: KeyEvent,
    lines: Option<Vec<Activity>>,
    scroll: usize,
) -> Vec<Command> {
    let (_, page) = geometry::history_box(app.viewport.0, app.viewport.1);
    let last = lines.as_ref().map_or(0, |l| l.len().saturating_sub(page));
    let to = match key.code {
        KeyCode::Down | KeyCode::Char('j') => (scroll + 1).min(last),
        KeyCode::Up | KeyCode::Char('k') => scroll.saturating_sub(1),
        KeyCode::PageDown => (scroll + page).min(last),
        KeyCode::PageUp => scroll.saturating_sub(page),
        KeyCode::End => last,
        KeyCode::Home => 0,
        _ => return Vec::new(),
    };
    app.mode = Mode::Activity(lines, to);
    Vec::new()
}

/// A key in a card's view: scrolling, `e` to edit, `c` to comment, closing.
pub(super) fn card_view(app: &mut App, key: KeyEvent, mut view: CardView) -> Vec<Command> {
    let seen = seen_of!(app);
    let Some(board) = seen.as_deref() else { return Vec::new() };
    let Some(task) = board.task(view.task_id).cloned() else {
        // The card is gone: any key closes its view.
        return Vec::new();
    };
    // The view's lines and their box on this screen, as drawn.
    let laid_out = |view: &CardView| {
        let lines = card_view::lines(
            board,
            &task,
            card_view::Fetched {
                comments: view.comments.as_deref(),
                history: view.history.as_deref(),
                watchers: app.reach.watchers.get(&view.task_id).map(Vec::as_slice),
            },
            view.chosen,
            app.filter.today,
            &app.zone,
        );
        let text = card_view::text_box(app.viewport.0, app.viewport.1, &lines);
        (lines, text)
    };
    let (_, text) = laid_out(&view);
    let chosen = view.chosen;
    let outcome = view.key(key, &text, &task.checklist);
    let writes = matches!(
        outcome,
        ViewOutcome::Edit
            | ViewOutcome::Comment
            | ViewOutcome::AddItem { .. }
            | ViewOutcome::TickItem(_)
            | ViewOutcome::EditItem(_)
            | ViewOutcome::DeleteItem(_)
            | ViewOutcome::MoveItem { .. }
    );
    if writes && !app.can_write() {
        app.mode = Mode::Card(view);
        app.error("Viewers cannot change the board");
        return Vec::new();
    }
    match outcome {
        ViewOutcome::Stay => {
            if view.chosen != chosen {
                let (lines, text) = laid_out(&view);
                view.show_chosen(&lines, &text);
            }
            app.mode = Mode::Card(view);
        }
        ViewOutcome::Close => {}
        ViewOutcome::Watch => {
            app.mode = Mode::Card(view);
            return app.toggle_watch(task.id, &task.title);
        }
        ViewOutcome::Edit => {
            app.mode = Mode::Form(Box::new(CardForm::edit(&task, board.members.clone(), false)));
        }
        outcome @ (ViewOutcome::EditComment(id) | ViewOutcome::DeleteComment(id)) => {
            let author = view.comment(id).and_then(|c| c.author_id).and_then(|a| board.member(a));
            let author = author.map_or_else(|| "someone".to_string(), |m| m.name.clone());
            comment_change(app, view, outcome, author);
        }
        ViewOutcome::Comment => {
            app.return_view = Some(view);
            let kind = PromptKind::Comment { task_id: task.id, from_view: true, comment_id: None };
            app.mode = Mode::Prompt(Box::new(Prompt::new(kind, "")));
        }
        ViewOutcome::AddItem { after } => {
            app.return_view = Some(view);
            let kind = PromptKind::Item { task_id: task.id, item_id: None, after };
            app.mode = Mode::Prompt(Box::new(Prompt::new(kind, "")));
        }
        ViewOutcome::EditItem(id) => match task.checklist.iter().find(|i| i.id == id) {
            Some(item) => {
                let kind = PromptKind::Item { task_id: task.id, item_id: Some(id), after: None };
                app.mode = Mode::Prompt(Box::new(Prompt::new(kind, &item.text)));
                app.return_view = Some(view);
            }
            None => app.mode = Mode::Card(view),
        },
        ViewOutcome::TickItem(id) | ViewOutcome::DeleteItem(id) | ViewOutcome::MoveItem { id, .. } => {
            let change = item_change(&task.checklist, id, outcome);
            app.mode = Mode::Card(view);
            return match change {
                Ok(change) => write(app, change),
                Err(why) => {
                    app.error(why);
                    Vec::new()
                }
            };
        }
    }
    Vec::new()
}

/// The change a key makes of item `id` of `checklist`: ticked (or not), deleted,
/// or moved past its neighbour; or why there is none.
fn item_change(checklist: &[ChecklistItem], id: i64, outcome: ViewOutcome) -> Result<Change, &'static str> {
    let at = checklist.iter().position(|i| i.id == id).ok_or("That item is gone")?;
    let item = &checklist[at];
    Ok(match outcome {
        ViewOutcome::TickItem(_) => {
            let patch = ItemPatch { text: None, done: Some(!item.done), version: Some(item.version) };
            Change::UpdateItem { item_id: id, patch }
        }
        ViewOutcome::DeleteItem(_) => Change::DeleteItem { item_id: id },
        ViewOutcome::MoveItem { down: true, .. } => {
            let next = checklist.get(at + 1).ok_or("It is the last item already")?;
            Change::MoveItem { item_id: id, to: MoveItem { before_id: None, after_id: Some(next.id) } }
        }
        ViewOutcome::MoveItem { down: false, .. } => {
            let previous = at.checked_sub(1).map(|p| &checklist[p]).ok_or("It is the first item already")?;
            Change::MoveItem { item_id: id, to: MoveItem { before_id: Some(previous.id), after_id: None } }
        }
        _ => return Err("Not a change of an item"),
    })
}

/// `e` or `d` on the view's chosen comment: its author's or an owner's to do
/// (as the server says too); the view comes back after the prompt or question.
fn comment_change(app: &mut App, view: CardView, outcome: ViewOutcome, author: String) {
    let (ViewOutcome::EditComment(id) | ViewOutcome::DeleteComment(id)) = outcome else { return };
    let Some(comment) = view.comment(id).cloned() else {
        app.mode = Mode::Card(view);
        return;
    };
    let me = app.me.as_ref().map(|u| u.id);
    let owner = app.board.as_ref().is_some_and(|b| b.project.role == Role::Owner);
    if !app.can_write() || (comment.author_id.is_none_or(|a| Some(a) != me) && !owner) {
        app.mode = Mode::Card(view);
        app.error("Only its author or an owner changes a comment");
        return;
    }
    let task_id = view.task_id;
    app.return_view = Some(view);
    app.mode = match outcome {
        ViewOutcome::EditComment(_) => {
            let kind = PromptKind::Comment { task_id, from_view: true, comment_id: Some(id) };
            Mode::Prompt(Box::new(Prompt::new(kind, &comment.body)))
        }
        _ => Mode::Confirm(Confirm::DeleteComment { comment_id: id, author }),
    };
}

/// The quick filter's menu: its terms toggle in the filter as chosen.
pub(super) fn quick(app: &mut App, key: KeyEvent, mut menu: QuickMenu) -> Vec<Command> {
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

/// The trash: Enter brings back what is chosen.
pub(super) fn trash(app: &mut App, key: KeyEvent, mut view: Box<TrashView>) -> Vec<Command> {
    match view.key(key) {
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
    }
}

/// `y` to a question.
pub(super) fn confirmed(app: &mut App, confirm: Confirm) -> Vec<Command> {
    match confirm {
        Confirm::DeleteTask { task_id, .. } => write(app, Change::DeleteTask { task_id }),
        Confirm::DeleteComment { comment_id, .. } => write(app, Change::DeleteComment { comment_id }),
        Confirm::RemoveMember { project_id, member_id, .. } => {
            vec![Command::Net(Request::Boards(BoardsChange::Remove { project_id, member_id }))]
        }
        Confirm::ArchiveBoard { project_id, .. } => {
            vec![Command::Net(Request::Boards(BoardsChange::Archive { project_id, archived: true }))]
        }
        // With its cards, to the trash: restored (or undone), it comes back whole.
        Confirm::DeleteColumn { status_id, .. } => {
            write(app, Change::DeleteStatus { status_id, move_to: None })
        }
    }
}

/// The project picker: ↑↓ choose, Enter opens.
pub(super) fn picker(app: &mut App, key: KeyEvent, index: usize) -> Vec<Command> {
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
        KeyCode::Char('n') => app.mode = Mode::Prompt(Box::new(Prompt::new(PromptKind::NewBoard, ""))),
        KeyCode::Char('.') => {
            app.show_archived = !app.show_archived;
            app.mode = Mode::Picker(index);
            return vec![Command::Net(Request::Projects { archived: app.show_archived })];
        }
        KeyCode::Char('r' | 'x') => {
            let Some(project) = app.projects.get(index).cloned() else {
                app.mode = Mode::Picker(index);
                return Vec::new();
            };
            if project.role != Role::Owner {
                app.mode = Mode::Picker(index);
                app.error(format!("Only the owners of {} rename or archive it", project.name));
            } else if key.code == KeyCode::Char('x') && project.archived {
                // Brought back at once: nothing is lost either way.
                app.mode = Mode::Picker(index);
                let change = BoardsChange::Archive { project_id: project.id, archived: false };
                return vec![Command::Net(Request::Boards(change))];
            } else if key.code == KeyCode::Char('r') {
                let kind = PromptKind::RenameBoard { project_id: project.id };
                app.mode = Mode::Prompt(Box::new(Prompt::new(kind, &project.name)));
            } else {
                app.mode =
                    Mode::Confirm(Confirm::ArchiveBoard { project_id: project.id, name: project.name });
            }
        }
        KeyCode::Char('q') if app.board.is_none() => app.quit = true,
        KeyCode::Esc | KeyCode::Char('q') => {}
        _ => app.mode = Mode::Picker(index),
    }
    Vec::new()
}

/// The board's members: ↑↓ choose; an owner adds (`a`), changes the role of
/// (`r`: owner, member, viewer in turn) and removes (`d`, asked first) them.
pub(super) fn members(app: &mut App, key: KeyEvent, index: usize) -> Vec<Command> {
    let Some(board) = app.board.as_ref() else { return Vec::new() };
    let project_id = board.project.id;
    let owner = board.project.role == Role::Owner;
    let chosen = board.members.get(index).cloned();
    let last = board.members.len().saturating_sub(1);
    app.mode = Mode::Members(index.min(last));
    match key.code {
        KeyCode::Up | KeyCode::Char('k') => app.mode = Mode::Members(index.saturating_sub(1)),
        KeyCode::Down | KeyCode::Char('j') => app.mode = Mode::Members((index + 1).min(last)),
        KeyCode::Char('a' | 'r' | 'd') if !owner => {
            app.error("Only the board's owners change its members");
        }
        KeyCode::Char('a') => {
            app.mode = Mode::Prompt(Box::new(Prompt::new(PromptKind::AddMember { project_id }, "")));
        }
        KeyCode::Char('r') => {
            if let Some(m) = chosen {
                let role = match m.role {
                    Role::Owner => Role::Member,
                    Role::Member => Role::Viewer,
                    Role::Viewer => Role::Owner,
                };
                let change = BoardsChange::SetRole { project_id, member_id: m.id, role };
                return vec![Command::Net(Request::Boards(change))];
            }
        }
        KeyCode::Char('d') => {
            if let Some(m) = chosen {
                app.mode = Mode::Confirm(Confirm::RemoveMember { project_id, member_id: m.id, name: m.name });
            }
        }
        _ => app.mode = Mode::Board,
    }
    Vec::new()
}

/// The list of people to follow: ↑↓ choose, Enter follows, anything else closes.
pub(super) fn follow(app: &mut App, key: KeyEvent, index: usize) -> Vec<Command> {
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
