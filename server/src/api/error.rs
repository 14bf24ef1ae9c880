//! Errors at the HTTP boundary: a status and a message, sent as `{"error": "..."}`.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kanban_protocol::model;

use crate::board::{Current, OpError};
use crate::store::StoreError;
use kanban_protocol::check::FieldName;

/// An HTTP error answer.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    /// The object a stale change found (409), sent beside the message under its
    /// kind (`task` or `status`).
    pub current: Option<Current>,
    /// The field whose value was refused (422), sent beside the message as `field`.
    pub field: Option<FieldName>,
    /// Seconds to wait before trying again (429), sent as `Retry-After`.
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self { status, message: message.into(), current: None, field: None, retry_after: None }
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
        let mut body = model::ApiError { field: self.field, ..model::ApiError::said(self.message) };
        match self.current {
            Some(Current::Task(t)) => body.task = Some(*t),
            Some(Current::Status(s)) => body.status = Some(*s),
            Some(Current::Item(i)) => body.item = Some(*i),
            None => {}
        }
        let mut response = (self.status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        // A body refused for its size is left unread, so the connection cannot carry
        // another request: said, so that the client does not send one on it (and
        // see it cut off).
        if self.status == StatusCode::PAYLOAD_TOO_LARGE {
            response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        response
    }
}

impl From<crate::boards::Refused> for ApiError {
    fn from(e: crate::boards::Refused) -> Self {
        use crate::boards::Refused;
        match e {
            Refused::NotFound(_) | Refused::NoSuchUser(_) => Self::not_found(e.to_string()),
            Refused::Forbidden(m) => Self::forbidden(m),
            Refused::Invalid(m) => Self::new(StatusCode::UNPROCESSABLE_ENTITY, m),
            Refused::Taken(m) => Self::new(StatusCode::CONFLICT, m),
            Refused::Budget(op) => op.into(),
            Refused::Store(store) => store.into(),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => Self::not_found(format!("{what} not found")),
            StoreError::Conflict(m) => Self::new(StatusCode::CONFLICT, m),
            StoreError::Invalid(m) => Self::new(StatusCode::UNPROCESSABLE_ENTITY, m),
            e @ (StoreError::Database(_) | StoreError::Failed(_) | StoreError::Schema(_)) => {
                // The details go to the log, not to the client.
                tracing::error!(error = %e, "store failure");
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
            }
        }
    }
}

impl From<OpError> for ApiError {
    fn from(e: OpError) -> Self {
        let message = e.to_string();
        match e {
            OpError::NotFound(_) => Self::not_found(message),
            OpError::Forbidden(_) => Self::forbidden(message),
            OpError::Stale { current, .. } => {
                Self { current: Some(current), ..Self::new(StatusCode::CONFLICT, message) }
            }
            OpError::TooMany { retry_after, .. } => {
                Self { retry_after: Some(retry_after), ..Self::new(StatusCode::TOO_MANY_REQUESTS, message) }
            }
            OpError::Invalid(_) => Self::new(StatusCode::UNPROCESSABLE_ENTITY, message),
            OpError::BadValue(invalid) => {
                Self { field: Some(invalid.field), ..Self::new(StatusCode::UNPROCESSABLE_ENTITY, message) }
            }
            OpError::Failed(_) => {
                tracing::error!(error = %message, "board change failed");
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
            }
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
