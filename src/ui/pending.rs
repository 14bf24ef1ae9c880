//! The board as shown: the app's board with the changes still waiting for the
//! server drawn in, each marked `⧗` (a new card at the end of its column, an edit on
//! its card), so that work done offline is seen where it will land.

use std::borrow::Cow;

use kanban_protocol::board::BoardState;
use kanban_protocol::model::Task;

use crate::app::{App, Change};

/// The mark of a change not yet made.
pub const WAITING: &str = "⧗ ";

/// The board to draw, if there is one.
pub fn shown(app: &App) -> Option<Cow<'_, BoardState>> {
    let board = app.board.as_ref()?;
    if app.waiting.is_empty() {
        return Some(Cow::Borrowed(board));
    }
    let mut shown = board.clone();
    for (i, change) in app.waiting.iter().enumerate() {
        match change {
            Change::CreateTask { project_id, new } if *project_id == board.project.id => {
                let Some(status_id) = new.status_id.or_else(|| board.statuses.first().map(|s| s.id)) else {
                    continue;
                };
                let mut ghost = Task {
                    // Ids no card has; after every key in its column.
                    id: -1 - i as i64,
                    status_id,
                    title: new.title.clone(),
                    description: new.description.clone().unwrap_or_default(),
                    assignee_id: new.assignee_id,
                    priority: new.priority.unwrap_or_default(),
                    labels: new.labels.clone().unwrap_or_default(),
                    due_date: new.due_date.clone(),
                    position: "~".into(),
                    ..blank(board.project.id)
                };
                mark(&mut ghost);
                shown.tasks.push(ghost);
            }
            Change::UpdateTask { task_id, patch } => {
                if let Some(t) = shown.tasks.iter_mut().find(|t| t.id == *task_id) {
                    if let Some(title) = &patch.title {
                        t.title.clone_from(title);
                    }
                    if let Some(a) = patch.assignee_id {
                        t.assignee_id = a;
                    }
                    if let Some(p) = patch.priority {
                        t.priority = p;
                    }
                    if let Some(l) = &patch.labels {
                        t.labels.clone_from(l);
                    }
                    if let Some(d) = &patch.due_date {
                        t.due_date.clone_from(d);
                    }
                    mark(t);
                }
            }
            Change::MoveTask { task_id, .. } | Change::DeleteTask { task_id } => {
                if let Some(t) = shown.tasks.iter_mut().find(|t| t.id == *task_id) {
                    mark(t);
                }
            }
            _ => {}
        }
    }
    Some(Cow::Owned(shown))
}

fn mark(task: &mut Task) {
    if !task.title.starts_with(WAITING) {
        task.title.insert_str(0, WAITING);
    }
}

fn blank(project_id: i64) -> Task {
    Task {
        id: 0,
        project_id,
        status_id: 0,
        title: String::new(),
        description: String::new(),
        assignee_id: None,
        priority: Default::default(),
        labels: Vec::new(),
        due_date: None,
        position: String::new(),
        version: 0,
        created_by: None,
        updated_by: None,
        created_at: String::new(),
        updated_at: String::new(),
    }
}
