//! Errors at the HTTP boundary: a status and a message, sent as `{"error": "..."}`.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kanban_protocol::model;

use crate::store::StoreError;
use crate::store::board::OpError;

/// An HTTP error answer.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    /// A JSON object sent beside the message (409: the current object), as
    /// `(key, JSON text)`.
    pub current: Option<(&'static str, String)>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self { status, message: message.into(), current: None }
    }
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, message)
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }
    pub fn too_large(message: impl Into<String>) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = match self.current {
            None => (self.status, Json(model::ApiError { error: self.message })).into_response(),
            Some((key, text)) => {
                let current: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
                let mut body = serde_json::Map::new();
                body.insert("error".into(), self.message.into());
                body.insert(key.into(), current);
                (self.status, Json(serde_json::Value::Object(body))).into_response()
            }
        };
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => Self::not_found(format!("{what} not found")),
            StoreError::Conflict(m) => Self::new(StatusCode::CONFLICT, m),
            StoreError::Invalid(m) => Self::new(StatusCode::UNPROCESSABLE_ENTITY, m),
            e @ (StoreError::Database(_) | StoreError::Failed(_)) => {
                // The details go to the log, not to the client.
                tracing::error!(error = %e, "store failure");
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
            }
        }
    }
}

impl From<OpError> for ApiError {
    fn from(e: OpError) -> Self {
        match e {
            OpError::NotFound(what) => Self::not_found(format!("{what} not found")),
            OpError::Forbidden(m) => Self::forbidden(m),
            OpError::Conflict { message, current } => Self { status: StatusCode::CONFLICT, message, current },
            OpError::Invalid(m) => Self::new(StatusCode::UNPROCESSABLE_ENTITY, m),
            OpError::Failed(m) => {
                tracing::error!(error = %m, "board change failed");
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
            }
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
