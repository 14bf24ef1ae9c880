//! A board's history: `GET /api/projects/{pid}/activity?before=REV&limit=N` and
//! `GET /api/tasks/{tid}/history`, newest first, in words ([`crate::activity`]).

use axum::extract::State;
use kanban_protocol::model::Activity;
use serde::Deserialize;

use super::error::ApiResult;
use super::extract::{CurrentUser, Path, Query};
use crate::state::Core;

/// A page of history: before revision `before` (newest when not given), at most
/// `limit` lines (50; at most 500).
#[derive(Debug, Deserialize)]
pub struct Page {
    before: Option<u64>,
    limit: Option<u32>,
}

const LIMIT: u32 = 50;
const MAX_LIMIT: u32 = 500;

async fn history(
    state: &Core,
    user_id: i64,
    project_id: Option<i64>,
    task_id: Option<i64>,
    page: Page,
) -> ApiResult<axum::Json<Vec<Activity>>> {
    let limit = page.limit.unwrap_or(LIMIT).clamp(1, MAX_LIMIT);
    let before = page.before.map(|rev| super::board::revision("before", rev)).transpose()?;
    let lines = crate::activity::read(&*state.store, user_id, project_id, task_id, before, limit).await?;
    Ok(axum::Json(lines))
}

pub async fn project(
    State(state): State<Core>,
    CurrentUser(user): CurrentUser,
    Path(pid): Path<i64>,
    Query(page): Query<Page>,
) -> ApiResult<axum::Json<Vec<Activity>>> {
    history(&state, user.id, Some(pid), None, page).await
}

pub async fn task(
    State(state): State<Core>,
    CurrentUser(user): CurrentUser,
    Path(tid): Path<i64>,
    Query(page): Query<Page>,
) -> ApiResult<axum::Json<Vec<Activity>>> {
    history(&state, user.id, None, Some(tid), page).await
}
