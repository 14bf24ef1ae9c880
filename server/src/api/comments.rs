//! Comments on cards: the thread of a card, and writing, changing and deleting a
//! comment. Every change goes through the writer like the board's others, and is
//! answered with its event data (`{rev, by, comment, comments}`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use kanban_protocol::model::Comment;
use kanban_protocol::request::NewComment;

use super::board::commit;
use super::error::ApiResult;
use super::extract::{Author, CurrentUser, Json, Path};
use crate::board::Change;
use crate::state::Core;

pub async fn list(
    State(state): State<Core>,
    CurrentUser(user): CurrentUser,
    Path(task_id): Path<i64>,
) -> ApiResult<axum::Json<Vec<Comment>>> {
    Ok(axum::Json(crate::board::read::comments(&*state.store, user.id, task_id).await?))
}

pub async fn create(
    State(state): State<Core>,
    author: Author,
    Path(task_id): Path<i64>,
    Json(new): Json<NewComment>,
) -> ApiResult<Response> {
    commit(&state, author, Change::CreateComment { task_id, new }, StatusCode::CREATED).await
}

pub async fn update(
    State(state): State<Core>,
    author: Author,
    Path(comment_id): Path<i64>,
    Json(patch): Json<NewComment>,
) -> ApiResult<Response> {
    commit(&state, author, Change::UpdateComment { comment_id, patch }, StatusCode::OK).await
}

pub async fn delete(
    State(state): State<Core>,
    author: Author,
    Path(comment_id): Path<i64>,
) -> ApiResult<Response> {
    commit(&state, author, Change::DeleteComment { comment_id }, StatusCode::OK).await
}
