//! The HTTP side of the server's one port: the REST API, channel auth, the Pusher
//! HTTP API, the WebSocket endpoint, health and metrics.

mod account;
mod channel_auth;
pub mod error;
mod extract;
mod ops;
mod pusher_http;
mod websocket;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

use crate::hub::Hub;
use crate::store::Store;
use error::ApiError;

/// What every handler can reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub hub: Hub,
}

/// All routes of the server.
pub fn router(state: AppState) -> Router {
    let body_limit = state.hub.limits().max_body_bytes;
    Router::new()
        .route("/app/{app_key}", get(websocket::upgrade))
        .route("/api/config", get(account::config))
        .route("/api/me", get(account::me))
        .route("/api/projects", get(account::projects))
        .route("/api/pusher/auth", post(channel_auth::authorize))
        .route("/apps/{app_id}/events", post(pusher_http::events))
        .route(
            "/apps/{app_id}/batch_events",
            post(pusher_http::batch_events),
        )
        .route("/apps/{app_id}/channels", get(pusher_http::channels))
        .route("/apps/{app_id}/channels/{name}", get(pusher_http::channel))
        .route(
            "/apps/{app_id}/channels/{name}/users",
            get(pusher_http::users),
        )
        .route("/healthz", get(ops::healthz))
        .route("/metrics", get(ops::metrics))
        .fallback(|| async { ApiError::not_found("no such route") })
        .layer(DefaultBodyLimit::max(body_limit))
        .with_state(state)
}
