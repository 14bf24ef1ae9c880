//! The HTTP side of the server's one port: the REST API, channel auth, the Pusher
//! HTTP API, the WebSocket endpoint, health and metrics, and the access log of them all.

pub mod access_log;
mod account;
mod activity;
mod board;
mod body;
mod channel_auth;
mod checklist;
mod comments;
pub mod error;
mod extract;
mod inbox;
mod login;
mod ops;
mod projects;
mod pusher_http;
mod websocket;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, patch, post};

use crate::state::Core;
use error::ApiError;

/// All routes of the server; `/metrics` too unless it is served on a listener of
/// its own ([`metrics_router`]).
pub fn router(state: Core, with_metrics: bool) -> Router {
    let body_limit = state.hub.limits().max_body_bytes;
    let body_time = state.hub.limits().header_timeout;
    let log = access_log::AccessLog::new(
        access_log::Proxies::new(state.hub.limits().trusted_proxies.clone()),
        state.hub.metrics().clone(),
    );
    let metrics = if with_metrics { get(ops::metrics) } else { get(not_here) };
    Router::new()
        .route("/app/{app_key}", get(websocket::upgrade))
        .route("/api/config", get(account::config))
        .route("/api/me", get(account::me))
        .route("/api/login/oidc/device", post(login::device))
        .route("/api/login/oidc/token", post(login::token))
        .route("/api/projects", get(account::projects).post(projects::create))
        .route("/api/projects/{pid}", patch(projects::update))
        .route("/api/projects/{pid}/members", get(projects::members).post(projects::grant))
        .route("/api/projects/{pid}/members/{uid}", patch(projects::change).delete(projects::remove))
        .route("/api/projects/{pid}/board", get(board::snapshot))
        .route("/api/projects/{pid}/events", get(board::events))
        .route("/api/projects/{pid}/trash", get(board::trash))
        .route("/api/projects/{pid}/activity", get(activity::project))
        .route("/api/tasks/{tid}/history", get(activity::task))
        .route("/api/projects/{pid}/tasks", post(board::create_task))
        .route("/api/projects/{pid}/statuses", post(board::create_status))
        .route("/api/tasks/{tid}", get(board::task).patch(board::update_task).delete(board::delete_task))
        .route("/api/tasks/{tid}/move", post(board::move_task))
        .route("/api/tasks/{tid}/restore", post(board::restore_task))
        .route("/api/tasks/{tid}/comments", get(comments::list).post(comments::create))
        .route("/api/comments/{cid}", patch(comments::update).delete(comments::delete))
        .route("/api/tasks/{tid}/checklist", post(checklist::create))
        .route("/api/checklist/{iid}", patch(checklist::update).delete(checklist::delete))
        .route("/api/checklist/{iid}/move", post(checklist::move_to))
        .route("/api/statuses/{sid}", patch(board::update_status).delete(board::delete_status))
        .route("/api/statuses/{sid}/move", post(board::move_status))
        .route("/api/statuses/{sid}/restore", post(board::restore_status))
        .route("/api/notifications", get(inbox::list))
        .route("/api/notifications/unread", get(inbox::unread))
        .route("/api/notifications/read", post(inbox::mark_read))
        .route("/api/tasks/{tid}/watch", post(inbox::watch).delete(inbox::unwatch))
        .route("/api/tasks/{tid}/watchers", get(inbox::watchers))
        .route("/api/me/tasks", get(inbox::my_tasks))
        .route("/api/projects/{pid}/seen", get(inbox::since).put(inbox::seen))
        .route("/api/pusher/auth", post(channel_auth::authorize))
        .route("/api/pusher/user-auth", post(channel_auth::authenticate_user))
        .route(
            "/apps/{app_id}/users/{user_id}/terminate_connections",
            post(pusher_http::terminate_connections),
        )
        .route("/apps/{app_id}/events", post(pusher_http::events))
        .route("/apps/{app_id}/batch_events", post(pusher_http::batch_events))
        .route("/apps/{app_id}/channels", get(pusher_http::channels))
        .route("/apps/{app_id}/channels/{name}", get(pusher_http::channel))
        .route("/apps/{app_id}/channels/{name}/users", get(pusher_http::users))
        .route("/healthz", get(ops::healthz))
        .route("/version", get(ops::version))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", metrics)
        .fallback(|| async { ApiError::not_found("no such route") })
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(axum::middleware::map_request(move |req: axum::extract::Request| async move {
            body::on_a_clock(req, body_time)
        }))
        // Outermost, so that what the layers inside refuse is logged too.
        .layer(log)
        .with_state(state)
}

/// `/metrics` alone, for `--metrics-listen`: scrapers reach it on a port of its
/// own (a private network's), and the public port answers 404 for it.
pub fn metrics_router(state: Core) -> Router {
    Router::new().route("/metrics", get(ops::metrics)).fallback(not_here).with_state(state)
}

async fn not_here() -> ApiError {
    ApiError::not_found("no such route")
}
