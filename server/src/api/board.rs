//! The board's REST routes: the snapshot, the events since a revision, and the
//! changes to cards and columns. Every change goes through the writer; the answer
//! is the change's event data (`{rev, by, task | status | id}`), the very text
//! that was broadcast.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use kanban_protocol::model::{Board, Trash};
use kanban_protocol::request::{MoveStatus, MoveTask, NewStatus, NewTask, StatusPatch, TaskPatch};
use serde::Deserialize;

use super::error::{ApiError, ApiResult};
use super::extract::{Author, CurrentUser, Json, Path, Query};
use crate::board::{Change, Committed, Write};
use crate::state::Core;
use crate::store::EventsAfter;

fn json_text(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

pub(super) async fn commit(
    state: &Core,
    author: Author,
    change: Change,
    status: StatusCode,
) -> ApiResult<Response> {
    let write = Write { by: author.user.id, change, key: author.key };
    let Committed { data, .. } = state.writer.write(write).await?;
    Ok(json_text(status, data.to_string()))
}

/// Snapshots smaller than this go as they are: compressing them saves less than
/// it costs.
const GZIP_FROM: usize = 32 * 1024;

/// The board, gzipped (at the fastest level) when the client accepts it and it
/// is large: a board of 10,000 cards is megabytes of JSON that compress about
/// tenfold, which counts over a network and costs a few milliseconds
/// (BENCHMARKS.md). kanban-tui asks for it only from servers it reaches over a
/// network.
/// `GET /api/tasks/{tid}`: one card, with its checklist.
pub async fn task(
    State(state): State<Core>,
    CurrentUser(user): CurrentUser,
    Path(tid): Path<i64>,
) -> ApiResult<axum::Json<kanban_protocol::model::Task>> {
    Ok(axum::Json(crate::board::read::task(&*state.store, user.id, tid).await?))
}

pub async fn snapshot(
    State(state): State<Core>,
    CurrentUser(user): CurrentUser,
    Path(pid): Path<i64>,
    headers: axum::http::HeaderMap,
) -> ApiResult<Response> {
    let board: Board = crate::board::read::board(&*state.store, user.id, pid).await?;
    let json = serde_json::to_vec(&board)
        .map_err(|e| crate::store::StoreError::Failed(format!("the board snapshot: {e}")))?;
    if json.len() < GZIP_FROM || !accepts_gzip(&headers) {
        return Ok(([(header::CONTENT_TYPE, "application/json")], json).into_response());
    }
    let gzipped = tokio::task::spawn_blocking(move || gzip(&json))
        .await
        .map_err(|e| crate::store::StoreError::Failed(format!("the board snapshot: {e}")))?
        .map_err(|e| crate::store::StoreError::Failed(format!("the board snapshot: {e}")))?;
    let headers = [
        (header::CONTENT_TYPE, "application/json"),
        (header::CONTENT_ENCODING, "gzip"),
        (header::VARY, "accept-encoding"),
    ];
    Ok((headers, gzipped).into_response())
}

/// Whether `Accept-Encoding` lists gzip with a weight above zero.
fn accepts_gzip(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut parts = item.split(';').map(str::trim);
            let coding = parts.next().unwrap_or("");
            let refused =
                parts.any(|p| p.strip_prefix("q=").is_some_and(|q| q.parse::<f32>().is_ok_and(|q| q <= 0.0)));
            (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !refused
        })
}

fn gzip(json: &[u8]) -> std::io::Result<Vec<u8>> {
    use std::io::Write;
    let mut encoder =
        flate2::write::GzEncoder::new(Vec::with_capacity(json.len() / 8), flate2::Compression::fast());
    encoder.write_all(json)?;
    encoder.finish()
}

#[derive(Debug, Deserialize)]
pub struct After {
    after: u64,
    /// The epoch `after` counts in (the board snapshot's), when the client knows it.
    epoch: Option<u64>,
}

/// A revision given in a query: at most what the store counts to (a larger
/// number would wrap into a negative one there).
pub(super) fn revision(name: &str, rev: u64) -> ApiResult<u64> {
    if i64::try_from(rev).is_err() {
        return Err(ApiError::bad_request(format!("{name} must be a revision, 0 to {}", i64::MAX)));
    }
    Ok(rev)
}

pub async fn events(
    State(state): State<Core>,
    CurrentUser(user): CurrentUser,
    Path(pid): Path<i64>,
    Query(After { after, epoch }): Query<After>,
) -> ApiResult<Response> {
    let after = revision("after", after)?;
    // Asked first, for a member alone: whoever is not one learns nothing more.
    let found = crate::board::read::events_after(&*state.store, user.id, pid, after).await?;
    let now = state.store.site().epoch;
    if let Some(epoch) = epoch.filter(|e| *e != now) {
        // Revisions of another history (before a restore, or of the database this
        // one was copied from): the same number may name another change here.
        return Err(ApiError::new(
            StatusCode::GONE,
            format!(
                "revision {after} is of another history (epoch {epoch}; the database's is {now}: it was \
                 restored or moved): fetch the board"
            ),
        ));
    }
    match found {
        // A revision the board has not reached: the asker's copy is of a board
        // that is no more (restored from a backup, say), and only a fresh one helps.
        EventsAfter::Gone { rev } if after > rev => Err(ApiError::new(
            StatusCode::GONE,
            format!("the board is at revision {rev}, before {after}: fetch the board"),
        )),
        EventsAfter::Gone { rev } => Err(ApiError::new(
            StatusCode::GONE,
            format!("events after {after} are no longer kept (the board is at {rev}): fetch the board"),
        )),
        EventsAfter::Events { rev, events, members } => {
            // The logged texts go out as they were broadcast, without re-encoding.
            let mut body = format!(r#"{{"rev":{rev},"events":["#);
            for (i, (name, data)) in events.iter().enumerate() {
                if i > 0 {
                    body.push(',');
                }
                body.push_str(r#"{"name":"#);
                body.push_str(&serde_json::to_string(name).expect("a string serializes"));
                body.push_str(r#","data":"#);
                body.push_str(data);
                body.push('}');
            }
            body.push_str(r#"],"members":"#);
            body.push_str(&serde_json::to_string(&members).expect("members serialize"));
            body.push('}');
            Ok(json_text(StatusCode::OK, body))
        }
    }
}

pub async fn create_task(
    State(state): State<Core>,
    author: Author,
    Path(project_id): Path<i64>,
    Json(new): Json<NewTask>,
) -> ApiResult<Response> {
    commit(&state, author, Change::CreateTask { project_id, new }, StatusCode::CREATED).await
}

pub async fn update_task(
    State(state): State<Core>,
    author: Author,
    Path(task_id): Path<i64>,
    Json(patch): Json<TaskPatch>,
) -> ApiResult<Response> {
    commit(&state, author, Change::UpdateTask { task_id, patch }, StatusCode::OK).await
}

pub async fn move_task(
    State(state): State<Core>,
    author: Author,
    Path(task_id): Path<i64>,
    Json(to): Json<MoveTask>,
) -> ApiResult<Response> {
    commit(&state, author, Change::MoveTask { task_id, to }, StatusCode::OK).await
}

pub async fn delete_task(
    State(state): State<Core>,
    author: Author,
    Path(task_id): Path<i64>,
) -> ApiResult<Response> {
    commit(&state, author, Change::DeleteTask { task_id }, StatusCode::OK).await
}

pub async fn create_status(
    State(state): State<Core>,
    author: Author,
    Path(project_id): Path<i64>,
    Json(new): Json<NewStatus>,
) -> ApiResult<Response> {
    commit(&state, author, Change::CreateStatus { project_id, new }, StatusCode::CREATED).await
}

pub async fn update_status(
    State(state): State<Core>,
    author: Author,
    Path(status_id): Path<i64>,
    Json(patch): Json<StatusPatch>,
) -> ApiResult<Response> {
    commit(&state, author, Change::UpdateStatus { status_id, patch }, StatusCode::OK).await
}

pub async fn move_status(
    State(state): State<Core>,
    author: Author,
    Path(status_id): Path<i64>,
    Json(to): Json<MoveStatus>,
) -> ApiResult<Response> {
    commit(&state, author, Change::MoveStatus { status_id, to }, StatusCode::OK).await
}

#[derive(Debug, Deserialize)]
pub struct DeleteStatus {
    move_to: Option<i64>,
}

pub async fn delete_status(
    State(state): State<Core>,
    author: Author,
    Path(status_id): Path<i64>,
    Query(DeleteStatus { move_to }): Query<DeleteStatus>,
) -> ApiResult<Response> {
    commit(&state, author, Change::DeleteStatus { status_id, move_to }, StatusCode::OK).await
}

pub async fn restore_task(
    State(state): State<Core>,
    author: Author,
    Path(task_id): Path<i64>,
) -> ApiResult<Response> {
    commit(&state, author, Change::RestoreTask { task_id }, StatusCode::OK).await
}

pub async fn restore_status(
    State(state): State<Core>,
    author: Author,
    Path(status_id): Path<i64>,
) -> ApiResult<Response> {
    commit(&state, author, Change::RestoreStatus { status_id }, StatusCode::OK).await
}

pub async fn trash(
    State(state): State<Core>,
    CurrentUser(user): CurrentUser,
    Path(pid): Path<i64>,
) -> ApiResult<axum::Json<Trash>> {
    Ok(axum::Json(crate::board::read::trash(&*state.store, user.id, pid).await?))
}
