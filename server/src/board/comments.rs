//! Comments on cards: members write them, everyone on the board reads them, their
//! author (or an owner) changes or deletes them. Each is a change of the board with
//! its revision, so every client learns of it in order with the rest.

use kanban_protocol::check as checks;
use kanban_protocol::event::BoardChange;
use kanban_protocol::model::{Comment, Role};
use kanban_protocol::request::NewComment;

use super::notify::{About, notify};
use super::storage::BoardTx;
use super::{Committed, OpError, record, require_writer};

/// The comment, and checks that `by` may change it: a writer of its project who
/// wrote it, or an owner.
fn own(tx: &mut dyn BoardTx, by: i64, comment_id: i64) -> Result<Comment, OpError> {
    let comment = tx.comment(comment_id)?.ok_or(OpError::NotFound("comment"))?;
    require_writer(tx, comment.project_id, by, "comment")?;
    if comment.author_id != Some(by) && tx.role(comment.project_id, by)? != Some(Role::Owner) {
        return Err(OpError::Forbidden("only its author or an owner changes a comment".into()));
    }
    Ok(comment)
}

pub fn create(tx: &mut dyn BoardTx, by: i64, task_id: i64, new: NewComment) -> Result<Committed, OpError> {
    let task = tx.task(task_id)?.ok_or(OpError::NotFound("task"))?;
    require_writer(tx, task.project_id, by, "task")?;
    let body = checks::check_comment(&new.body)?;
    let comment = tx.insert_comment(&task, by, &body)?;
    let comments = tx.comment_count(task_id)?;
    let notices = notify(tx, by, About::Commented { task: &task, body: &body, old: None })?;
    let change = BoardChange::CommentCreated { comment, comments };
    Ok(Committed { notices, ..record(tx, task.project_id, by, change, Vec::new())? })
}

pub fn update(
    tx: &mut dyn BoardTx,
    by: i64,
    comment_id: i64,
    patch: NewComment,
) -> Result<Committed, OpError> {
    let comment = own(tx, by, comment_id)?;
    let body = checks::check_comment(&patch.body)?;
    if body == comment.body {
        return Err(OpError::Invalid("nothing to change: the comment already says that".into()));
    }
    let old = comment.body;
    let comment = tx.update_comment(comment_id, &body, by)?;
    let comments = tx.comment_count(comment.task_id)?;
    let task = tx.task(comment.task_id)?.ok_or(OpError::NotFound("task"))?;
    let notices = notify(tx, by, About::Commented { task: &task, body: &body, old: Some(&old) })?;
    let change = BoardChange::CommentUpdated { comment, comments };
    Ok(Committed { notices, ..record(tx, task.project_id, by, change, Vec::new())? })
}

pub fn delete(tx: &mut dyn BoardTx, by: i64, comment_id: i64) -> Result<Committed, OpError> {
    let comment = own(tx, by, comment_id)?;
    tx.delete_comment(comment_id)?;
    let comments = tx.comment_count(comment.task_id)?;
    let change = BoardChange::CommentDeleted { id: comment_id, task_id: comment.task_id, comments };
    record(tx, comment.project_id, by, change, Vec::new())
}
