//! `/healthz` (the process answers), `/version`, `/readyz` (it can do its work: it is not
//! shutting down, the store answers and takes writes, and in a cluster the broker
//! does) and
//! `/metrics` (OpenMetrics text).

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use crate::metrics;
use crate::state::Core;

pub async fn healthz() -> &'static str {
    "ok\n"
}

/// `GET /version`: which release this is, the schema it keeps the database at, and
/// the cluster wire it speaks (nodes of one cluster must speak one).
pub async fn version(State(state): State<Core>) -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({
        "version": env!("CARGO_PKG_VERSION"),
        "schema": state.store.schema_version(),
        "cluster_wire": crate::cluster::wire::VERSION,
    }))
}

pub async fn readyz(State(state): State<Core>) -> impl IntoResponse {
    use axum::http::StatusCode;
    // First: a load balancer should stop sending clients to a server on its way out
    // even while its store and broker still answer.
    if state.hub.is_shutting_down() {
        return (StatusCode::SERVICE_UNAVAILABLE, "not ready: shutting down\n");
    }
    if !state.hub.adapter().ready() {
        return (StatusCode::SERVICE_UNAVAILABLE, "not ready: the broker does not answer\n");
    }
    match state.store.find_project("0").await {
        Ok(_) | Err(crate::store::StoreError::NotFound(_)) => {}
        Err(_) => return (StatusCode::SERVICE_UNAVAILABLE, "not ready: the database does not answer\n"),
    }
    // The last changes failed to commit (a full disk, say): ready again only once
    // a write goes through. Asked only then, so that a probe costs nothing while
    // all is well.
    if state.writer.failing().is_some() {
        if let Err(e) = state.store.probe_write().await {
            tracing::warn!(error = %e, "the database still takes no writes");
            return (StatusCode::SERVICE_UNAVAILABLE, "not ready: the database takes no writes\n");
        }
        state.writer.recovered();
    }
    (StatusCode::OK, "ready\n")
}

pub async fn metrics(State(state): State<Core>) -> impl IntoResponse {
    let adapter = state.hub.adapter();
    let gauges = metrics::Gauges {
        channels: adapter.channel_count(),
        cluster: adapter.cluster_gauges(),
        pool: state.store.pool(),
        ssh_sessions: None,
    };
    let body = state.hub.metrics().render(&gauges);
    ([(header::CONTENT_TYPE, metrics::CONTENT_TYPE)], body)
}
