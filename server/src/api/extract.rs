//! Extractors that answer bad requests in the API's own error shape: who asks
//! (the holder of the bearer token, or on the Unix socket the peer's account),
//! and JSON and form bodies whose rejections become `{"error": ...}`.

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::header;
use axum::http::request::Parts;
use kanban_protocol::model::User;
use serde::de::DeserializeOwned;

use super::access_log::Who;
use super::error::ApiError;
use crate::state::Core;
use crate::store::{HOST_ACCOUNT, StoreError, TokenHolder};
use crate::unix_socket::{HostAccount, UnixUsers};

/// The user named by the request's `Authorization: Bearer <token>`, or on the Unix
/// socket by its account.
pub struct CurrentUser(pub User);

impl FromRequestParts<Core> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Core) -> Result<Self, Self::Rejection> {
        Ok(CurrentUser(Bearer::from_request_parts(parts, state).await?.0.user))
    }
}

/// Who makes a change, and the key their client gave it (`Idempotency-Key`: the same
/// key again is answered with the change's first event instead of a second change).
pub struct Author {
    pub user: User,
    pub key: Option<String>,
}

/// The longest `Idempotency-Key` taken (a UUID is 36 characters).
const MAX_KEY: usize = 100;

impl FromRequestParts<Core> for Author {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Core) -> Result<Self, Self::Rejection> {
        let CurrentUser(user) = CurrentUser::from_request_parts(parts, state).await?;
        let key = match parts.headers.get("idempotency-key") {
            None => None,
            Some(value) => {
                let key = value.to_str().ok().filter(|k| {
                    !k.is_empty() && k.len() <= MAX_KEY && k.bytes().all(|b| b.is_ascii_graphic())
                });
                let key = key.ok_or_else(|| {
                    ApiError::bad_request(format!(
                        "Idempotency-Key must be 1 to {MAX_KEY} visible ASCII characters"
                    ))
                })?;
                Some(key.to_string())
            }
        };
        Ok(Author { user, key })
    }
}

/// The holder of the request's bearer token, with the token's id (for what must
/// lapse with the token, such as a channel signature). On the Unix socket, the
/// user of the peer's account instead, with [`HOST_ACCOUNT`] for the id: a token
/// sent there is not looked at.
pub struct Bearer(pub TokenHolder);

impl FromRequestParts<Core> for Bearer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Core) -> Result<Self, Self::Rejection> {
        let holder = Self::holder(parts, state).await?;
        // For the access log's line, where it is written.
        if let Some(who) = parts.extensions.get::<Who>() {
            who.is(&holder.user.name);
        }
        Ok(Bearer(holder))
    }
}

impl Bearer {
    async fn holder(parts: &mut Parts, state: &Core) -> Result<TokenHolder, ApiError> {
        if let Some(account) = parts.extensions.get::<HostAccount>() {
            let user = host_user(state, account).await?;
            return Ok(TokenHolder { user, token_id: HOST_ACCOUNT });
        }
        let value = parts
            .headers
            .get(header::AUTHORIZATION)
            .ok_or_else(|| ApiError::unauthorized("missing bearer token"))?;
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| ApiError::unauthorized("Authorization must be \"Bearer <token>\""))?;
        match state.store.user_by_token(token).await? {
            Some(holder) => Ok(holder),
            None => Err(ApiError::unauthorized("invalid token: unknown, revoked or expired")),
        }
    }
}

/// The kanban user of a host account, made first under [`UnixUsers::Auto`].
async fn host_user(state: &Core, account: &HostAccount) -> Result<User, ApiError> {
    if account.uid == 0 {
        return Err(ApiError::forbidden("root is nobody on this board: run kanban-tui as your own account"));
    }
    let Some(name) = account.login().await else {
        return Err(ApiError::unauthorized(format!("uid {} has no account name on this host", account.uid)));
    };
    let not_a_user = || {
        ApiError::unauthorized(format!(
            "{name} is not a user of this board: ask its admin to add you \
             (kanban-server user add {name})"
        ))
    };
    match state.store.user_by_name(&name).await {
        Ok(user) => return Ok(user),
        Err(StoreError::NotFound(_)) if account.policy == UnixUsers::Auto => {}
        Err(StoreError::NotFound(_)) => return Err(not_a_user()),
        Err(e) => return Err(e.into()),
    }
    match crate::admin::user_made_for_signin(state.store.as_ref(), &name).await {
        Ok(user) => {
            tracing::info!(user = %name, "a host account became a user");
            Ok(user)
        }
        // A login name the board cannot take as a user name.
        Err(crate::admin::AdminError::Invalid(why)) => {
            Err(ApiError::forbidden(format!("the account {name:?} cannot be a user here: {why}")))
        }
        Err(crate::admin::AdminError::Store(e)) => Err(e.into()),
    }
}

/// A JSON object body: 400 when it is not JSON, 415 without a JSON content type,
/// 413 past the body limit, 422 when it is JSON of the wrong shape (an array where
/// an object belongs, a missing field, a wrong type, an unknown field).
pub struct Json<T>(pub T);

impl<T: DeserializeOwned> FromRequest<Core> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &Core) -> Result<Self, Self::Rejection> {
        let json_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json") || v.contains("+json"));
        if !json_type {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "expected Content-Type: application/json",
            ));
        }
        let body = super::body::read(req.into_body(), state.hub.limits().max_body_bytes).await?;
        parse_object(&body).map(Json)
    }
}

/// Parses a JSON object into `T`, telling malformed JSON (400) from the wrong
/// shape (422). serde would also read a struct from an array: refused here.
pub fn parse_object<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let is_object = body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    if !is_object {
        return Err(match serde_json::from_slice::<serde::de::IgnoredAny>(body) {
            Ok(_) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "the body must be a JSON object"),
            Err(e) => ApiError::bad_request(format!("the body is not JSON: {e}")),
        });
    }
    serde_json::from_slice(body).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()),
        _ => ApiError::bad_request(format!("the body is not JSON: {e}")),
    })
}

/// An urlencoded form body, with rejections in the API's error shape: 415
/// without the form's content type, 422 when its fields are not what is asked.
pub struct Form<T>(pub T);

impl<T: DeserializeOwned> FromRequest<Core> for Form<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &Core) -> Result<Self, Self::Rejection> {
        let form_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if !form_type {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "expected Content-Type: application/x-www-form-urlencoded",
            ));
        }
        let body = super::body::read(req.into_body(), state.hub.limits().max_body_bytes).await?;
        serde_urlencoded::from_bytes(&body)
            .map(Form)
            .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, format!("bad form: {e}")))
    }
}

/// Path parameters; a malformed one (e.g. a non-numeric id) answers 400 in JSON.
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(Path(v)),
            Err(rejection) => Err(path_rejection(rejection)),
        }
    }
}

fn path_rejection(rejection: PathRejection) -> ApiError {
    ApiError::bad_request(rejection.body_text())
}

/// Query parameters, with rejections in the API's error shape.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(Query(v)),
            Err(rejection) => Err(query_rejection(rejection)),
        }
    }
}

fn query_rejection(rejection: QueryRejection) -> ApiError {
    ApiError::bad_request(rejection.body_text())
}
