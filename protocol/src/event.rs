//! Board events, typed: what one committed change did, by whom, at which revision.
//!
//! On the wire an event is a name (`task-moved`) and its data ([`EventData`]: `rev`,
//! `by` and the changed object or its id). [`BoardEvent`] is that pair decoded, so
//! that applying an event is an exhaustive match, and a name that is not a board
//! event, or data that does not fit its name, is an error rather than a change.

use crate::model::{ChecklistItem, Comment, EventData, Rekeyed, Status, Task, events};

/// What a committed change did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BoardChange {
    TaskCreated(Task),
    /// A card's fields changed; `before`: as it was, without its checklist (none
    /// from an older server).
    TaskUpdated {
        task: Task,
        before: Option<Box<Task>>,
    },
    /// A card moved; `from`: the column it was in (none from an older server).
    TaskMoved {
        task: Task,
        from: Option<i64>,
    },
    TaskDeleted {
        id: i64,
    },
    StatusCreated(Status),
    /// A column changed; `before`: as it was (none from an older server).
    StatusUpdated {
        status: Status,
        before: Option<Box<Status>>,
    },
    StatusMoved(Status),
    /// A column deleted (to the trash); its cards moved to `moved_to` (the `tasks`
    /// as they are now), or went with it.
    StatusDeleted {
        id: i64,
        moved_to: Option<i64>,
        tasks: Vec<Task>,
    },
    /// A card back from the trash.
    TaskRestored(Task),
    /// A column back from the trash, with the cards deleted with it.
    StatusRestored {
        status: Status,
        tasks: Vec<Task>,
    },
    /// A comment made or changed; `comments`: its card's comments now.
    CommentCreated {
        comment: Comment,
        comments: u32,
    },
    CommentUpdated {
        comment: Comment,
        comments: u32,
    },
    CommentDeleted {
        id: i64,
        task_id: i64,
        comments: u32,
    },
    /// An item added to a card's checklist.
    ItemCreated(ChecklistItem),
    /// An item's text or tick changed; `before`: as it was (none from an older
    /// server).
    ItemUpdated {
        item: ChecklistItem,
        before: Option<Box<ChecklistItem>>,
    },
    /// An item moved within its checklist.
    ItemMoved(ChecklistItem),
    /// An item deleted: as it was.
    ItemDeleted(ChecklistItem),
}

/// Which list the re-keyed items of a change are in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keyed {
    Cards,
    Columns,
    /// The checklist of a card.
    Items(i64),
}

/// One committed change of a board: its revision, its author, what it did, and
/// the other items of the list it re-spaced, if it did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardEvent {
    pub rev: u64,
    pub by: i64,
    pub change: BoardChange,
    pub rekeyed: Vec<Rekeyed>,
}

/// Why an event could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("{0:?} is not a board event")]
    UnknownName(String),
    #[error("{name} without its {field}")]
    Missing { name: &'static str, field: &'static str },
    #[error("event data is not valid: {0}")]
    Json(String),
}

impl BoardChange {
    /// The event name it is broadcast as.
    pub fn name(&self) -> &'static str {
        match self {
            BoardChange::TaskCreated(_) => events::TASK_CREATED,
            BoardChange::TaskUpdated { .. } => events::TASK_UPDATED,
            BoardChange::TaskMoved { .. } => events::TASK_MOVED,
            BoardChange::TaskDeleted { .. } => events::TASK_DELETED,
            BoardChange::StatusCreated(_) => events::STATUS_CREATED,
            BoardChange::StatusUpdated { .. } => events::STATUS_UPDATED,
            BoardChange::StatusMoved(_) => events::STATUS_MOVED,
            BoardChange::StatusDeleted { .. } => events::STATUS_DELETED,
            BoardChange::TaskRestored(_) => events::TASK_RESTORED,
            BoardChange::StatusRestored { .. } => events::STATUS_RESTORED,
            BoardChange::CommentCreated { .. } => events::COMMENT_CREATED,
            BoardChange::CommentUpdated { .. } => events::COMMENT_UPDATED,
            BoardChange::CommentDeleted { .. } => events::COMMENT_DELETED,
            BoardChange::ItemCreated(_) => events::CHECKLIST_ITEM_CREATED,
            BoardChange::ItemUpdated { .. } => events::CHECKLIST_ITEM_UPDATED,
            BoardChange::ItemMoved(_) => events::CHECKLIST_ITEM_MOVED,
            BoardChange::ItemDeleted(_) => events::CHECKLIST_ITEM_DELETED,
        }
    }

    /// Which list the re-keyed items of this change are in.
    pub fn keyed(&self) -> Keyed {
        match self {
            BoardChange::StatusCreated(_)
            | BoardChange::StatusMoved(_)
            | BoardChange::StatusRestored { .. } => Keyed::Columns,
            BoardChange::ItemCreated(item) | BoardChange::ItemMoved(item) => Keyed::Items(item.task_id),
            _ => Keyed::Cards,
        }
    }
}

impl BoardEvent {
    /// The event name it is broadcast as.
    pub fn name(&self) -> &'static str {
        self.change.name()
    }

    /// Decodes the event `name` with its `data`.
    pub fn decode(name: &str, data: EventData) -> Result<Self, EventError> {
        let EventData {
            rev,
            by,
            task,
            status,
            id,
            moved_to,
            tasks,
            rekeyed,
            comment,
            comments,
            task_id,
            from_status_id,
            before,
            item,
            item_before,
            task_before,
        } = data;
        let name: &'static str = events::ALL
            .into_iter()
            .find(|n| *n == name)
            .ok_or_else(|| EventError::UnknownName(name.to_string()))?;
        let missing = |field| EventError::Missing { name, field };
        let change = match name {
            events::TASK_CREATED => BoardChange::TaskCreated(task.ok_or(missing("task"))?),
            events::TASK_UPDATED => BoardChange::TaskUpdated {
                task: task.ok_or(missing("task"))?,
                before: task_before.map(Box::new),
            },
            events::TASK_MOVED => {
                BoardChange::TaskMoved { task: task.ok_or(missing("task"))?, from: from_status_id }
            }
            events::TASK_DELETED => BoardChange::TaskDeleted { id: id.ok_or(missing("id"))? },
            events::STATUS_CREATED => BoardChange::StatusCreated(status.ok_or(missing("status"))?),
            events::STATUS_UPDATED => BoardChange::StatusUpdated {
                status: status.ok_or(missing("status"))?,
                before: before.map(Box::new),
            },
            events::STATUS_MOVED => BoardChange::StatusMoved(status.ok_or(missing("status"))?),
            events::TASK_RESTORED => BoardChange::TaskRestored(task.ok_or(missing("task"))?),
            events::STATUS_RESTORED => {
                BoardChange::StatusRestored { status: status.ok_or(missing("status"))?, tasks }
            }
            events::COMMENT_CREATED => BoardChange::CommentCreated {
                comment: comment.ok_or(missing("comment"))?,
                comments: comments.ok_or(missing("comments"))?,
            },
            events::COMMENT_UPDATED => BoardChange::CommentUpdated {
                comment: comment.ok_or(missing("comment"))?,
                comments: comments.ok_or(missing("comments"))?,
            },
            events::COMMENT_DELETED => BoardChange::CommentDeleted {
                id: id.ok_or(missing("id"))?,
                task_id: task_id.ok_or(missing("task_id"))?,
                comments: comments.ok_or(missing("comments"))?,
            },
            events::CHECKLIST_ITEM_CREATED => BoardChange::ItemCreated(item.ok_or(missing("item"))?),
            events::CHECKLIST_ITEM_UPDATED => BoardChange::ItemUpdated {
                item: item.ok_or(missing("item"))?,
                before: item_before.map(Box::new),
            },
            events::CHECKLIST_ITEM_MOVED => BoardChange::ItemMoved(item.ok_or(missing("item"))?),
            events::CHECKLIST_ITEM_DELETED => BoardChange::ItemDeleted(item.ok_or(missing("item"))?),
            _ => BoardChange::StatusDeleted { id: id.ok_or(missing("id"))?, moved_to, tasks },
        };
        Ok(BoardEvent { rev, by, change, rekeyed })
    }

    /// Decodes the event `name` with its data as JSON text.
    pub fn from_json(name: &str, data: &str) -> Result<Self, EventError> {
        let data: EventData = serde_json::from_str(data).map_err(|e| EventError::Json(e.to_string()))?;
        Self::decode(name, data)
    }

    /// The event's data as it goes on the wire.
    pub fn data(&self) -> EventData {
        let mut data = EventData {
            rev: self.rev,
            by: self.by,
            task: None,
            status: None,
            id: None,
            moved_to: None,
            tasks: Vec::new(),
            rekeyed: self.rekeyed.clone(),
            comment: None,
            comments: None,
            task_id: None,
            from_status_id: None,
            before: None,
            item: None,
            item_before: None,
            task_before: None,
        };
        match &self.change {
            BoardChange::TaskCreated(t) => data.task = Some(t.clone()),
            BoardChange::TaskUpdated { task, before } => {
                data.task = Some(task.clone());
                data.task_before = before.as_deref().cloned();
            }
            BoardChange::TaskMoved { task, from } => {
                data.task = Some(task.clone());
                data.from_status_id = *from;
            }
            BoardChange::TaskDeleted { id } => data.id = Some(*id),
            BoardChange::StatusCreated(s) | BoardChange::StatusMoved(s) => data.status = Some(s.clone()),
            BoardChange::StatusUpdated { status, before } => {
                data.status = Some(status.clone());
                data.before = before.as_deref().cloned();
            }
            BoardChange::StatusDeleted { id, moved_to, tasks } => {
                data.id = Some(*id);
                data.moved_to = *moved_to;
                data.tasks = tasks.clone();
            }
            BoardChange::TaskRestored(t) => data.task = Some(t.clone()),
            BoardChange::StatusRestored { status, tasks } => {
                data.status = Some(status.clone());
                data.tasks = tasks.clone();
            }
            BoardChange::CommentCreated { comment, comments }
            | BoardChange::CommentUpdated { comment, comments } => {
                data.comment = Some(comment.clone());
                data.comments = Some(*comments);
            }
            BoardChange::CommentDeleted { id, task_id, comments } => {
                data.id = Some(*id);
                data.task_id = Some(*task_id);
                data.comments = Some(*comments);
            }
            BoardChange::ItemCreated(item)
            | BoardChange::ItemMoved(item)
            | BoardChange::ItemDeleted(item) => {
                data.task_id = Some(item.task_id);
                data.item = Some(item.clone());
            }
            BoardChange::ItemUpdated { item, before } => {
                data.task_id = Some(item.task_id);
                data.item = Some(item.clone());
                data.item_before = before.as_deref().cloned();
            }
        }
        data
    }

    /// The data as JSON text, as the log, the channel and the REST answer carry it.
    pub fn encode(&self) -> String {
        serde_json::to_string(&self.data()).expect("event data serializes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(json: &str) -> EventData {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn names_and_data_that_do_not_fit_are_refused() {
        let deleted = BoardEvent::decode("task-deleted", data(r#"{"rev":3,"by":1,"id":9}"#)).unwrap();
        assert_eq!(deleted.change, BoardChange::TaskDeleted { id: 9 });
        assert_eq!(deleted.name(), "task-deleted");
        assert_eq!(BoardEvent::from_json("task-deleted", &deleted.encode()).unwrap(), deleted);
        assert_eq!(
            BoardEvent::decode("client-evil", data(r#"{"rev":4,"by":1}"#)),
            Err(EventError::UnknownName("client-evil".into()))
        );
        assert_eq!(
            BoardEvent::decode("task-moved", data(r#"{"rev":4,"by":1}"#)),
            Err(EventError::Missing { name: "task-moved", field: "task" })
        );
        assert!(matches!(BoardEvent::from_json("task-deleted", "[1]"), Err(EventError::Json(_))));
    }
}
