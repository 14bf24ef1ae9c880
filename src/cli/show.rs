//! What the card commands print: lines for people, or JSON of stable shapes for
//! scripts (a card is the REST API's card with the names of its board, column and
//! assignee beside it).

use std::io::Write;

use kanban_protocol::model::{Board, Comment, Project, Task};
use serde::Serialize;

use super::{Failure, Result};
use crate::due;

/// A card as `--json` prints it.
#[derive(Serialize)]
struct CardOut<'a> {
    #[serde(flatten)]
    task: &'a Task,
    project: &'a str,
    column: &'a str,
    assignee: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    comments: Option<Vec<CommentOut<'a>>>,
}

#[derive(Serialize)]
struct CommentOut<'a> {
    #[serde(flatten)]
    comment: &'a Comment,
    author: Option<&'a str>,
}

fn name_of(board: &Board, id: Option<i64>) -> Option<&str> {
    id.and_then(|id| board.members.iter().find(|m| m.id == id)).map(|m| m.name.as_str())
}

fn column_of<'a>(board: &'a Board, task: &Task) -> &'a str {
    board.statuses.iter().find(|s| s.id == task.status_id).map_or("?", |s| s.name.as_str())
}

/// The board's last column (its done one, as the board is laid out).
pub fn last_column(board: &Board) -> Option<i64> {
    board.statuses.iter().max_by(|a, b| (&a.position, a.id).cmp(&(&b.position, b.id))).map(|s| s.id)
}

/// The board's cards, column by column, each column in its order.
pub fn in_order(board: &Board) -> Vec<&Task> {
    let rank =
        |task: &Task| board.statuses.iter().find(|s| s.id == task.status_id).map(|s| (&s.position, s.id));
    let mut tasks: Vec<&Task> = board.tasks.iter().collect();
    tasks.sort_by(|a, b| (rank(a), &a.position, a.id).cmp(&(rank(b), &b.position, b.id)));
    tasks
}

fn out(text: &str) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()) {
        // A reader that stopped early (`| head`) is no failure.
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Failure::Said(e.to_string())),
        _ => Ok(()),
    }
}

fn json(value: &impl Serialize) -> Result<()> {
    out(&format!("{}\n", serde_json::to_string_pretty(value).map_err(|e| Failure::Said(e.to_string()))?))
}

pub fn boards(projects: &[Project], as_json: bool) -> Result<()> {
    if as_json {
        return json(&projects);
    }
    let mut text = String::new();
    for p in projects {
        let archived = if p.archived { " (archived)" } else { "" };
        text.push_str(&format!("{}\t{}\t{}{archived}\n", p.id, p.name, p.role));
    }
    out(&text)
}

/// One line for a person: `#12  Launch / Todo  Fix login  @bob · high · due tomorrow · bug`.
fn line(board: &Board, task: &Task) -> String {
    let mut said =
        vec![format!("#{}", task.id), format!("{} / {}", board.project.name, column_of(board, task))];
    said.push(task.title.clone());
    let mut details = Vec::new();
    if let Some(name) = name_of(board, task.assignee_id) {
        details.push(format!("@{name}"));
    }
    if task.priority != kanban_protocol::model::Priority::None {
        details.push(task.priority.as_str().to_string());
    }
    if let Some(when) = task.due_date.as_deref().and_then(|d| due::when(d, due::today())) {
        details.push(when.short(due::today()));
    }
    details.extend(task.labels.iter().cloned());
    if !details.is_empty() {
        said.push(details.join(" · "));
    }
    said.join("  ")
}

fn card_out<'a>(board: &'a Board, task: &'a Task, comments: Option<&'a [Comment]>) -> CardOut<'a> {
    CardOut {
        task,
        project: &board.project.name,
        column: column_of(board, task),
        assignee: name_of(board, task.assignee_id),
        comments: comments.map(|c| {
            c.iter()
                .map(|comment| CommentOut { comment, author: name_of(board, comment.author_id) })
                .collect()
        }),
    }
}

pub fn cards(cards: &[(&Board, &Task)], as_json: bool) -> Result<()> {
    if as_json {
        return json(&cards.iter().map(|(b, t)| card_out(b, t, None)).collect::<Vec<_>>());
    }
    out(&cards.iter().map(|(b, t)| format!("{}\n", line(b, t))).collect::<String>())
}

pub fn card(board: &Board, task: &Task, comments: Option<&[Comment]>, as_json: bool) -> Result<()> {
    if as_json {
        return json(&card_out(board, task, comments));
    }
    let mut text = format!("{}\n", line(board, task));
    if !task.description.is_empty() {
        text.push_str(&format!("\n{}\n", task.description));
    }
    if !task.checklist.is_empty() {
        text.push('\n');
        for item in &task.checklist {
            text.push_str(&format!("[{}] {}\n", if item.done { "x" } else { " " }, item.text));
        }
    }
    for comment in comments.unwrap_or_default() {
        let who = name_of(board, comment.author_id).unwrap_or("someone");
        text.push_str(&format!("\n{who}, {}:\n{}\n", comment.created_at, comment.body));
    }
    out(&text)
}

pub fn comment(comment: &Comment, as_json: bool) -> Result<()> {
    if as_json {
        return json(comment);
    }
    out(&format!("commented on #{}\n", comment.task_id))
}

pub fn deleted(task_id: i64, as_json: bool) -> Result<()> {
    if as_json {
        return json(&serde_json::json!({ "deleted": task_id }));
    }
    out(&format!("#{task_id} is in the trash\n"))
}

/// A card as `--json` prints it, as a value (for the MCP server's answers).
pub fn card_value(board: &Board, task: &Task, comments: Option<&[Comment]>) -> serde_json::Value {
    serde_json::to_value(card_out(board, task, comments)).expect("a card serializes")
}
