//! Who am I and what can I open: `/api/config`, `/api/me`, `/api/projects`.

use axum::extract::State;
use kanban_protocol::model::{ClientConfig, Project, User};

use super::error::ApiResult;
use super::extract::{CurrentUser, Query};
use crate::state::Core;

/// What a client needs to open the WebSocket; no token needed.
pub async fn config(State(state): State<Core>) -> axum::Json<ClientConfig> {
    axum::Json(ClientConfig {
        app_key: state.hub.app().key.clone(),
        cluster: "kanban".into(),
        activity_timeout: state.hub.limits().activity_timeout.as_secs(),
        server_version: env!("CARGO_PKG_VERSION").into(),
        oidc: state.oidc.is_some(),
    })
}

pub async fn me(CurrentUser(user): CurrentUser) -> axum::Json<User> {
    axum::Json(user)
}

/// `?archived=1` lists archived boards too.
#[derive(Debug, Default, serde::Deserialize)]
pub struct Listing {
    #[serde(default)]
    archived: Option<String>,
}

/// The boards the caller is a member of; archived ones only when asked for.
pub async fn projects(
    State(state): State<Core>,
    CurrentUser(user): CurrentUser,
    Query(listing): Query<Listing>,
) -> ApiResult<axum::Json<Vec<Project>>> {
    let all = matches!(listing.archived.as_deref(), Some("1" | "true"));
    Ok(axum::Json(crate::boards::list(&state, user.id, all).await?))
}
