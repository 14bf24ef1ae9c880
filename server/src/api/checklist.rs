//! Checklists on cards: adding, changing, moving and deleting an item. Every
//! change goes through the writer like the board's others, and is answered with
//! its event data (`{rev, by, task_id, item, ...}`). Items are read with their
//! card, in the board's snapshot.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use kanban_protocol::request::{ItemPatch, MoveItem, NewItem};

use super::board::commit;
use super::error::ApiResult;
use super::extract::{Author, Json, Path};
use crate::board::Change;
use crate::state::Core;

pub async fn create(
    State(state): State<Core>,
    author: Author,
    Path(task_id): Path<i64>,
    Json(new): Json<NewItem>,
) -> ApiResult<Response> {
    commit(&state, author, Change::CreateItem { task_id, new }, StatusCode::CREATED).await
}

pub async fn update(
    State(state): State<Core>,
    author: Author,
    Path(item_id): Path<i64>,
    Json(patch): Json<ItemPatch>,
) -> ApiResult<Response> {
    commit(&state, author, Change::UpdateItem { item_id, patch }, StatusCode::OK).await
}

pub async fn move_to(
    State(state): State<Core>,
    author: Author,
    Path(item_id): Path<i64>,
    Json(to): Json<MoveItem>,
) -> ApiResult<Response> {
    commit(&state, author, Change::MoveItem { item_id, to }, StatusCode::OK).await
}

pub async fn delete(
    State(state): State<Core>,
    author: Author,
    Path(item_id): Path<i64>,
) -> ApiResult<Response> {
    commit(&state, author, Change::DeleteItem { item_id }, StatusCode::OK).await
}
