//! The hub: live WebSocket connections, their channels, presence, and fan-out.
//!
//! A [`Hub`] is a cheap-to-clone handle. Channel state sits behind the [`Adapter`]
//! interface, whose default ([`LocalAdapter`]) keeps it in this process; a
//! broker-backed adapter (Redis, NATS) can replace it for several nodes without
//! touching the connection code. Each outgoing frame is encoded once and shared by
//! reference count among its recipients; each connection drains a bounded queue.

mod adapter;
pub mod cache;
pub(crate) mod client_event;
mod connection;
mod gate;
mod local;
mod outbox;
pub(crate) mod rate_limit;
mod refusal;
mod socket;
mod subscription;
mod users;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use hyper::upgrade::OnUpgrade;
use kanban_protocol::channel;
use tokio::sync::watch;

pub use adapter::{Adapter, ChannelInfo, PresenceMember, SubscribeError};
pub use gate::Gate;
pub use local::{Elsewhere, Here, LocalAdapter};
pub use outbox::{Ending, Outbox};
pub use refusal::Refusal;
pub use users::ONLINE;

use crate::config::{AppCredentials, Limits};
use crate::metrics::Metrics;

/// An encoded server frame, shared among all its recipients.
pub type Frame = tungstenite::Utf8Bytes;

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
    /// Checks board channel subscriptions against the access in force; without
    /// one, a valid signature is enough (a plain Pusher server).
    gate: Option<Arc<dyn Gate>>,
    /// Counts access changes (see [`Hub::access_changed`]).
    access_epoch: AtomicU64,
    /// The same count, for sessions in this process that wait for it to move.
    access_news: watch::Sender<u64>,
    metrics: Arc<Metrics>,
    /// Each person's client event budget on each presence channel.
    budgets: client_event::Budgets,
    next_conn_id: AtomicU64,
    /// Connections open: WebSockets and SSH sessions ([`Hub::admit`]).
    open: AtomicU64,
    /// The server will stop soon (SIGTERM): not ready, serving on meanwhile.
    draining: std::sync::atomic::AtomicBool,
    shutdown: watch::Sender<bool>,
}

/// One of the `--max-connections` places, held while a connection lasts (a
/// WebSocket, or an SSH session from its sign-in): every way in counts against the
/// one limit.
pub struct Place {
    shared: Arc<Shared>,
}

impl Drop for Place {
    fn drop(&mut self) {
        self.shared.open.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A handle on the hub; clones share it.
#[derive(Clone)]
pub struct Hub {
    shared: Arc<Shared>,
}

impl Hub {
    pub fn new(app: AppCredentials, limits: Limits, metrics: Arc<Metrics>) -> Self {
        let adapter = Arc::new(LocalAdapter::new(limits.max_presence_members));
        Self::with_adapter(app, limits, metrics, adapter, None)
    }

    /// A hub on `adapter`. With a `gate`, subscriptions to board channels
    /// (`private-project-<id>`, `presence-project-<id>`) need the auth endpoint's
    /// granted signature and the gate's consent at the moment of subscribing.
    pub fn with_adapter(
        app: AppCredentials,
        limits: Limits,
        metrics: Arc<Metrics>,
        adapter: Arc<dyn Adapter>,
        gate: Option<Arc<dyn Gate>>,
    ) -> Self {
        let (shutdown, _) = watch::channel(false);
        let budgets = client_event::Budgets::new(limits.client_events_per_second);
        let shared = Shared {
            app,
            budgets,
            limits,
            adapter,
            gate,
            access_epoch: AtomicU64::new(0),
            access_news: watch::channel(0).0,
            metrics,
            next_conn_id: AtomicU64::new(1),
            open: AtomicU64::new(0),
            draining: std::sync::atomic::AtomicBool::new(false),
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

    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.shared.metrics
    }

    /// Serves the WebSocket `upgrade` becomes until it closes. `app_key` is the key
    /// the client asked for; `protocol` the version it speaks.
    ///
    /// The connection's future is the one the task holds for the connection's whole
    /// life, so no wrapper future adds to it (each level would keep its own copy of
    /// the socket).
    pub fn serve_socket(
        self,
        upgrade: OnUpgrade,
        app_key: String,
        protocol: Option<u32>,
    ) -> impl Future<Output = ()> + Send + 'static {
        connection::run(self, upgrade, app_key, protocol)
    }

    /// Publishes a server event on `channel`, encoded once for all its subscribers,
    /// skipping the connection `except` (a socket id). Returns the recipients.
    pub fn publish(&self, channel: &str, event: &str, data: &str, except: Option<&str>) -> usize {
        let frame = Frame::from(kanban_protocol::pusher::encode_event(event, Some(channel), data));
        Metrics::add(&self.metrics().events_published, 1);
        self.shared.adapter.publish(channel, frame, except)
    }

    /// Publishes an event to this node's subscribers of `channel` only (news every
    /// node makes for itself).
    pub fn publish_here(&self, channel: &str, event: &str, data: &str) -> usize {
        let frame = Frame::from(kanban_protocol::pusher::encode_event(event, Some(channel), data));
        Metrics::add(&self.metrics().events_published, 1);
        self.shared.adapter.publish_here(channel, frame)
    }

    /// Publishes a committed board change's event (revision `rev` of the project),
    /// encoded once, on the project's board channel.
    pub fn publish_board(&self, project_id: i64, rev: u64, event: &str, data: &str) -> usize {
        let channel = channel::private_channel(project_id);
        let frame = Frame::from(kanban_protocol::pusher::encode_event(event, Some(&channel), data));
        Metrics::add(&self.metrics().events_published, 1);
        self.shared.adapter.publish_board(project_id, rev, &channel, frame)
    }

    /// `user_id`'s place on presence channel `channel`: the client event budget
    /// that person's connections there share.
    pub(crate) fn member(&self, channel: &str, user_id: &str) -> client_event::Member {
        client_event::Member { user_id: user_id.into(), budget: self.shared.budgets.of(channel, user_id) }
    }

    fn gate(&self) -> Option<&dyn Gate> {
        self.shared.gate.as_deref()
    }

    /// The number of access changes that took access away, so far.
    pub(crate) fn access_epoch(&self) -> u64 {
        self.shared.access_epoch.load(Ordering::SeqCst)
    }

    /// Access to `project_ids` was taken away: every connection on their channels is
    /// asked to reconnect (4200), to be authorized anew. Returns how many were
    /// asked. The epoch moves first, so that a subscription being checked at this
    /// moment, which this sweep might miss, sees it move and reconnects too.
    /// A change that took nothing away (a member granted) sweeps nobody, so it
    /// leaves the epoch be: a subscription checked meanwhile stands. The news goes
    /// out either way (SSH sessions check their keys on it).
    pub fn access_changed(&self, project_ids: &[i64]) -> usize {
        let epoch = if project_ids.is_empty() {
            self.shared.access_epoch.load(Ordering::SeqCst)
        } else {
            self.shared.access_epoch.fetch_add(1, Ordering::SeqCst) + 1
        };
        self.shared.access_news.send_replace(epoch);
        let mut asked = 0;
        for &project_id in project_ids {
            for name in [
                channel::private_channel(project_id),
                channel::presence_channel(project_id),
                channel::encrypted_channel(project_id),
            ] {
                asked += self.shared.adapter.end_subscribers(&name, Ending::Reconnect);
            }
        }
        asked
    }

    /// Asks every connection to close with 4200 (reconnect) and stops new ones.
    pub fn shutdown(&self) {
        self.shared.shutdown.send_replace(true);
    }

    /// The server stops soon: from now on it says it is not ready, so that a load
    /// balancer sends new clients elsewhere, while it goes on serving the ones it
    /// has until [`Hub::shutdown`].
    pub fn drain(&self) {
        self.shared.draining.store(true, Ordering::Relaxed);
    }

    /// Whether [`Hub::drain`] or [`Hub::shutdown`] has been called: the server is
    /// on its way out, and says so to whoever asks if it is ready.
    pub fn is_shutting_down(&self) -> bool {
        self.shared.draining.load(Ordering::Relaxed) || *self.shared.shutdown.borrow()
    }

    /// A place among the connections, if fewer than `--max-connections` are open.
    pub fn admit(&self) -> Option<Place> {
        let open = self.shared.open.fetch_add(1, Ordering::AcqRel);
        let place = Place { shared: self.shared.clone() };
        (open < self.shared.limits.max_connections as u64).then_some(place)
    }

    /// Moves at every access change: sessions of this process that are not
    /// WebSockets (the SSH front end's) check their access again when it does.
    #[cfg(feature = "ssh")]
    pub(crate) fn access_news(&self) -> watch::Receiver<u64> {
        self.shared.access_news.subscribe()
    }

    /// A place in channels for a session of this process (no socket): its own
    /// connection number, socket id and bounded queue, as a WebSocket's.
    #[cfg(feature = "ssh")]
    pub(crate) fn local_subscriber(&self) -> Subscriber {
        let conn_id = self.shared.next_conn_id.fetch_add(1, Ordering::Relaxed);
        let socket_id: Arc<str> = format!("{}.{}", rand::random::<u32>(), conn_id).into();
        Subscriber { conn_id, socket_id, outbox: Outbox::new(self.shared.limits.outbound_queue) }
    }

    pub(crate) fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.shared.shutdown.subscribe()
    }

    /// Waits until every connection has closed, e.g. after [`Hub::shutdown`].
    pub async fn closed(&self) {
        self.shared.shutdown.closed().await;
    }
}
