//! `project import`: a new project from a board export of kanban's or a Trello
//! board's, made as one. It is hidden while it is made ([`Store::begin_import`]:
//! its members to be count as members for the import's changes alone),
//! its changes go through the board core like any (every rule of the board holds
//! for what comes in) in slices of one transaction each, so that a running
//! server's writes go on between them, and it is shown whole, with its members, in
//! one last transaction; a change refused, or an import that dies, leaves nothing
//! (what a dead one made is dropped by the next import or server start).
//!
//! The file is trusted for the board, not for people: membership is the command
//! line's (the file's members only with `--members-from-file`), and every comment
//! is the importer's, its author's name kept as text before it.

use std::collections::HashMap;

use kanban_protocol::model::{Role, User};
use kanban_protocol::request::{Change, NewComment, NewItem, NewStatus, NewTask};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::{Card, Column, Export, FORMAT, Member, trello};
use crate::admin::{self, AdminError};
use crate::board::{Committed, OpError, Write};
use crate::store::{Store, StoreError};

type Result<T> = std::result::Result<T, AdminError>;

/// Changes per transaction: small enough that a running server waits at most a
/// few milliseconds for one, large enough that an import is not a commit per card.
const SLICE: usize = 250;

/// The pause after each slice, in which a running server's writes, waiting for
/// the lock, take it (they ask for it each millisecond).
const GAP: std::time::Duration = std::time::Duration::from_millis(5);

/// An import not heard from for this long has died: what it made is dropped.
pub const STALE_SECS: u64 = 600;

/// Either file, read in one pass into what matters of it (the rest of a Trello
/// export, its actions' other fields, is skipped as it is read).
#[derive(Deserialize)]
struct AnyBoard {
    #[serde(default)]
    format: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    columns: Option<Vec<Column>>,
    /// Ours, or Trello's (of another shape, unused): read only for our format.
    #[serde(default)]
    members: Option<Box<RawValue>>,
    #[serde(default)]
    lists: Option<Vec<trello::List>>,
    #[serde(default)]
    cards: Option<Vec<trello::TrelloCard>>,
    #[serde(default)]
    actions: Option<Vec<trello::Action>>,
    #[serde(default)]
    checklists: Option<Vec<trello::Checklist>>,
}

/// Reads an import file: this project's export, or a Trello board's.
pub fn parse(bytes: &[u8]) -> Result<Export> {
    let any: AnyBoard = serde_json::from_slice(bytes).map_err(|e| {
        AdminError::Invalid(format!("neither a board export of kanban nor a Trello board's JSON: {e}"))
    })?;
    let name = any.name.unwrap_or_default();
    if any.format.as_deref() == Some(FORMAT) {
        let members: Vec<Member> = match &any.members {
            Some(raw) => serde_json::from_str(raw.get())
                .map_err(|e| AdminError::Invalid(format!("not a board export this version reads: {e}")))?,
            None => Vec::new(),
        };
        let columns =
            any.columns.ok_or_else(|| AdminError::Invalid("a board export without columns".into()))?;
        return Ok(Export { format: FORMAT.into(), version: 1, name, columns, members });
    }
    match (any.lists, any.cards) {
        (Some(lists), Some(cards)) => {
            let actions = any.actions.unwrap_or_default();
            let checklists = any.checklists.unwrap_or_default();
            Ok(trello::Board { name, lists, cards, actions, checklists }.into_export())
        }
        _ => Err(AdminError::Invalid("neither a board export of kanban nor a Trello board's JSON".into())),
    }
}

/// Who the project is for: the members named (`USER[:ROLE]`), and with
/// `from_file` also the file's members who are users here.
pub struct Members<'a> {
    pub named: &'a [String],
    pub from_file: bool,
}

/// `project import FILE [--name NAME] [--member USER[:ROLE]]... [--members-from-file]`:
/// makes a project of `board`, answers its id. Its changes are made by the first
/// owner among its members (or else the first who may write).
pub async fn import(
    store: &dyn Store,
    board: Export,
    name: Option<&str>,
    members: Members<'_>,
) -> Result<i64> {
    let name = name.unwrap_or(&board.name).to_string();
    admin::check_project_name(&name)?;
    if board.columns.is_empty() {
        return Err(AdminError::Invalid("nothing to import: the board has no columns (lists)".into()));
    }
    let mut people = admin::resolve_members(store, members.named).await?;
    if members.from_file {
        for m in &board.members {
            if people.iter().any(|(u, _)| u.name == m.name) {
                continue;
            }
            match store.user_by_name(&m.name).await {
                Ok(user) => people.push((user, m.role)),
                Err(StoreError::NotFound(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    let importer = people
        .iter()
        .filter(|(_, r)| r.can_write())
        .min_by_key(|(u, r)| (*r != Role::Owner, u.id))
        .map(|(u, _)| u.id)
        .ok_or_else(|| {
            AdminError::Invalid(
                "an import needs a member who may write: give --member USER:owner \
                 (the file's members are granted only with --members-from-file)"
                    .into(),
            )
        })?;
    // What imports that died left behind goes first.
    for stale in store.stale_imports(STALE_SECS).await? {
        tracing::warn!(project_id = stale, "dropping what an import that died left behind");
        store.drop_import(stale).await?;
    }
    let members: Vec<(i64, Role)> = people.iter().map(|(u, r)| (u.id, *r)).collect();
    let project_id = store.begin_import(&name, &members).await?;
    let made = Importer { store, project_id, by: importer, people: &people }.fill(&board).await;
    match made {
        Ok(()) => {
            store.finish_import(project_id).await?;
            Ok(project_id)
        }
        Err(e) => {
            store.drop_import(project_id).await?;
            Err(e)
        }
    }
}

/// Makes an import's changes, as its importer, a slice at a time.
struct Importer<'a> {
    store: &'a dyn Store,
    project_id: i64,
    by: i64,
    people: &'a [(User, Role)],
}

impl Importer<'_> {
    async fn fill(&self, board: &Export) -> Result<()> {
        let project_id = self.project_id;
        let columns = board.columns.iter().map(|column| {
            let new = NewStatus {
                name: column.name.clone(),
                color: column.color.clone(),
                wip_limit: column.wip_limit,
                before_id: None,
                after_id: None,
            };
            (Change::CreateStatus { project_id, new }, format!("column “{}”", column.name))
        });
        let column_ids = self.apply(columns.collect(), "status").await?;
        let ids: HashMap<&str, i64> = self.people.iter().map(|(u, _)| (u.name.as_str(), u.id)).collect();
        let cards: Vec<(i64, &Card)> = board
            .columns
            .iter()
            .zip(column_ids)
            .flat_map(|(column, status_id)| column.cards.iter().map(move |card| (status_id, card)))
            .collect();
        for slice in cards.chunks(SLICE) {
            let changes = slice.iter().map(|(status_id, card)| {
                let new = NewTask {
                    title: card.title.clone(),
                    status_id: Some(*status_id),
                    // Line ends as the board keeps them.
                    description: Some(card.description.replace("\r\n", "\n").replace('\r', "\n")),
                    assignee_id: card.assignee.as_deref().and_then(|n| ids.get(n).copied()),
                    priority: Some(card.priority),
                    labels: Some(card.labels.clone()),
                    due_date: card.due_date.clone(),
                    before_id: None,
                    after_id: None,
                };
                (Change::CreateTask { project_id, new }, format!("card “{}”", short(&card.title)))
            });
            let task_ids = self.apply(changes.collect(), "task").await?;
            let comments: Vec<(Change, String)> = slice
                .iter()
                .zip(task_ids.iter().copied())
                .flat_map(|((_, card), task_id)| {
                    card.comments.iter().map(move |comment| {
                        // The author's name as text: the file says who, the board
                        // does not take its word for it.
                        let body = match &comment.author {
                            Some(who) => format!("{who}: {}", comment.body),
                            None => comment.body.clone(),
                        };
                        let change = Change::CreateComment { task_id, new: NewComment { body } };
                        (change, format!("a comment on “{}”", short(&card.title)))
                    })
                })
                .collect();
            for comments in comments.chunks(SLICE) {
                self.apply(comments.to_vec(), "comment").await?;
            }
            let items: Vec<(Change, String)> = slice
                .iter()
                .zip(&task_ids)
                .flat_map(|((_, card), task_id)| {
                    card.checklist.iter().map(move |item| {
                        let new = NewItem { text: item.text.clone(), done: item.done, ..NewItem::default() };
                        let change = Change::CreateItem { task_id: *task_id, new };
                        (change, format!("an item of the checklist of “{}”", short(&card.title)))
                    })
                })
                .collect();
            for items in items.chunks(SLICE) {
                self.apply(items.to_vec(), "item").await?;
            }
        }
        Ok(())
    }

    /// Makes `changes` in one transaction; answers the id of what each made (of
    /// `what` in its event). One refused refuses the import, saying which.
    async fn apply(&self, changes: Vec<(Change, String)>, what: &str) -> Result<Vec<i64>> {
        let (writes, names): (Vec<Write>, Vec<String>) = changes
            .into_iter()
            .map(|(change, name)| (Write { by: self.by, change, key: None }, name))
            .unzip();
        let answers = self.store.apply(writes).await?;
        self.store.touch_import(self.project_id).await?;
        tokio::time::sleep(GAP).await;
        answers
            .into_iter()
            .zip(names)
            .map(|(answer, name)| match answer {
                Ok(Committed { data, .. }) => id_in(&data, what),
                Err(e) => Err(refused(&name, e)),
            })
            .collect()
    }
}

fn refused(name: &str, e: OpError) -> AdminError {
    AdminError::Invalid(format!("cannot import {name}: {e}; nothing was imported"))
}

fn short(title: &str) -> String {
    let mut short: String = title.chars().take(60).collect();
    if short.len() < title.len() {
        short.push('…');
    }
    short
}

fn id_in(data: &str, what: &str) -> Result<i64> {
    let value: serde_json::Value =
        serde_json::from_str(data).map_err(|e| AdminError::Store(StoreError::Failed(e.to_string())))?;
    value[what]["id"]
        .as_i64()
        .ok_or_else(|| AdminError::Store(StoreError::Failed(format!("an event without its {what}"))))
}
