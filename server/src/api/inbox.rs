//! What reaches a person, over REST: `GET /api/notifications`, `GET
//! /api/notifications/unread`, `POST /api/notifications/read`, watching a card
//! (`POST`/`DELETE /api/tasks/{tid}/watch`, `GET /api/tasks/{tid}/watchers`),
//! `GET /api/me/tasks`, and `GET`/`PUT /api/projects/{pid}/seen`. The rules are
//! [`crate::inbox`]'s, the same for an SSH session.

use axum::extract::State;
use axum::http::StatusCode;
use kanban_protocol::inbox::{MarkRead, MyTask, MyWorkQuery, Notification, Seen, Since, Unread, Watchers};
use serde::Deserialize;

use super::error::ApiResult;
use super::extract::{CurrentUser, Json, Path, Query};
use crate::inbox;
use crate::state::Core;

/// A page of notifications: unread ones only (`unread=1`), older than `before`,
/// at most `limit` (50; at most 200).
#[derive(Debug, Deserialize)]
pub struct Page {
    unread: Option<u8>,
    before: Option<i64>,
    limit: Option<u32>,
}

pub async fn list(
    State(state): State<Core>,
    CurrentUser(user): CurrentUser,
    Query(page): Query<Page>,
) -> ApiResult<axum::Json<Vec<Notification>>> {
    let unread_only = page.unread.is_some_and(|u| u != 0);
    let limit = page.limit.unwrap_or(50);
    Ok(axum::Json(inbox::notifications(&state, user.id, unread_only, page.before, limit).await?))
}

pub async fn unread(
    State(state): State<Core>,
    CurrentUser(user): CurrentUser,
) -> ApiResult<axum::Json<Unread>> {
    Ok(axum::Json(Unread { unread: inbox::unread(&state, user.id).await? }))
}

pub async fn mark_read(
    State(state): State<Core>,
    CurrentUser(user): CurrentUser,
    Json(mark): Json<MarkRead>,
) -> ApiResult<axum::Json<Unread>> {
    state.writer.spend(user.id)?;
    Ok(axum::Json(Unread { unread: inbox::mark_read(&state, user.id, &mark).await? }))
}

async fn watching(
    state: &Core,
    user_id: i64,
    task_id: i64,
    watch: Option<bool>,
) -> ApiResult<axum::Json<Watchers>> {
    if watch.is_some() {
        state.writer.spend(user_id)?;
    }
    Ok(axum::Json(Watchers { watchers: inbox::watch(state, user_id, task_id, watch).await? }))
}

pub async fn watch(
    State(state): State<Core>,
    CurrentUser(user): CurrentUser,
    Path(task_id): Path<i64>,
) -> ApiResult<axum::Json<Watchers>> {
    watching(&state, user.id, task_id, Some(true)).await
}

pub async fn unwatch(
    State(state): State<Core>,
    CurrentUser(user): CurrentUser,
    Path(task_id): Path<i64>,
) -> ApiResult<axum::Json<Watchers>> {
    watching(&state, user.id, task_id, Some(false)).await
}

pub async fn watchers(
    State(state): State<Core>,
    CurrentUser(user): CurrentUser,
    Path(task_id): Path<i64>,
) -> ApiResult<axum::Json<Watchers>> {
    watching(&state, user.id, task_id, None).await
}

pub async fn my_tasks(
    State(state): State<Core>,
    CurrentUser(user): CurrentUser,
    Query(query): Query<MyWorkQuery>,
) -> ApiResult<axum::Json<Vec<MyTask>>> {
    Ok(axum::Json(inbox::my_tasks(&state, user.id, &query).await?))
}

pub async fn since(
    State(state): State<Core>,
    CurrentUser(user): CurrentUser,
    Path(project_id): Path<i64>,
) -> ApiResult<axum::Json<Since>> {
    Ok(axum::Json(inbox::since(&state, user.id, project_id).await?))
}

pub async fn seen(
    State(state): State<Core>,
    CurrentUser(user): CurrentUser,
    Path(project_id): Path<i64>,
    Json(seen): Json<Seen>,
) -> ApiResult<StatusCode> {
    state.writer.spend(user.id)?;
    inbox::seen(&state, user.id, project_id, seen.rev).await?;
    Ok(StatusCode::NO_CONTENT)
}
