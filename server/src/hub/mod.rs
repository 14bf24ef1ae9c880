//! The hub: live WebSocket connections, their channels, presence, and fan-out.
//!
//! A [`Hub`] is a cheap-to-clone handle. Channel state sits behind the [`Adapter`]
//! interface, whose default ([`LocalAdapter`]) keeps it in this process; a
//! broker-backed adapter (Redis, NATS) can replace it for several nodes without
//! touching the connection code. Each outgoing frame is encoded once and shared by
//! reference count among its recipients; each connection drains a bounded queue.

mod adapter;
mod connection;
mod local;
mod outbox;
mod rate_limit;

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use axum::extract::ws::{Utf8Bytes, WebSocket};
use tokio::sync::watch;

pub use adapter::{Adapter, ChannelInfo, PresenceMember, SubscribeError};
pub use local::LocalAdapter;
pub use outbox::{Ending, Outbox};

use crate::config::{AppCredentials, Limits};
use crate::metrics::Metrics;

/// An encoded server frame, shared among all its recipients.
pub type Frame = Utf8Bytes;

/// One connection's place in a channel.
#[derive(Debug, Clone)]
pub struct Subscriber {
    /// The process-unique number of the connection: the key in channel maps.
    pub conn_id: u64,
    /// `<digits>.<digits>`, as the client knows itself (used to exclude a sender).
    pub socket_id: Arc<str>,
    pub outbox: Arc<Outbox>,
}

struct Shared {
    app: AppCredentials,
    limits: Limits,
    adapter: Arc<dyn Adapter>,
    metrics: Arc<Metrics>,
    next_conn_id: AtomicU64,
    open: AtomicU64,
    shutdown: watch::Sender<bool>,
}

/// A handle on the hub; clones share it.
#[derive(Clone)]
pub struct Hub {
    shared: Arc<Shared>,
}

impl Hub {
    pub fn new(app: AppCredentials, limits: Limits, metrics: Arc<Metrics>) -> Self {
        let adapter = Arc::new(LocalAdapter::new(limits.max_presence_members));
        Self::with_adapter(app, limits, metrics, adapter)
    }

    pub fn with_adapter(
        app: AppCredentials,
        limits: Limits,
        metrics: Arc<Metrics>,
        adapter: Arc<dyn Adapter>,
    ) -> Self {
        let (shutdown, _) = watch::channel(false);
        let shared = Shared {
            app,
            limits,
            adapter,
            metrics,
            next_conn_id: AtomicU64::new(1),
            open: AtomicU64::new(0),
            shutdown,
        };
        Hub { shared: Arc::new(shared) }
    }

    pub fn app(&self) -> &AppCredentials {
        &self.shared.app
    }

    pub fn limits(&self) -> &Limits {
        &self.shared.limits
    }

    pub fn adapter(&self) -> &dyn Adapter {
        &*self.shared.adapter
    }

    pub fn metrics(&self) -> &Metrics {
        &self.shared.metrics
    }

    /// Serves one upgraded WebSocket until it closes. `app_key` is the key the client
    /// asked for; `protocol` the version it speaks.
    ///
    /// The connection's future is the one the task holds for the connection's whole
    /// life, so no wrapper future adds to it (each level would keep its own copy of
    /// the socket).
    pub fn serve_socket(
        self,
        socket: WebSocket,
        app_key: String,
        protocol: Option<u32>,
    ) -> impl Future<Output = ()> + Send + 'static {
        connection::run(self, socket, app_key, protocol)
    }

    /// Publishes a server event on `channel`, encoded once for all its subscribers,
    /// skipping the connection `except` (a socket id). Returns the recipients.
    pub fn publish(&self, channel: &str, event: &str, data: &str, except: Option<&str>) -> usize {
        let frame = Frame::from(kanban_protocol::pusher::encode_event(event, Some(channel), data));
        Metrics::add(&self.metrics().events_published, 1);
        self.shared.adapter.publish(channel, frame, except)
    }

    /// Asks every connection to close with 4200 (reconnect) and stops new ones.
    pub fn shutdown(&self) {
        self.shared.shutdown.send_replace(true);
    }

    fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.shared.shutdown.subscribe()
    }

    /// Waits until every connection has closed, e.g. after [`Hub::shutdown`].
    pub async fn closed(&self) {
        self.shared.shutdown.closed().await;
    }
}
