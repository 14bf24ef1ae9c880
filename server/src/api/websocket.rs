//! `GET /app/{app_key}`: the WebSocket upgrade, with buffer sizes chosen so that
//! idle connections stay small.

use std::collections::HashMap;

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Path, Query, State};
use axum::response::Response;

use super::AppState;

/// Read buffer per connection, allocated up front. tungstenite's default is 128 KiB,
/// which would make ten thousand idle connections cost over a gigabyte; client frames
/// are small (cursor moves), and a larger one grows the buffer while it is read.
/// 1 KiB instead of 4 KiB took idle connections from 11 KiB to 7.9 KiB each
/// (BENCHMARKS.md).
const READ_BUFFER: usize = 1024;
/// Frames are written through a small buffer and flushed per batch.
const WRITE_BUFFER: usize = 4 * 1024;

pub async fn upgrade(
    State(state): State<AppState>,
    Path(app_key): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    ws: WebSocketUpgrade,
) -> Response {
    // An unparseable version counts as unsupported (0); a missing one as current.
    let protocol = query.get("protocol").map(|v| v.parse::<u32>().unwrap_or(0));
    let limits = state.hub.limits();
    let hub = state.hub.clone();
    ws.read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER)
        .max_write_buffer_size(limits.max_frame_bytes.max(WRITE_BUFFER) * 4 + limits.outbound_queue * 1024)
        .max_message_size(limits.max_frame_bytes)
        .max_frame_size(limits.max_frame_bytes)
        .on_upgrade(move |socket| hub.serve_socket(socket, app_key, protocol))
}
