//! A board's history in words a person reads: each kept event ([`Logged`]) as
//! "ann moved “Fix login” to Done", with the names of people, cards and columns
//! as the board knows them now (and, for what is gone, as the event itself or the
//! trash says).

use std::collections::HashMap;

use kanban_protocol::event::{BoardChange, BoardEvent};
use kanban_protocol::model::{Activity, Board, ChecklistItem, Status, Task, Trash, User};

use crate::board::read;
use crate::store::{Logged, Store, StoreError};

/// A member's page of history in words, newest first: of the project, before
/// revision `before` when given, or of one card; at most `limit` lines.
pub async fn read(
    store: &dyn Store,
    user_id: i64,
    project_id: Option<i64>,
    task_id: Option<i64>,
    before: Option<u64>,
    limit: u32,
) -> Result<Vec<Activity>, StoreError> {
    // A card's history is read in the trash too: what happened to it is there.
    let (project, role) = match (task_id, project_id) {
        (Some(task), _) => read::card(store, user_id, task, true).await?,
        (None, Some(project)) => (project, read::role(store, user_id, project).await?),
        (None, None) => return Err(StoreError::NotFound("project")),
    };
    let logged = store.activity(project, task_id, before, limit).await?;
    let board = store.board(project, role).await?;
    // The trash names what is gone.
    let trash = store.trash(project).await?;
    let names = Names::new(store.users().await?, &board, &trash);
    Ok(logged.iter().map(|entry| line(entry, &names)).collect())
}

/// The names the words use.
pub struct Names {
    users: HashMap<i64, String>,
    columns: HashMap<i64, String>,
    cards: HashMap<i64, String>,
}

impl Names {
    /// From the users, the board and its trash.
    pub fn new(users: Vec<User>, board: &Board, trash: &Trash) -> Self {
        let mut columns: HashMap<i64, String> =
            trash.statuses.iter().map(|s| (s.status.id, s.status.name.clone())).collect();
        columns.extend(board.statuses.iter().map(|s| (s.id, s.name.clone())));
        let mut cards: HashMap<i64, String> =
            trash.tasks.iter().map(|t| (t.task.id, t.task.title.clone())).collect();
        cards.extend(board.tasks.iter().map(|t| (t.id, t.title.clone())));
        Names { users: users.into_iter().map(|u| (u.id, u.name)).collect(), columns, cards }
    }

    fn user(&self, id: Option<i64>) -> &str {
        id.and_then(|id| self.users.get(&id)).map_or("someone", String::as_str)
    }

    fn column(&self, id: i64) -> String {
        self.columns.get(&id).map_or_else(|| "a column".into(), |n| n.clone())
    }

    fn card(&self, id: i64) -> String {
        self.cards.get(&id).map_or_else(|| "a card".into(), |t| format!("“{t}”"))
    }
}

/// What changed of a column, in words: "renamed the column Doing to In
/// Progress", "set the WIP limit of In Progress to 3", "set the color of In
/// Progress to #e06c75", joined by "and".
fn column_changes(old: &Status, new: &Status) -> String {
    let mut said = Vec::new();
    if old.name != new.name {
        said.push(format!("renamed the column {} to {}", old.name, new.name));
    }
    let setting = |what: &str, value: Option<String>| match value {
        Some(v) => format!("set the {what} of {} to {v}", new.name),
        None => format!("took away the {what} of {}", new.name),
    };
    if old.wip_limit != new.wip_limit {
        said.push(setting("WIP limit", new.wip_limit.map(|l| l.to_string())));
    }
    if old.color != new.color {
        said.push(setting("color", new.color.clone()));
    }
    if said.is_empty() {
        return format!("changed the column {}", new.name);
    }
    said.join(" and ")
}

/// A card's edit in words, after the name of who made it: "changed “Fix login”:
/// priority low → high, due — → 2026-12-10", or "edited the description of
/// “Fix login”" when that is all.
pub fn task_edit<'n>(old: &Task, new: &Task, user: impl Fn(Option<i64>) -> &'n str) -> String {
    let only_described = old.description != new.description
        && (&old.title, old.assignee_id, old.priority, &old.labels, &old.due_date)
            == (&new.title, new.assignee_id, new.priority, &new.labels, &new.due_date);
    if only_described {
        return format!("edited the description of “{}”", new.title);
    }
    format!("changed “{}”: {}", new.title, task_changes(old, new, user))
}

/// What changed of a card, in words: "priority low → high, due — → 2026-12-10",
/// with people named by `user`.
fn task_changes<'n>(old: &Task, new: &Task, user: impl Fn(Option<i64>) -> &'n str) -> String {
    let mut said = Vec::new();
    let or_none = |v: Option<&str>| v.map_or_else(|| "—".to_string(), str::to_string);
    if old.title != new.title {
        said.push(format!("title “{}” → “{}”", old.title, new.title));
    }
    if old.description != new.description {
        said.push("the description".to_string());
    }
    if old.assignee_id != new.assignee_id {
        let name = |id: Option<i64>| if id.is_some() { user(id).to_string() } else { "—".to_string() };
        said.push(format!("assignee {} → {}", name(old.assignee_id), name(new.assignee_id)));
    }
    if old.priority != new.priority {
        said.push(format!("priority {} → {}", old.priority.as_str(), new.priority.as_str()));
    }
    if old.labels != new.labels {
        let list = |l: &[String]| if l.is_empty() { "—".to_string() } else { l.join(", ") };
        said.push(format!("labels {} → {}", list(&old.labels), list(&new.labels)));
    }
    if old.due_date != new.due_date {
        said.push(format!("due {} → {}", or_none(old.due_date.as_deref()), or_none(new.due_date.as_deref())));
    }
    if said.is_empty() {
        return "nothing visible".to_string();
    }
    said.join(", ")
}

/// What changed of a checklist item, in words: "ticked “write tests”",
/// "renamed “tests” to “write tests”", joined by "and".
fn item_changes(old: &ChecklistItem, new: &ChecklistItem) -> String {
    let mut said = Vec::new();
    if old.text != new.text {
        said.push(format!("renamed “{}” to “{}”", old.text, new.text));
    }
    if old.done != new.done {
        let verb = if new.done { "ticked" } else { "unticked" };
        said.push(format!("{verb} “{}”", new.text));
    }
    if said.is_empty() {
        return format!("changed “{}”", new.text);
    }
    said.join(" and ")
}

/// One kept event as a line of history.
pub fn line(entry: &Logged, names: &Names) -> Activity {
    let who = names.user(entry.by);
    let what = match BoardEvent::from_json(&entry.name, &entry.data) {
        Ok(event) => match &event.change {
            BoardChange::TaskCreated(t) => {
                format!("{who} added “{}” to {}", t.title, names.column(t.status_id))
            }
            BoardChange::TaskUpdated { task: t, before: Some(old) } => {
                format!("{who} {}", task_edit(old, t, |id| names.user(id)))
            }
            BoardChange::TaskUpdated { task: t, before: None } => format!("{who} edited “{}”", t.title),
            // Within its column, a move is a reorder.
            BoardChange::TaskMoved { task: t, from: Some(from) } if *from == t.status_id => {
                format!("{who} reordered “{}” in {}", t.title, names.column(t.status_id))
            }
            BoardChange::TaskMoved { task: t, from: Some(from) } => format!(
                "{who} moved “{}” from {} to {}",
                t.title,
                names.column(*from),
                names.column(t.status_id)
            ),
            BoardChange::TaskMoved { task: t, from: None } => {
                format!("{who} moved “{}” to {}", t.title, names.column(t.status_id))
            }
            BoardChange::TaskDeleted { id } => format!("{who} deleted {}", names.card(*id)),
            BoardChange::TaskRestored(t) => format!("{who} brought back “{}”", t.title),
            BoardChange::StatusCreated(s) => format!("{who} added the column {}", s.name),
            BoardChange::StatusUpdated { status: s, before } => match before {
                Some(old) => format!("{who} {}", column_changes(old, s)),
                None => format!("{who} changed the column {}", s.name),
            },
            BoardChange::StatusMoved(s) => format!("{who} moved the column {}", s.name),
            BoardChange::StatusDeleted { id, .. } => {
                format!("{who} deleted the column {}", names.column(*id))
            }
            BoardChange::StatusRestored { status, .. } => {
                format!("{who} brought back the column {}", status.name)
            }
            BoardChange::CommentCreated { comment, .. } => {
                format!("{who} commented on {}", names.card(comment.task_id))
            }
            // Someone else's words changed: whose, said.
            BoardChange::CommentUpdated { comment, .. } if comment.author_id != entry.by => {
                let author = names.user(comment.author_id);
                format!("{who} edited {author}'s comment on {}", names.card(comment.task_id))
            }
            BoardChange::CommentUpdated { comment, .. } => {
                format!("{who} edited a comment on {}", names.card(comment.task_id))
            }
            BoardChange::CommentDeleted { task_id, .. } => {
                format!("{who} deleted a comment on {}", names.card(*task_id))
            }
            BoardChange::ItemCreated(i) => {
                format!("{who} added “{}” to the checklist of {}", i.text, names.card(i.task_id))
            }
            BoardChange::ItemUpdated { item: i, before: Some(old) } => {
                format!("{who} {} on {}", item_changes(old, i), names.card(i.task_id))
            }
            BoardChange::ItemUpdated { item: i, before: None } => {
                format!("{who} changed “{}” on {}", i.text, names.card(i.task_id))
            }
            BoardChange::ItemMoved(i) => {
                format!("{who} reordered “{}” on {}", i.text, names.card(i.task_id))
            }
            BoardChange::ItemDeleted(i) => {
                format!("{who} deleted “{}” from the checklist of {}", i.text, names.card(i.task_id))
            }
        },
        // An event of a later version than this server reads: said as its name.
        Err(_) => format!("{who}: {}", entry.name),
    };
    Activity {
        rev: entry.rev,
        by: entry.by,
        at: entry.at.clone(),
        event: entry.name.clone(),
        task_id: entry.task_id,
        what,
    }
}
