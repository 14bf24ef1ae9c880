//! `kanban-tui board ...` and `kanban-tui card ...`: the board from scripts and
//! git hooks, by names rather than ids, as the person the board opens as (the
//! same login, socket or embedded server, never a token on the command line).
//! Human output by default, `--json` for scripts; the exit status is 0, 1 when
//! the server or a name refuses, 2 for a command line that cannot be read.
//! Every change carries an `Idempotency-Key`, kept across its retries, so that a
//! change the network dropped the answer of is never made twice.

mod names;
pub mod show;

use std::io::Read;

use clap::{Args, Subcommand};
use kanban_protocol::event::BoardChange;
use kanban_protocol::model::{Board, Priority, Project, Task};
use kanban_protocol::request::{MoveTask, NewComment, NewTask, TaskPatch};

use crate::app::Change;
use crate::due;
use crate::net::api::{Api, ApiError};
pub use names::NameError;

/// What `kanban-tui board` does.
#[derive(Debug, Subcommand)]
pub enum BoardCommand {
    /// Every board you are a member of, with your role.
    List(Output),
}

/// What `kanban-tui card` does.
#[derive(Debug, Subcommand)]
pub enum CardCommand {
    /// Cards of your boards (of every board, unless --project says).
    List {
        #[command(flatten)]
        filter: Filter,
        #[command(flatten)]
        out: Output,
    },
    /// Makes a card; prints it.
    Add {
        /// Its board, by name (any case; the start of a name only it has will do) or id.
        #[arg(long)]
        project: String,
        /// Its column [default: the board's first].
        #[arg(long)]
        column: Option<String>,
        #[command(flatten)]
        fields: Fields,
        /// The card's title.
        title: String,
        #[command(flatten)]
        out: Output,
    },
    /// A card with its checklist and comments.
    Show {
        /// The card: #ID.
        card: String,
        #[command(flatten)]
        out: Output,
    },
    /// Changes a card's fields: only those given.
    Edit {
        card: String,
        #[arg(long)]
        title: Option<String>,
        #[command(flatten)]
        fields: Fields,
        #[command(flatten)]
        out: Output,
    },
    /// Moves a card to a column of its board (at its end unless --top).
    Move {
        card: String,
        /// The column.
        #[arg(long)]
        to: String,
        /// To the top of the column.
        #[arg(long, conflicts_with = "bottom")]
        top: bool,
        /// To the bottom of the column (where a card goes unless said).
        #[arg(long)]
        bottom: bool,
        #[command(flatten)]
        out: Output,
    },
    /// Comments on a card: TEXT, or stdin with -.
    Comment {
        card: String,
        text: String,
        #[command(flatten)]
        out: Output,
    },
    /// Puts a card in its board's trash (the board brings it back).
    Delete {
        card: String,
        #[command(flatten)]
        out: Output,
    },
}

/// How the answer is written, and the key of a change.
#[derive(Debug, Clone, Args)]
pub struct Output {
    /// Print JSON (the shapes are in the README) instead of lines for people.
    #[arg(long)]
    pub json: bool,
    /// The change's Idempotency-Key: the same key again (within a week) makes
    /// nothing more and answers as the first time [default: a new one, kept
    /// across this command's own retries].
    #[arg(long, value_name = "KEY")]
    pub key: Option<String>,
}

/// Which cards `card list` shows.
#[derive(Debug, Clone, Args)]
pub struct Filter {
    /// Of this board only.
    #[arg(long)]
    pub project: Option<String>,
    /// In this column only (of each board listed).
    #[arg(long)]
    pub column: Option<String>,
    /// Assigned to you.
    #[arg(long, conflicts_with = "assignee")]
    pub mine: bool,
    /// Assigned to this person.
    #[arg(long)]
    pub assignee: Option<String>,
    /// With this label.
    #[arg(long)]
    pub label: Option<String>,
    /// Past their due date and not done (in their board's last column).
    #[arg(long)]
    pub overdue: bool,
    /// Whose title or description holds these words (any case).
    #[arg(long)]
    pub search: Option<String>,
}

/// A card's fields, as `card add` and `card edit` take them.
#[derive(Debug, Clone, Args)]
pub struct Fields {
    /// Its description; - reads it from stdin.
    #[arg(long)]
    pub description: Option<String>,
    /// Who it is assigned to, by name (`none`: nobody).
    #[arg(long)]
    pub assignee: Option<String>,
    /// none, low, medium, high or urgent.
    #[arg(long)]
    pub priority: Option<Priority>,
    /// A label (again for more; on edit, the labels replace the card's).
    #[arg(long = "label")]
    pub labels: Vec<String>,
    /// Its due date: YYYY-MM-DD or in words (today, tomorrow, fri, +3d, next
    /// week, eow, eom; `none` takes it away).
    #[arg(long)]
    pub due: Option<String>,
}

/// Why a command did not do what it was asked: said on stderr, status 1.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    #[error(transparent)]
    Name(#[from] NameError),
    #[error(transparent)]
    Server(#[from] ApiError),
    #[error("{0}")]
    Said(String),
}

type Result<T> = std::result::Result<T, Failure>;

/// Runs `kanban-tui board ...`.
pub async fn board(api: &Api, command: BoardCommand) -> Result<()> {
    match command {
        BoardCommand::List(out) => show::boards(&api.projects().await?, out.json),
    }
}

/// Runs `kanban-tui card ...`.
pub async fn card(api: &Api, command: CardCommand) -> Result<()> {
    match command {
        CardCommand::List { filter, out } => {
            let found = find(api, &filter).await?;
            show::cards(&found.iter().map(|(b, t)| (&**b, t)).collect::<Vec<_>>(), out.json)
        }
        CardCommand::Add { project, column, fields, title, out } => {
            let (board, task) = add(api, &project, column.as_deref(), fields, title, out.key.clone()).await?;
            show::card(&board, &task, None, out.json)
        }
        CardCommand::Show { card, out } => {
            let (board, task, comments) = look(api, &card).await?;
            show::card(&board, &task, Some(&comments), out.json)
        }
        CardCommand::Edit { card, title, fields, out } => {
            let (board, task) = edit(api, &card, title, fields, out.key.clone()).await?;
            show::card(&board, &task, None, out.json)
        }
        CardCommand::Move { card, to, top, bottom: _, out } => {
            let (board, task) = move_to(api, &card, &to, top, out.key.clone()).await?;
            show::card(&board, &task, None, out.json)
        }
        CardCommand::Comment { card, text, out } => {
            let comment = comment(api, &card, &text_or_stdin(&text)?, out.key.clone()).await?;
            show::comment(&comment, out.json)
        }
        CardCommand::Delete { card, out } => {
            let task_id = names::card_ref(&card).map_err(Failure::Said)?;
            write(api, &Change::DeleteTask { task_id }, out.key).await?;
            show::deleted(task_id, out.json)
        }
    }
}

/// Makes a card on the board named `project`; answers it with its board.
pub async fn add(
    api: &Api,
    project: &str,
    column: Option<&str>,
    fields: Fields,
    title: String,
    key: Option<String>,
) -> Result<(Board, Task)> {
    let projects = api.projects().await?;
    let project = board_named(&projects, project)?;
    let board = api.board(project.id).await?;
    let status_id = column.map(|c| column_named(&board, c).map(|s| s.id)).transpose()?;
    let assignee_id = match fields.assignee.as_deref() {
        None | Some("none") => None,
        Some(name) => Some(member_named(&board, name)?),
    };
    let new = NewTask {
        title,
        status_id,
        description: fields.description.as_deref().map(text_or_stdin).transpose()?,
        assignee_id,
        priority: fields.priority,
        labels: (!fields.labels.is_empty()).then_some(fields.labels),
        due_date: fields.due.as_deref().map(due_date).transpose()?.flatten(),
        ..NewTask::default()
    };
    let made = write(api, &Change::CreateTask { project_id: project.id, new }, key).await?;
    changed(api, made).await
}

/// A card with its board and its comments.
pub async fn look(api: &Api, card: &str) -> Result<(Board, Task, Vec<kanban_protocol::model::Comment>)> {
    let task = api.task(names::card_ref(card).map_err(Failure::Said)?).await?;
    let board = api.board(task.project_id).await?;
    let comments = api.comments(task.id).await?;
    Ok((board, task, comments))
}

/// Changes the fields given of a card; answers it with its board.
pub async fn edit(
    api: &Api,
    card: &str,
    title: Option<String>,
    fields: Fields,
    key: Option<String>,
) -> Result<(Board, Task)> {
    let task = api.task(names::card_ref(card).map_err(Failure::Said)?).await?;
    let board = api.board(task.project_id).await?;
    let assignee_id = match fields.assignee.as_deref() {
        None => None,
        Some("none") => Some(None),
        Some(name) => Some(Some(member_named(&board, name)?)),
    };
    let patch = TaskPatch {
        title,
        description: fields.description.as_deref().map(text_or_stdin).transpose()?,
        assignee_id,
        priority: fields.priority,
        labels: (!fields.labels.is_empty()).then_some(fields.labels),
        due_date: fields.due.as_deref().map(due_date).transpose()?,
        version: None,
    };
    if patch == TaskPatch::default() {
        return Err(Failure::Said("nothing to change: give a field (see --help)".into()));
    }
    let made = write(api, &Change::UpdateTask { task_id: task.id, patch }, key).await?;
    changed(api, made).await
}

/// Moves a card to the column named `to` of its board, at its end or `top`.
pub async fn move_to(
    api: &Api,
    card: &str,
    to: &str,
    top: bool,
    key: Option<String>,
) -> Result<(Board, Task)> {
    let task = api.task(names::card_ref(card).map_err(Failure::Said)?).await?;
    let board = api.board(task.project_id).await?;
    let column = column_named(&board, to)?;
    // The top: before the column's first card (other than this one).
    let before_id = if top {
        let mut cards: Vec<&Task> =
            board.tasks.iter().filter(|t| t.status_id == column.id && t.id != task.id).collect();
        cards.sort_by(|a, b| (&a.position, a.id).cmp(&(&b.position, b.id)));
        cards.first().map(|t| t.id)
    } else {
        None
    };
    let to = MoveTask { status_id: column.id, before_id, ..MoveTask::default() };
    let made = write(api, &Change::MoveTask { task_id: task.id, to }, key).await?;
    changed(api, made).await
}

/// Comments on a card; answers the comment.
pub async fn comment(
    api: &Api,
    card: &str,
    text: &str,
    key: Option<String>,
) -> Result<kanban_protocol::model::Comment> {
    let task_id = names::card_ref(card).map_err(Failure::Said)?;
    let new = NewComment { body: text.to_string() };
    match write(api, &Change::CreateComment { task_id, new }, key).await? {
        BoardChange::CommentCreated { comment, .. } => Ok(comment),
        _ => Err(Failure::Said("the server answered with another change".into())),
    }
}

/// The cards of the person's boards that `filter` keeps, with their boards, in
/// board order.
pub async fn find(api: &Api, filter: &Filter) -> Result<Vec<(std::sync::Arc<Board>, Task)>> {
    let projects = api.projects().await?;
    let chosen: Vec<&Project> = match &filter.project {
        Some(name) => vec![board_named(&projects, name)?],
        None => projects.iter().collect(),
    };
    let me = if filter.mine { Some(api.me().await?.id) } else { None };
    let today = due::today();
    let words = filter.search.as_deref().map(str::to_lowercase);
    let mut shown = Vec::new();
    for project in chosen {
        let board = std::sync::Arc::new(api.board(project.id).await?);
        let column = filter.column.as_deref().map(|c| column_named(&board, c)).transpose();
        // A column named for every board is of those that have it.
        let column = match (column, filter.project.is_some()) {
            (Ok(c), _) => c.map(|c| c.id),
            (Err(e), true) => return Err(e),
            (Err(_), false) => continue,
        };
        let assignee = match &filter.assignee {
            Some(name) => match member_named(&board, name) {
                Ok(id) => Some(id),
                Err(e) if filter.project.is_some() => return Err(e),
                Err(_) => continue,
            },
            None => me,
        };
        let last = show::last_column(&board);
        for task in show::in_order(&board) {
            let keep = column.is_none_or(|c| task.status_id == c)
                && assignee.is_none_or(|a| task.assignee_id == Some(a))
                && filter
                    .label
                    .as_ref()
                    .is_none_or(|l| task.labels.iter().any(|t| t.eq_ignore_ascii_case(l)))
                && words.as_ref().is_none_or(|w| {
                    task.title.to_lowercase().contains(w.as_str())
                        || task.description.to_lowercase().contains(w.as_str())
                })
                && (!filter.overdue
                    || (Some(task.status_id) != last
                        && task
                            .due_date
                            .as_deref()
                            .and_then(|d| due::when(d, today))
                            .is_some_and(|w| matches!(w, due::When::Overdue(_)))));
            if keep {
                shown.push((board.clone(), task.clone()));
            }
        }
    }
    Ok(shown)
}

/// Makes `change` under one key, asking again (with the same key) while the
/// server cannot be reached; answers what it did.
async fn write(api: &Api, change: &Change, key: Option<String>) -> Result<BoardChange> {
    let key = key.unwrap_or_else(|| format!("cli-{:032x}", rand::random::<u128>()));
    let mut wait = std::time::Duration::from_millis(250);
    for attempt in 1.. {
        match api.write(change, &key).await {
            Ok(event) => return Ok(event.change),
            Err(ApiError::Unreachable(_)) if attempt < 4 => {
                tokio::time::sleep(wait).await;
                wait *= 2;
            }
            Err(e) => return Err(e.into()),
        }
    }
    unreachable!("the loop answers by its fourth attempt")
}

/// The card a change left, with its board.
async fn changed(api: &Api, made: BoardChange) -> Result<(Board, Task)> {
    let task = match made {
        BoardChange::TaskCreated(t)
        | BoardChange::TaskUpdated { task: t, .. }
        | BoardChange::TaskMoved { task: t, .. } => t,
        _ => return Err(Failure::Said("the server answered with another change".into())),
    };
    Ok((api.board(task.project_id).await?, task))
}

fn board_named<'a>(projects: &'a [Project], given: &str) -> Result<&'a Project> {
    if let Ok(id) = given.parse::<i64>()
        && let Some(p) = projects.iter().find(|p| p.id == id)
    {
        return Ok(p);
    }
    Ok(names::pick("board", given, projects, |p| p.name.as_str())?)
}

fn column_named<'a>(board: &'a Board, given: &str) -> Result<&'a kanban_protocol::model::Status> {
    Ok(names::pick("column", given, &board.statuses, |s| s.name.as_str())?)
}

fn member_named(board: &Board, given: &str) -> Result<i64> {
    let given = given.trim_start_matches('@');
    Ok(names::pick("member", given, &board.members, |m| m.name.as_str())?.id)
}

/// A due date as given: a date, in words, or `none` (`Some(None)`: take it away).
fn due_date(given: &str) -> Result<Option<String>> {
    if given.eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    due::understand(given, due::today()).map(|d| Some(d.to_string())).ok_or_else(|| {
        Failure::Said(format!(
            "{given:?} is not a date: YYYY-MM-DD, today, tomorrow, a weekday, +3d, +2w, next week, eow, eom or none"
        ))
    })
}

/// `text`, or all of stdin for `-`.
fn text_or_stdin(text: &str) -> Result<String> {
    if text != "-" {
        return Ok(text.to_string());
    }
    let mut read = String::new();
    std::io::stdin()
        .read_to_string(&mut read)
        .map_err(|e| Failure::Said(format!("cannot read stdin: {e}")))?;
    Ok(read.trim_end_matches('\n').to_string())
}
