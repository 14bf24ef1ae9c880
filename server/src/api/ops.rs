//! `/healthz` and `/metrics` (Prometheus text).

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use super::AppState;

pub async fn healthz() -> &'static str {
    "ok\n"
}

pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let body = state.hub.metrics().render(state.hub.adapter().channel_count());
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body)
}
