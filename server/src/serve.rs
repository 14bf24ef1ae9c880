//! The server's one port: the accept loop and each HTTP/1.1 connection.
//!
//! A connection must send a whole request head within the header timeout of
//! opening or of its previous answer, so neither a silent socket nor one that
//! trickles a header byte at a time holds a file descriptor and memory for long;
//! an idle keep-alive connection closes on the same clock. An accept that fails
//! (out of file descriptors, say) backs off instead of spinning. On shutdown the
//! loop stops accepting and requests in flight finish; upgraded WebSockets leave
//! the HTTP server and are closed by the hub. Each request carries its
//! connection's peer as an extension: the TCP address, or on the Unix socket the
//! account ([`crate::unix_socket::HostAccount`]) that the extractors take as who
//! asks.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::pin;
use std::time::Duration;

use axum::Router;
use axum::serve::Listener;
use hyper::Request;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::api::access_log::Proxies;

/// Serves `router` on the connections of `listener` until `shutdown` resolves, then
/// lets the requests in flight finish.
pub async fn serve<L: Listener<Addr: Clone + Send + Sync + 'static>>(
    mut listener: L,
    router: Router,
    header_timeout: Duration,
    shutdown: impl Future<Output = ()>,
) {
    let (stop, stopping) = watch::channel(false);
    // Every connection task holds a receiver; the sender sees them all gone.
    let (open, open_rx) = watch::channel(());
    let mut shutdown = pin!(shutdown);
    loop {
        let (io, peer) = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let service = WithPeer { router: router.clone(), peer };
        let (mut stopping, open) = (stopping.clone(), open_rx.clone());
        tokio::spawn(async move {
            let mut builder = http1::Builder::new();
            builder.timer(TokioTimer::new()).header_read_timeout(header_timeout);
            let mut conn = pin!(builder.serve_connection(TokioIo::new(io), service).with_upgrades());
            let mut asked_to_stop = false;
            loop {
                tokio::select! {
                    result = conn.as_mut() => {
                        if let Err(e) = result {
                            tracing::debug!(error = %e, "HTTP connection ended");
                        }
                        break;
                    }
                    _ = stopping.wait_for(|s| *s), if !asked_to_stop => {
                        asked_to_stop = true;
                        conn.as_mut().graceful_shutdown();
                    }
                }
            }
            drop(open);
        });
    }
    drop(listener);
    stop.send_replace(true);
    drop(open_rx);
    open.closed().await;
}

/// The router, with the connection's peer put into each request.
#[derive(Clone)]
struct WithPeer<A> {
    router: Router,
    peer: A,
}

impl<A: Clone + Send + Sync + 'static> hyper::service::Service<Request<Incoming>> for WithPeer<A> {
    type Response = axum::response::Response;
    type Error = std::convert::Infallible;
    type Future = axum::routing::future::RouteFuture<std::convert::Infallible>;

    fn call(&self, mut req: Request<Incoming>) -> Self::Future {
        req.extensions_mut().insert(self.peer.clone());
        // A Router is always ready: no poll_ready needed.
        tower_service::Service::call(&mut self.router.clone(), req)
    }
}

/// A TCP listener that sets `TCP_NODELAY` on each connection (small frames such as
/// cursors go out at once, not after Nagle's delay) and backs off on accept errors.
pub struct TcpAccept {
    listener: TcpListener,
    backoff: AcceptBackoff,
}

impl TcpAccept {
    pub fn new(listener: TcpListener) -> Self {
        TcpAccept { listener, backoff: AcceptBackoff::default() }
    }
}

impl Listener for TcpAccept {
    type Io = TcpStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.listener.accept().await {
                Ok((tcp, peer)) => {
                    self.backoff.reset();
                    let _ = tcp.set_nodelay(true);
                    return (tcp, peer);
                }
                Err(e) => self.backoff.failed(&e).await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.listener.local_addr()
    }
}

/// The wait after failed accepts: from 10 ms, doubling to 1 s, reset by a success.
#[derive(Debug, Default)]
pub struct AcceptBackoff {
    failures: u32,
}

impl AcceptBackoff {
    const FIRST: Duration = Duration::from_millis(10);
    const MAX: Duration = Duration::from_secs(1);

    pub fn reset(&mut self) {
        self.failures = 0;
    }

    /// Waits as long as `error` calls for. A connection that failed on its own
    /// (reset before it was accepted) is no reason to wait; running out of file
    /// descriptors or memory is, since accepting again at once fails again at once.
    pub async fn failed(&mut self, error: &io::Error) {
        use io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
        if matches!(error.kind(), ConnectionAborted | ConnectionRefused | ConnectionReset) {
            return;
        }
        let delay = Self::FIRST.saturating_mul(1 << self.failures.min(7)).min(Self::MAX);
        self.failures = self.failures.saturating_add(1);
        tracing::warn!(%error, retry_in_ms = delay.as_millis() as u64, "accept failed");
        tokio::time::sleep(delay).await;
    }
}

/// How long a connection may take to be prepared (its PROXY header, its TLS
/// handshake).
const PREPARE_TIMEOUT: Duration = Duration::from_secs(10);
/// Prepared connections waiting for the HTTP server to take them.
const READY_QUEUE: usize = 256;

/// A TCP listener whose connections come out prepared (the PROXY header read,
/// TLS established) by tasks of their own, so that one slow client never holds
/// up the others' accepts.
pub struct Prepared<Io> {
    ready: tokio::sync::mpsc::Receiver<(Io, SocketAddr)>,
    local: SocketAddr,
}

impl<Io: Send + 'static> Prepared<Io> {
    /// Starts accepting on `tcp`, each connection prepared by `prepare`, which
    /// answers the stream to serve and who it is from.
    pub fn new<F, Fut>(tcp: TcpListener, prepare: F) -> io::Result<Self>
    where
        F: Fn(TcpStream, SocketAddr) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = io::Result<(Io, SocketAddr)>> + Send + 'static,
    {
        let local = tcp.local_addr()?;
        let (tx, ready) = tokio::sync::mpsc::channel(READY_QUEUE);
        tokio::spawn(async move {
            let mut backoff = AcceptBackoff::default();
            loop {
                let (stream, peer) = match tcp.accept().await {
                    Ok(c) => {
                        backoff.reset();
                        c
                    }
                    Err(e) => {
                        backoff.failed(&e).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                if tx.is_closed() {
                    return;
                }
                let (prepared, ready) = (prepare(stream, peer), tx.clone());
                tokio::spawn(async move {
                    match tokio::time::timeout(PREPARE_TIMEOUT, prepared).await {
                        Ok(Ok(connection)) => {
                            let _ = ready.send(connection).await;
                        }
                        Ok(Err(e)) => tracing::debug!(%peer, error = %e, "a connection refused before HTTP"),
                        Err(_) => tracing::debug!(%peer, "a connection too slow before HTTP"),
                    }
                });
            }
        });
        Ok(Prepared { ready, local })
    }
}

/// A listener whose connections begin with a PROXY header (`--proxy-protocol`).
pub fn proxied(tcp: TcpListener, proxies: Proxies) -> io::Result<Prepared<TcpStream>> {
    Prepared::new(tcp, move |mut stream, peer| {
        let proxies = proxies.clone();
        async move {
            let client = crate::proxy_protocol::read_header(&mut stream, peer, &proxies).await?;
            Ok((stream, client))
        }
    })
}

impl<Io> Listener for Prepared<Io>
where
    Io: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    type Io = Io;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(c) => c,
            // The accept task only ends when this listener is dropped.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(self.local)
    }
}
