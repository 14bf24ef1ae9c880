//! Bringing a board out and in: `project export` writes a project as JSON (its
//! columns in order, each with its cards in order and all their fields, the
//! comments, the members by name), and `project import` makes a new project from
//! that JSON or from a Trello board's export (lists become columns; cards keep
//! their descriptions, labels, due dates and comments; what is archived is left
//! out). An import goes through the board core like any change, so every rule of
//! the board holds for what comes in.

use std::collections::HashMap;

use kanban_protocol::model::{Priority, Role};
use kanban_protocol::request::{Change, NewComment, NewStatus, NewTask, StatusPatch};
use serde::{Deserialize, Serialize};

use crate::admin::AdminError;
use crate::board::{Committed, Write};
use crate::store::{Store, StoreError};

/// What `export` writes and `import` reads back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Export {
    /// `"kanban"`: tells this format from others at import.
    pub format: String,
    pub version: u32,
    pub name: String,
    pub columns: Vec<Column>,
    pub members: Vec<Member>,
}

const FORMAT: &str = "kanban";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wip_limit: Option<u32>,
    pub cards: Vec<Card>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Card {
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub priority: Priority,
    #[serde(default)]
    pub labels: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_date: Option<String>,
    /// The assignee's user name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<String>,
    #[serde(default)]
    pub comments: Vec<Comment>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    /// The author's user name, if they are still a user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    pub body: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub name: String,
    pub role: Role,
}

type Result<T> = std::result::Result<T, AdminError>;

/// `project export ID|NAME`: the project as [`Export`] JSON.
pub async fn export(store: &dyn Store, project: &str) -> Result<String> {
    let (project_id, name) = store.find_project(project).await?;
    let all = store.all_projects().await?;
    let members: Vec<Member> = all
        .iter()
        .find(|p| p.id == project_id)
        .map(|p| p.members.iter().map(|(name, role)| Member { name: name.clone(), role: *role }).collect())
        .unwrap_or_default();
    // The board is read as one of its members sees it.
    let reader = match members.first() {
        Some(m) => store.user_by_name(&m.name).await?,
        None => return Err(AdminError::Invalid(format!("project {name:?} has no member to read it as"))),
    };
    let board = store.board(project_id, reader.id).await?;
    let names: HashMap<i64, String> = store.users().await?.into_iter().map(|u| (u.id, u.name)).collect();
    let mut columns = Vec::with_capacity(board.statuses.len());
    for status in &board.statuses {
        let mut cards = Vec::new();
        for task in board.tasks.iter().filter(|t| t.status_id == status.id) {
            let comments = store
                .comments(task.id, reader.id)
                .await?
                .into_iter()
                .map(|c| Comment {
                    author: c.author_id.and_then(|id| names.get(&id).cloned()),
                    body: c.body,
                    created_at: Some(c.created_at),
                })
                .collect();
            cards.push(Card {
                title: task.title.clone(),
                description: task.description.clone(),
                priority: task.priority,
                labels: task.labels.clone(),
                due_date: task.due_date.clone(),
                assignee: task.assignee_id.and_then(|id| names.get(&id).cloned()),
                comments,
            });
        }
        columns.push(Column {
            name: status.name.clone(),
            color: status.color.clone(),
            wip_limit: status.wip_limit,
            cards,
        });
    }
    let export = Export { format: FORMAT.into(), version: 1, name, columns, members };
    Ok(serde_json::to_string_pretty(&export).expect("an export serializes") + "\n")
}

/// Reads an import file: this project's export, or a Trello board's.
pub fn parse(text: &str) -> Result<Export> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| AdminError::Invalid(format!("the file is not JSON: {e}")))?;
    if value.get("format").and_then(|f| f.as_str()) == Some(FORMAT) {
        return serde_json::from_value(value)
            .map_err(|e| AdminError::Invalid(format!("not a board export this version reads: {e}")));
    }
    if value.get("lists").is_some() && value.get("cards").is_some() {
        let trello: trello::Board = serde_json::from_value(value)
            .map_err(|e| AdminError::Invalid(format!("not a Trello board export: {e}")))?;
        return Ok(trello.into_export());
    }
    Err(AdminError::Invalid("neither a board export of kanban nor a Trello board's JSON".into()))
}

/// `project import FILE [--name NAME] [--member USER[:ROLE]]...`: makes a project
/// of `board`, answers its id. The members are those given, or else the export's
/// members who are users here; the changes are made by the first owner (or
/// writer) among them, and each comment by its author where they may write.
pub async fn import(store: &dyn Store, board: Export, name: Option<&str>, members: &[String]) -> Result<i64> {
    let name = name.unwrap_or(&board.name);
    let members: Vec<String> = if members.is_empty() {
        let mut found = Vec::new();
        for m in &board.members {
            if store.user_by_name(&m.name).await.is_ok() {
                found.push(format!("{}:{}", m.name, m.role));
            }
        }
        found
    } else {
        members.to_vec()
    };
    let project_id = crate::admin::project_add(store, name, &members).await?;
    let roles: HashMap<String, (i64, Role)> = {
        let all = store.all_projects().await?;
        let mut roles = HashMap::new();
        for (user, role) in
            all.into_iter().find(|p| p.id == project_id).map(|p| p.members).unwrap_or_default()
        {
            let id = store.user_by_name(&user).await?.id;
            roles.insert(user, (id, role));
        }
        roles
    };
    let writer = roles
        .values()
        .filter(|(_, r)| r.can_write())
        .min_by_key(|(id, r)| (*r != Role::Owner, *id))
        .map(|(id, _)| *id)
        .ok_or_else(|| {
            AdminError::Invalid("an import needs a member who may write: give --member USER:owner".into())
        })?;
    let ctx = Importer { store, by: writer };
    // The new project's three columns take the first three of the board, the rest
    // are added after them, and those not needed go.
    let snapshot = store.board(project_id, writer).await?;
    let mut column_ids = Vec::with_capacity(board.columns.len());
    for (i, column) in board.columns.iter().enumerate() {
        let id = match snapshot.statuses.get(i) {
            Some(existing) => {
                let patch = StatusPatch {
                    name: (existing.name != column.name).then(|| column.name.clone()),
                    color: (existing.color != column.color).then(|| column.color.clone()),
                    wip_limit: (existing.wip_limit != column.wip_limit).then_some(column.wip_limit),
                    version: None,
                };
                if patch != StatusPatch::default() {
                    ctx.make(Change::UpdateStatus { status_id: existing.id, patch }).await?;
                }
                existing.id
            }
            None => {
                let new = NewStatus {
                    name: column.name.clone(),
                    color: column.color.clone(),
                    wip_limit: column.wip_limit,
                    before_id: None,
                    after_id: None,
                };
                let data = ctx.make(Change::CreateStatus { project_id, new }).await?;
                id_in(&data, "status")?
            }
        };
        column_ids.push(id);
    }
    for extra in snapshot.statuses.iter().skip(board.columns.len()) {
        ctx.make(Change::DeleteStatus { status_id: extra.id, move_to: None }).await?;
    }
    for (column, status_id) in board.columns.iter().zip(column_ids) {
        for card in &column.cards {
            let assignee_id = card.assignee.as_ref().and_then(|n| roles.get(n)).map(|(id, _)| *id);
            let new = NewTask {
                title: card.title.clone(),
                status_id: Some(status_id),
                description: Some(card.description.clone()),
                assignee_id,
                priority: Some(card.priority),
                labels: Some(card.labels.clone()),
                due_date: card.due_date.clone(),
                before_id: None,
                after_id: None,
            };
            let data = ctx.make(Change::CreateTask { project_id, new }).await?;
            let task_id = id_in(&data, "task")?;
            for comment in &card.comments {
                let author =
                    comment.author.as_ref().and_then(|n| roles.get(n)).filter(|(_, r)| r.can_write());
                let (by, body) = match (author, &comment.author) {
                    (Some((id, _)), _) => (*id, comment.body.clone()),
                    // Said by someone who is not a writer here: said in their name.
                    (None, Some(who)) => (writer, format!("{who}: {}", comment.body)),
                    (None, None) => (writer, comment.body.clone()),
                };
                let change = Change::CreateComment { task_id, new: NewComment { body } };
                Importer { store, by }.make(change).await?;
            }
        }
    }
    Ok(project_id)
}

/// Makes the import's changes, as one user.
struct Importer<'a> {
    store: &'a dyn Store,
    by: i64,
}

impl Importer<'_> {
    /// Makes one change; answers its event data.
    async fn make(&self, change: Change) -> Result<serde_json::Value> {
        let what = format!("{change:?}");
        let mut out = self.store.apply(vec![Write { by: self.by, change, key: None }]).await?;
        match out.pop() {
            Some(Ok(Committed { data, .. })) => Ok(serde_json::from_str(&data).expect("event data is JSON")),
            Some(Err(e)) => Err(AdminError::Invalid(format!("cannot import {}: {e}", short(&what)))),
            None => Err(AdminError::Store(StoreError::Failed("no answer for a change".into()))),
        }
    }
}

fn short(what: &str) -> &str {
    what.get(..what.len().min(120)).unwrap_or(what)
}

fn id_in(data: &serde_json::Value, what: &str) -> Result<i64> {
    data[what]["id"]
        .as_i64()
        .ok_or_else(|| AdminError::Store(StoreError::Failed(format!("an event without its {what}"))))
}

/// Trello's board export (Menu → Print, export and share → Export as JSON), the
/// parts that make a board.
mod trello {
    use std::collections::HashMap;

    use kanban_protocol::model::Priority;
    use serde::Deserialize;

    use super::{Card, Column, Comment, Export, FORMAT};

    #[derive(Debug, Deserialize)]
    pub struct Board {
        pub name: String,
        #[serde(default)]
        pub lists: Vec<List>,
        #[serde(default)]
        pub cards: Vec<TrelloCard>,
        #[serde(default)]
        pub actions: Vec<Action>,
    }

    #[derive(Debug, Deserialize)]
    pub struct List {
        pub id: String,
        pub name: String,
        #[serde(default)]
        pub closed: bool,
        #[serde(default)]
        pub pos: f64,
    }

    #[derive(Debug, Deserialize)]
    pub struct TrelloCard {
        pub id: String,
        pub name: String,
        #[serde(default)]
        pub desc: String,
        #[serde(rename = "idList")]
        pub id_list: String,
        #[serde(default)]
        pub closed: bool,
        #[serde(default)]
        pub pos: f64,
        #[serde(default)]
        pub due: Option<String>,
        #[serde(default)]
        pub labels: Vec<Label>,
    }

    #[derive(Debug, Deserialize)]
    pub struct Label {
        #[serde(default)]
        pub name: String,
        #[serde(default)]
        pub color: Option<String>,
    }

    #[derive(Debug, Deserialize)]
    pub struct Action {
        #[serde(rename = "type")]
        pub kind: String,
        #[serde(default)]
        pub date: Option<String>,
        #[serde(default)]
        pub data: ActionData,
        #[serde(rename = "memberCreator", default)]
        pub member: Option<Person>,
    }

    #[derive(Debug, Default, Deserialize)]
    pub struct ActionData {
        #[serde(default)]
        pub text: Option<String>,
        #[serde(default)]
        pub card: Option<CardRef>,
    }

    #[derive(Debug, Deserialize)]
    pub struct CardRef {
        pub id: String,
    }

    #[derive(Debug, Deserialize)]
    pub struct Person {
        #[serde(default)]
        pub username: String,
        #[serde(rename = "fullName", default)]
        pub full_name: String,
    }

    /// A card's labels by name (one without a name is known by its color), each once.
    fn labels(labels: &[Label]) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for l in labels {
            let name =
                if l.name.trim().is_empty() { l.color.clone() } else { Some(l.name.trim().to_string()) };
            if let Some(name) = name.filter(|n| !out.contains(n)) {
                out.push(name);
            }
        }
        out
    }

    impl Board {
        pub fn into_export(self) -> Export {
            // Comments come newest first in the export: each card's go oldest first.
            let mut comments: HashMap<String, Vec<Comment>> = HashMap::new();
            for action in self.actions.into_iter().rev().filter(|a| a.kind == "commentCard") {
                let (Some(card), Some(text)) = (action.data.card, action.data.text) else { continue };
                let author =
                    action.member.map(|m| if m.full_name.is_empty() { m.username } else { m.full_name });
                comments.entry(card.id).or_default().push(Comment {
                    author,
                    body: text,
                    created_at: action.date,
                });
            }
            let mut lists: Vec<List> = self.lists.into_iter().filter(|l| !l.closed).collect();
            lists.sort_by(|a, b| a.pos.total_cmp(&b.pos));
            let mut cards: Vec<TrelloCard> = self.cards.into_iter().filter(|c| !c.closed).collect();
            cards.sort_by(|a, b| a.pos.total_cmp(&b.pos));
            let columns = lists
                .iter()
                .map(|list| Column {
                    name: list.name.clone(),
                    color: None,
                    wip_limit: None,
                    cards: cards
                        .iter()
                        .filter(|c| c.id_list == list.id)
                        .map(|c| Card {
                            title: c.name.clone(),
                            description: c.desc.clone(),
                            priority: Priority::None,
                            // A label without a name is known by its color.
                            labels: labels(&c.labels),
                            due_date: c.due.as_ref().and_then(|d| d.get(..10)).map(str::to_string),
                            assignee: None,
                            comments: comments.remove(&c.id).unwrap_or_default(),
                        })
                        .collect(),
                })
                .collect();
            Export { format: FORMAT.into(), version: 1, name: self.name, columns, members: Vec::new() }
        }
    }
}
