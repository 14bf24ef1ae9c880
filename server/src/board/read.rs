//! What a person may read of a board, checked in one place as the core checks
//! what they may change: their role in the project first (a card's project for a
//! card), then the store's plain read. Whoever is not a member learns nothing,
//! not even that the project or card exists: `NotFound`, as a change answers.

use kanban_protocol::model::{Board, Comment, Role, Task, Trash};

use crate::store::{EventsAfter, Store, StoreError};

type Result<T> = std::result::Result<T, StoreError>;

/// `user_id`'s role on `project_id`; `NotFound` for a non-member.
pub async fn role(store: &dyn Store, user_id: i64, project_id: i64) -> Result<Role> {
    store.role_of(project_id, user_id).await?.ok_or(StoreError::NotFound("project"))
}

/// The project of card `task_id` and `user_id`'s role in it; `NotFound` for a
/// non-member, and for a card in the trash unless `trashed_too`.
pub async fn card(store: &dyn Store, user_id: i64, task_id: i64, trashed_too: bool) -> Result<(i64, Role)> {
    let not_found = StoreError::NotFound("task");
    let Some((project_id, trashed)) = store.card_project(task_id).await? else {
        return Err(not_found);
    };
    match store.role_of(project_id, user_id).await? {
        Some(role) if trashed_too || !trashed => Ok((project_id, role)),
        _ => Err(not_found),
    }
}

/// A member's snapshot of a board.
pub async fn board(store: &dyn Store, user_id: i64, project_id: i64) -> Result<Board> {
    let role = role(store, user_id, project_id).await?;
    store.board(project_id, role).await
}

/// What happened on a board after revision `after`, for a member.
pub async fn events_after(
    store: &dyn Store,
    user_id: i64,
    project_id: i64,
    after: u64,
) -> Result<EventsAfter> {
    role(store, user_id, project_id).await?;
    store.events_after(project_id, after).await
}

/// What a member may restore from a board's trash.
pub async fn trash(store: &dyn Store, user_id: i64, project_id: i64) -> Result<Trash> {
    role(store, user_id, project_id).await?;
    store.trash(project_id).await
}

/// A card (not in the trash) with its checklist, for a member of its project.
pub async fn task(store: &dyn Store, user_id: i64, task_id: i64) -> Result<Task> {
    let (project_id, role) = card(store, user_id, task_id, false).await?;
    let board = store.board(project_id, role).await?;
    board.tasks.into_iter().find(|t| t.id == task_id).ok_or(StoreError::NotFound("task"))
}

/// The comments of a card (not in the trash), for a member of its project.
pub async fn comments(store: &dyn Store, user_id: i64, task_id: i64) -> Result<Vec<Comment>> {
    card(store, user_id, task_id, false).await?;
    store.comments(task_id).await
}
