//! Bringing a board out and in: `project export` writes a project as JSON (its
//! columns in order, each with its cards in order and all their fields, the
//! comments and checklists, the members by name), and `project import`
//! ([`import`]) makes a new project from that JSON or from a Trello board's
//! export ([`trello`]: lists become columns; cards keep their descriptions,
//! labels, due dates, comments and checklists; what is archived is left out).

mod import;
mod trello;

pub use import::{Members, STALE_SECS, import, parse};

use std::collections::HashMap;

use kanban_protocol::model::{Priority, Role};
use serde::{Deserialize, Serialize};

use crate::admin::AdminError;
use crate::store::Store;

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
    /// Its checklist, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checklist: Vec<Item>,
}

/// An item of a card's checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub text: String,
    #[serde(default)]
    pub done: bool,
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
    // The host's administrator reads it all, as its owner would.
    let board = store.board(project_id, Role::Owner).await?;
    let names: HashMap<i64, String> = store.users().await?.into_iter().map(|u| (u.id, u.name)).collect();
    let mut columns = Vec::with_capacity(board.statuses.len());
    for status in &board.statuses {
        let mut cards = Vec::new();
        for task in board.tasks.iter().filter(|t| t.status_id == status.id) {
            let comments = store
                .comments(task.id)
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
                checklist: task
                    .checklist
                    .iter()
                    .map(|i| Item { text: i.text.clone(), done: i.done })
                    .collect(),
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
