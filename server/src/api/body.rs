//! Request bodies on a clock: a body must arrive whole within the header
//! timeout of its head's end, as the head must within the header timeout of the
//! connection's opening. A client that trickles a body (or stops sending one) is
//! answered 408 and its connection freed, instead of holding the server's memory
//! and a task for as long as it likes; one past the body limit is answered 413.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::StatusCode;
use http_body::Frame;
use tokio::time::Sleep;

use super::error::ApiError;

/// The error of a body whose time is up.
#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive within {} s", .0.as_secs())]
pub struct TooSlow(Duration);

/// A body that fails once `time` has passed since it was wrapped.
struct Deadline {
    body: Body,
    time: Duration,
    deadline: Pin<Box<Sleep>>,
}

impl http_body::Body for Deadline {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if self.deadline.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Some(Err(axum::Error::new(TooSlow(self.time)))));
        }
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

/// Puts the request's body on a clock of `time` from now (a middleware, so that
/// every route's body is).
pub fn on_a_clock(request: Request, time: Duration) -> Request {
    request.map(|body| {
        if http_body::Body::is_end_stream(&body) {
            return body;
        }
        Body::new(Deadline { body, time, deadline: Box::pin(tokio::time::sleep(time)) })
    })
}

/// The whole body, at most `limit` bytes: 408 when it did not come in time, 413
/// past the limit, 400 when the connection broke.
pub async fn read(body: Body, limit: usize) -> Result<Bytes, ApiError> {
    axum::body::to_bytes(body, limit).await.map_err(refusal)
}

/// What a body that could not be read is answered with.
pub fn refusal(e: axum::Error) -> ApiError {
    let inner = e.into_inner();
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(inner.as_ref());
    while let Some(e) = cause {
        if let Some(slow) = e.downcast_ref::<TooSlow>() {
            return ApiError::new(StatusCode::REQUEST_TIMEOUT, slow.to_string());
        }
        if e.is::<http_body_util::LengthLimitError>() {
            return ApiError::too_large("the request body is larger than the server takes");
        }
        cause = e.source();
    }
    ApiError::bad_request(format!("cannot read the request body: {inner}"))
}
