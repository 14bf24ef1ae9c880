//! Who am I and what can I open: `/api/config`, `/api/me`, `/api/projects`.

use axum::extract::State;
use kanban_protocol::model::{ClientConfig, Project, User};

use super::error::ApiResult;
use super::extract::CurrentUser;
use crate::state::Core;

/// What a client needs to open the WebSocket; no token needed.
pub async fn config(State(state): State<Core>) -> axum::Json<ClientConfig> {
    axum::Json(ClientConfig {
        app_key: state.hub.app().key.clone(),
        cluster: "kanban".into(),
        activity_timeout: state.hub.limits().activity_timeout.as_secs(),
        server_version: env!("CARGO_PKG_VERSION").into(),
    })
}

pub async fn me(CurrentUser(user): CurrentUser) -> axum::Json<User> {
    axum::Json(user)
}

pub async fn projects(
    State(state): State<Core>,
    CurrentUser(user): CurrentUser,
) -> ApiResult<axum::Json<Vec<Project>>> {
    Ok(axum::Json(state.store.projects_of(user.id).await?))
}
