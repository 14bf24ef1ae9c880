//! `GET /app/{app_key}`: the WebSocket opening handshake (RFC 6455, 4.2). The
//! connection it upgrades is served by the hub's own WebSocket
//! ([`crate::hub`]), which keeps no buffers while a connection is idle.

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::header::{
    CONNECTION, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_KEY, SEC_WEBSOCKET_VERSION, UPGRADE,
};
use axum::http::{HeaderMap, HeaderName, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use hyper::upgrade::OnUpgrade;

use crate::state::Core;

pub async fn upgrade(
    State(state): State<Core>,
    Path(app_key): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    mut request: Request,
) -> Response {
    let headers = request.headers();
    if request.method() != Method::GET {
        return (StatusCode::METHOD_NOT_ALLOWED, "A WebSocket opens with GET").into_response();
    }
    if !has_token(headers, CONNECTION, "upgrade") || !has_token(headers, UPGRADE, "websocket") {
        return (StatusCode::UPGRADE_REQUIRED, "This is a WebSocket endpoint: upgrade to websocket")
            .into_response();
    }
    if headers.get(SEC_WEBSOCKET_VERSION).is_none_or(|v| v != "13") {
        let mut answer = (StatusCode::UPGRADE_REQUIRED, "Sec-WebSocket-Version must be 13").into_response();
        answer.headers_mut().insert(SEC_WEBSOCKET_VERSION, "13".parse().expect("a header value"));
        return answer;
    }
    let Some(key) = headers.get(SEC_WEBSOCKET_KEY) else {
        return (StatusCode::BAD_REQUEST, "Sec-WebSocket-Key is missing").into_response();
    };
    let accept = tungstenite::handshake::derive_accept_key(key.as_bytes());
    let Some(upgrade) = request.extensions_mut().remove::<OnUpgrade>() else {
        return (StatusCode::BAD_REQUEST, "This connection cannot be upgraded").into_response();
    };
    // An unparseable version counts as unsupported (0); a missing one as current.
    let protocol = query.get("protocol").map(|v| v.parse::<u32>().unwrap_or(0));
    tokio::spawn(state.hub.clone().serve_socket(upgrade, app_key, protocol));
    Response::builder()
        .status(StatusCode::SWITCHING_PROTOCOLS)
        .header(CONNECTION, "upgrade")
        .header(UPGRADE, "websocket")
        .header(SEC_WEBSOCKET_ACCEPT, accept)
        .body(Body::empty())
        .expect("a valid response")
}

/// Whether the comma-separated header `name` lists `token` (case-insensitive).
fn has_token(headers: &HeaderMap, name: HeaderName, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}
