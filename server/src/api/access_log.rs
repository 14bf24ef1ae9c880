//! The access log: one `info` event per HTTP request, with target
//! `kanban_server::access`, giving the method, the path, the status and how long
//! the answer took in microseconds (for a WebSocket, until the upgrade's 101),
//! and who asked: the peer's address over TCP, its uid on the Unix socket.
//!
//! Only the path is logged: a query string may carry a Pusher HTTP API signature,
//! and no header is read, so no token or Authorization value ever reaches the log.
//! REST writes run at tens of thousands a second, so this is a plain tower layer
//! rather than `axum::middleware::from_fn` (which boxes a future and a service per
//! request), and when the target is off nothing is read or timed.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Instant;

use axum::extract::Request;
use axum::http::Method;
use axum::http::uri::PathAndQuery;
use axum::response::Response;
use tower_layer::Layer;
use tower_service::Service;

use crate::unix_socket::HostAccount;

/// The target of access events, for `RUST_LOG` (`kanban_server::access=off`).
pub const TARGET: &str = "kanban_server::access";

/// Logs every request of the services it wraps.
#[derive(Debug, Clone, Copy, Default)]
pub struct AccessLog;

impl<S> Layer<S> for AccessLog {
    type Service = Logged<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Logged { inner }
    }
}

/// A service whose requests are logged.
#[derive(Debug, Clone)]
pub struct Logged<S> {
    inner: S,
}

impl<S, E> Service<Request> for Logged<S>
where
    S: Service<Request, Response = Response, Error = E>,
    S::Future: Unpin,
{
    type Response = Response;
    type Error = E;
    type Future = LoggedFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), E>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let seen = tracing::enabled!(target: TARGET, tracing::Level::INFO).then(|| Seen {
            started: Instant::now(),
            // Standard methods are inline and the path shares the request's buffer:
            // neither clone allocates.
            method: request.method().clone(),
            path: request.uri().path_and_query().cloned(),
            // Put there by the accept loop, per connection: a copy, no lookup.
            peer: request.extensions().get::<SocketAddr>().copied(),
            uid: request.extensions().get::<HostAccount>().map(|a| a.uid),
        });
        LoggedFuture { inner: self.inner.call(request), seen }
    }
}

/// What is known of a request before its answer.
#[derive(Debug)]
struct Seen {
    started: Instant,
    method: Method,
    path: Option<PathAndQuery>,
    peer: Option<SocketAddr>,
    uid: Option<u32>,
}

/// The answer of a logged request; logs it once it is ready.
#[derive(Debug)]
pub struct LoggedFuture<F> {
    inner: F,
    seen: Option<Seen>,
}

impl<F, E> Future for LoggedFuture<F>
where
    F: Future<Output = Result<Response, E>> + Unpin,
{
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let answer = ready!(Pin::new(&mut self.inner).poll(cx));
        if let (Some(seen), Ok(response)) = (self.seen.take(), &answer) {
            let path = seen.path.as_ref().map_or("/", PathAndQuery::path);
            tracing::info!(
                target: TARGET,
                method = seen.method.as_str(),
                path,
                status = response.status().as_u16(),
                duration_us = seen.started.elapsed().as_micros() as u64,
                peer = seen.peer.map(tracing::field::display),
                uid = seen.uid,
            );
        }
        Poll::Ready(answer)
    }
}
