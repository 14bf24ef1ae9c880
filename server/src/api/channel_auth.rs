//! `POST /api/pusher/auth`: signs a subscription for a member of the project the
//! channel belongs to, with `channel_data` built from the user's own record. The
//! signature names the token that asked (a [`sign::Grant`]): the hub checks it again
//! when the socket subscribes.

use axum::extract::{FromRequest, Request, State};
use axum::http::header;
use kanban_protocol::channel::{self, ChannelKind};
use kanban_protocol::model::ChannelAuth;
use kanban_protocol::{pusher, sign};
use serde::Deserialize;

use super::error::{ApiError, ApiResult};
use super::extract::{Bearer, Form, Json};
use crate::state::Core;

/// The form pusher-js posts (also accepted as JSON).
#[derive(Debug, Deserialize)]
pub struct AuthRequest {
    socket_id: String,
    channel_name: String,
}

/// Accepts the body as a form (pusher-js) or as JSON (other clients).
pub struct AuthBody(AuthRequest);

impl FromRequest<Core> for AuthBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &Core) -> Result<Self, Self::Rejection> {
        let json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        if json {
            Ok(AuthBody(Json::<AuthRequest>::from_request(req, state).await?.0))
        } else {
            Ok(AuthBody(Form::<AuthRequest>::from_request(req, state).await?.0))
        }
    }
}

/// The form pusher-js's `userAuthentication` posts.
#[derive(Debug, Deserialize)]
pub struct UserAuthRequest {
    socket_id: String,
}

/// `POST /api/pusher/user-auth`: signs the person in on their socket
/// (`pusher:signin`, as pusher-js's `signin()` asks): their user id, name and
/// color, and a watchlist of the people they share a board with.
pub async fn authenticate_user(
    State(state): State<Core>,
    Bearer(holder): Bearer,
    Form(req): Form<UserAuthRequest>,
) -> ApiResult<axum::Json<serde_json::Value>> {
    if !pusher::is_socket_id(&req.socket_id) {
        return Err(ApiError::bad_request("socket_id must look like 1234.5678"));
    }
    let user = holder.user;
    let mut watchlist = std::collections::BTreeSet::new();
    for project in state.store.projects_of(user.id).await? {
        let members = state.store.members(project.id).await?;
        watchlist.extend(members.iter().map(|m| m.id).filter(|id| *id != user.id));
    }
    let watchlist: Vec<String> = watchlist.into_iter().take(100).map(|id| id.to_string()).collect();
    let user_data = serde_json::json!({
        "id": user.id.to_string(),
        "user_info": { "name": user.name, "color": user.color },
        "watchlist": watchlist,
    })
    .to_string();
    let app = state.hub.app();
    // Named by the token that asked: the sign-in ends when the token does.
    let grant = sign::Grant { token_id: holder.token_id, user_id: user.id };
    let auth = sign::granted_user_auth(&app.key, &app.secret, grant, &req.socket_id, &user_data);
    Ok(axum::Json(serde_json::json!({ "auth": auth, "user_data": user_data })))
}

pub async fn authorize(
    State(state): State<Core>,
    Bearer(holder): Bearer,
    AuthBody(req): AuthBody,
) -> ApiResult<axum::Json<ChannelAuth>> {
    if !pusher::is_socket_id(&req.socket_id) {
        return Err(ApiError::bad_request("socket_id must look like 1234.5678"));
    }
    let name = req.channel_name.as_str();
    channel::validate_name(name).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let kind = ChannelKind::of(name);
    let user = holder.user;
    // A person's own channel is theirs alone.
    if let Some(owner) = channel::user_of(name) {
        if owner != user.id {
            return Err(ApiError::forbidden("a person's own channel is theirs alone"));
        }
    } else {
        let project_id = channel::member_project_of(name).filter(|_| kind.needs_auth()).ok_or_else(|| {
            ApiError::forbidden(
                "only private-project-<id>, presence-project-<id>, private-encrypted-project-<id> and \
                 your own private-user-<id> channels are authorized here",
            )
        })?;
        if state.store.role_of(project_id, user.id).await?.is_none() {
            return Err(ApiError::forbidden("not a member of this project"));
        }
    }
    let shared_secret = if channel::is_encrypted(name) {
        let key = state.encryption.as_ref().ok_or_else(|| {
            ApiError::not_found("this server has no encryption master key (--encryption-master-key)")
        })?;
        Some(key.shared_secret(name))
    } else {
        None
    };
    let channel_data = (kind == ChannelKind::Presence).then(|| {
        serde_json::json!({
            "user_id": user.id.to_string(),
            "user_info": { "name": user.name, "color": user.color },
        })
        .to_string()
    });
    let app = state.hub.app();
    // The signature names the token and its user, so that the subscription can be
    // checked against the access in force when it is made, not only now.
    let grant = sign::Grant { token_id: holder.token_id, user_id: user.id };
    let auth = sign::granted_channel_auth(
        &app.key,
        &app.secret,
        grant,
        &req.socket_id,
        name,
        channel_data.as_deref(),
    );
    Ok(axum::Json(ChannelAuth { auth, channel_data, shared_secret }))
}
