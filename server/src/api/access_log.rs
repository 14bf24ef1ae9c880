//! The access log and the count of requests: one `info` event per HTTP request,
//! with target `kanban_server::access`, giving the request's id, the method, the
//! path, the status, how long the answer took in microseconds (for a WebSocket,
//! until the upgrade's 101), who asked (the user, once a token or the Unix socket
//! named one) and from where: the client's address over TCP (through trusted
//! proxies, see [`Proxies`]), its uid on the Unix socket. Every request is also
//! counted by route and status for `/metrics`, logged or not.
//!
//! The request id is the client's `X-Request-Id` when it gives a usable one (a
//! balancer's), else one made here; it goes back in the answer's `X-Request-Id`,
//! so a person's report and the log line meet.
//!
//! Only the path is logged: a query string may carry a Pusher HTTP API signature,
//! and no header but `X-Request-Id` and `X-Forwarded-For` is read, so no token or
//! Authorization value ever reaches the log. REST writes run at tens of thousands
//! a second, so this is a plain tower layer rather than
//! `axum::middleware::from_fn` (which boxes a future and a service per request),
//! and when the target is off nothing is timed.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll, ready};
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::uri::PathAndQuery;
use axum::http::{HeaderValue, Method};
use axum::response::Response;
use tower_layer::Layer;
use tower_service::Service;

use crate::metrics::Metrics;
use crate::unix_socket::HostAccount;

/// The target of access events, for `RUST_LOG` (`kanban_server::access=off`).
pub const TARGET: &str = "kanban_server::access";

/// The header a request id comes in and goes back in.
const REQUEST_ID: &str = "x-request-id";

/// The longest request id taken from a client (a UUID is 36 characters).
const MAX_REQUEST_ID: usize = 128;

/// The networks whose `X-Forwarded-For` is believed (`--trusted-proxy`): a
/// connection from one of them is a balancer's, and the client is the address it
/// says, the nearest one in the header that is not itself a trusted proxy.
#[derive(Debug, Clone, Default)]
pub struct Proxies(Arc<[ipnet::IpNet]>);

impl Proxies {
    pub fn new(networks: Vec<ipnet::IpNet>) -> Self {
        Proxies(networks.into())
    }

    pub fn trusts(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client of a connection from `peer` that says `forwarded`
    /// (`X-Forwarded-For` values, oldest hop first).
    fn client(&self, peer: IpAddr, forwarded: &[&str]) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        let mut client = peer;
        // Right to left: each hop was added by the one after it; stop at the
        // first that a trusted proxy did not vouch for.
        for hop in forwarded.iter().rev().flat_map(|v| v.rsplit(',')) {
            match hop.trim().parse::<IpAddr>() {
                Ok(ip) => {
                    client = ip;
                    if !self.trusts(ip) {
                        break;
                    }
                }
                Err(_) => break,
            }
        }
        client
    }
}

/// Who a request turned out to be, filled in by the extractor that learns it.
#[derive(Debug, Clone, Default)]
pub struct Who(Arc<OnceLock<String>>);

impl Who {
    /// Says who the request is (once; later calls change nothing).
    pub fn is(&self, name: &str) {
        let _ = self.0.set(name.to_string());
    }
}

/// Logs and counts every request of the services it wraps.
#[derive(Debug, Clone)]
pub struct AccessLog {
    proxies: Proxies,
    metrics: Arc<Metrics>,
}

impl AccessLog {
    pub fn new(proxies: Proxies, metrics: Arc<Metrics>) -> Self {
        AccessLog { proxies, metrics }
    }
}

impl<S> Layer<S> for AccessLog {
    type Service = Logged<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Logged { inner, log: self.clone() }
    }
}

/// A service whose requests are logged.
#[derive(Debug, Clone)]
pub struct Logged<S> {
    inner: S,
    log: AccessLog,
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

    fn call(&mut self, mut request: Request) -> Self::Future {
        let id = request_id(request.headers().get(REQUEST_ID));
        // The route as declared (`/api/tasks/{tid}`), not the path: a fixed set.
        let route = request.extensions().get::<MatchedPath>().map(|m| m.as_str().to_string());
        let seen = tracing::enabled!(target: TARGET, tracing::Level::INFO).then(|| {
            let who = Who::default();
            request.extensions_mut().insert(who.clone());
            // Put there by the accept loop, per connection: a copy, no lookup.
            let peer = request.extensions().get::<SocketAddr>().copied();
            let forwarded: Vec<&str> =
                request.headers().get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect();
            let client = peer.map(|p| self.log.proxies.client(p.ip(), &forwarded));
            Seen {
                started: Instant::now(),
                // Standard methods are inline and the path shares the request's
                // buffer: neither clone allocates.
                method: request.method().clone(),
                path: request.uri().path_and_query().cloned(),
                client,
                proxy: peer.filter(|p| Some(p.ip()) != client),
                uid: request.extensions().get::<HostAccount>().map(|a| a.uid),
                who,
            }
        });
        LoggedFuture { inner: self.inner.call(request), id, route, seen, metrics: self.log.metrics.clone() }
    }
}

/// The client's request id when it is one to repeat (visible ASCII, not too
/// long), else a new one.
fn request_id(given: Option<&HeaderValue>) -> HeaderValue {
    if let Some(value) = given
        && (1..=MAX_REQUEST_ID).contains(&value.len())
        && value.as_bytes().iter().all(u8::is_ascii_graphic)
    {
        return value.clone();
    }
    let made = hex::encode(rand::random::<[u8; 8]>());
    HeaderValue::from_str(&made).expect("hex is a header value")
}

/// What is known of a request before its answer.
#[derive(Debug)]
struct Seen {
    started: Instant,
    method: Method,
    path: Option<PathAndQuery>,
    client: Option<IpAddr>,
    /// The trusted proxy it came through, where the client is another.
    proxy: Option<SocketAddr>,
    uid: Option<u32>,
    who: Who,
}

/// The answer of a logged request; logs it once it is ready.
#[derive(Debug)]
pub struct LoggedFuture<F> {
    inner: F,
    id: HeaderValue,
    route: Option<String>,
    seen: Option<Seen>,
    metrics: Arc<Metrics>,
}

impl<F, E> Future for LoggedFuture<F>
where
    F: Future<Output = Result<Response, E>> + Unpin,
{
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut answer = ready!(Pin::new(&mut self.inner).poll(cx));
        if let Ok(response) = &mut answer {
            let status = response.status().as_u16();
            let route = self.route.take().unwrap_or_else(|| "unmatched".into());
            self.metrics.http_request(route, status);
            response.headers_mut().insert(REQUEST_ID, self.id.clone());
            if let Some(seen) = self.seen.take() {
                let path = seen.path.as_ref().map_or("/", PathAndQuery::path);
                tracing::info!(
                    target: TARGET,
                    request_id = self.id.to_str().unwrap_or(""),
                    method = seen.method.as_str(),
                    path,
                    status,
                    duration_us = seen.started.elapsed().as_micros() as u64,
                    user = seen.who.0.get().map(String::as_str),
                    peer = seen.client.map(tracing::field::display),
                    proxy = seen.proxy.map(tracing::field::display),
                    uid = seen.uid,
                );
            }
        }
        Poll::Ready(answer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxies(nets: &[&str]) -> Proxies {
        Proxies::new(nets.iter().map(|n| n.parse().unwrap()).collect())
    }

    #[test]
    fn the_client_is_the_nearest_hop_no_trusted_proxy_added() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let trusted = proxies(&["10.0.0.0/8"]);
        // From a balancer: the address it says.
        assert_eq!(trusted.client(ip("10.0.0.5"), &["203.0.113.7"]), ip("203.0.113.7"));
        // Through two of ours: past both.
        assert_eq!(trusted.client(ip("10.0.0.5"), &["203.0.113.7, 10.1.1.1"]), ip("203.0.113.7"));
        // A client that made up an earlier hop is still itself.
        assert_eq!(trusted.client(ip("10.0.0.5"), &["1.2.3.4", "203.0.113.7"]), ip("203.0.113.7"));
        // Not from a trusted proxy: the header is not believed.
        assert_eq!(trusted.client(ip("198.51.100.9"), &["203.0.113.7"]), ip("198.51.100.9"));
        // Nothing said, or nonsense: the proxy itself.
        assert_eq!(trusted.client(ip("10.0.0.5"), &[]), ip("10.0.0.5"));
        assert_eq!(trusted.client(ip("10.0.0.5"), &["not an address"]), ip("10.0.0.5"));
        // An IPv4 peer on an IPv6 socket.
        assert_eq!(trusted.client(ip("::ffff:10.0.0.5"), &["203.0.113.7"]), ip("203.0.113.7"));
        assert_eq!(Proxies::default().client(ip("10.0.0.5"), &["203.0.113.7"]), ip("10.0.0.5"));
    }

    #[test]
    fn a_request_id_is_repeated_when_usable_and_made_otherwise() {
        let given = HeaderValue::from_static("req-7f3a");
        assert_eq!(request_id(Some(&given)), given);
        for unusable in [HeaderValue::from_static(""), HeaderValue::from_str(&"x".repeat(200)).unwrap()] {
            let made = request_id(Some(&unusable));
            assert_eq!(made.len(), 16);
        }
        assert_ne!(request_id(None), request_id(None));
    }
}
