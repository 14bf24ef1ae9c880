//! Reaching a person, outside any one board's changes: their notifications (read,
//! marked read on every client of theirs at once), the cards they watch, their
//! work across boards, and what changed on a board since they last looked. The
//! notifications themselves are made by the board core, in the transaction of the
//! change they tell of ([`crate::board`]).

use kanban_protocol::inbox::{MarkRead, MyTask, MyWorkQuery, Notification, Since};
use kanban_protocol::model::User;

use crate::state::Core;
use crate::store::StoreError;

/// Most notifications in one page.
pub const MAX_PAGE: u32 = 200;

/// A page of `user_id`'s notifications, newest first: unread ones only with
/// `unread_only`, older than `before` when given. Those of boards they are no
/// longer a member of are left out.
pub async fn notifications(
    _core: &Core,
    _user_id: i64,
    _unread_only: bool,
    _before: Option<i64>,
    _limit: u32,
) -> Result<Vec<Notification>, StoreError> {
    Err(StoreError::Failed("not built yet".into()))
}

/// How many of `user_id`'s notifications are unread.
pub async fn unread(_core: &Core, _user_id: i64) -> Result<u64, StoreError> {
    Err(StoreError::Failed("not built yet".into()))
}

/// Marks notifications read and tells every client of the person (their own
/// channel's `notifications-read`); answers how many are unread now.
pub async fn mark_read(_core: &Core, _user_id: i64, _mark: &MarkRead) -> Result<u64, StoreError> {
    Err(StoreError::Failed("not built yet".into()))
}

/// Watches card `task_id` (`Some(true)`), stops (`Some(false)`), or only asks;
/// answers who watches it now. `NotFound` for a card the person cannot see.
pub async fn watch(
    _core: &Core,
    _user_id: i64,
    _task_id: i64,
    _watch: Option<bool>,
) -> Result<Vec<User>, StoreError> {
    Err(StoreError::Failed("not built yet".into()))
}

/// The person's cards on every board they are a member of, due first.
pub async fn my_tasks(_core: &Core, _user_id: i64, _query: &MyWorkQuery) -> Result<Vec<MyTask>, StoreError> {
    Err(StoreError::Failed("not built yet".into()))
}

/// What changed on the board since the person last looked.
pub async fn since(_core: &Core, _user_id: i64, _project_id: i64) -> Result<Since, StoreError> {
    Err(StoreError::Failed("not built yet".into()))
}

/// The person has seen the board up to revision `rev`.
pub async fn seen(_core: &Core, _user_id: i64, _project_id: i64, _rev: u64) -> Result<(), StoreError> {
    Err(StoreError::Failed("not built yet".into()))
}
