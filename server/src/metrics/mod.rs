//! `/metrics`: the hub's counters, kept as atomics so the hot path never takes a
//! lock and read only at scrape time; how long commits take; which build this is;
//! and the process's CPU, memory and file descriptors. Encoded by prometheus-client
//! as OpenMetrics text.

mod process;

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::{Registry, Unit};

/// The content type of [`Metrics::render`]'s text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Upper bounds of the commit latency buckets, in seconds: an fsync on a fast disk
/// takes about 100 µs, a batch on a slow one or a remote PostgreSQL up to a second.
const COMMIT_BUCKETS: [f64; 13] =
    [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0];

/// Process-wide counters. Gauges that are cheap to compute on demand (channels,
/// members) are read from the hub at scrape time instead.
#[derive(Debug)]
pub struct Metrics {
    pub connections_opened: AtomicU64,
    pub connections_closed: AtomicU64,
    /// Connections refused because the server was full.
    pub connections_refused: AtomicU64,
    /// Connections closed because they stopped reading (outbound queue full).
    pub slow_consumers: AtomicU64,
    /// WebSocket messages received from clients.
    pub messages_in: AtomicU64,
    /// Frames written to WebSocket connections.
    pub messages_out: AtomicU64,
    /// Client events dropped by the rate limit.
    pub client_events_limited: AtomicU64,
    /// Events published through the HTTP API or by the board.
    pub events_published: AtomicU64,
    /// Webhook deliveries the receiver took (2xx).
    pub webhooks_delivered: AtomicU64,
    /// Webhook tries that failed and wait to go again.
    pub webhooks_retried: AtomicU64,
    /// Webhook deliveries given up after their retries' time ran out.
    pub webhooks_failed: AtomicU64,
    /// Sign-ins through the provider it said yes to again (renewed).
    pub oidc_renewed: AtomicU64,
    /// Sign-ins through the provider ended by its no.
    pub oidc_ended: AtomicU64,
    /// Asks of the provider about a sign-in that did not reach it.
    pub oidc_unanswered: AtomicU64,
    /// Seconds each batch commit of board changes took in the store. Observed once
    /// per batch by the single writer (after an fsync), so its lock is not on a hot
    /// path.
    pub commit_seconds: Histogram,
    /// HTTP requests answered, by route and status.
    pub http_requests: Family<HttpLabels, Counter>,
    /// Signed-in SSH sessions, counted by the SSH front end where it serves.
    pub ssh_sessions: std::sync::OnceLock<SessionCount>,
}

/// How many SSH sessions are signed in now, asked at scrape time.
#[derive(Clone)]
pub struct SessionCount(pub std::sync::Arc<dyn Fn() -> usize + Send + Sync>);

impl std::fmt::Debug for SessionCount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionCount")
    }
}

/// The labels of [`Metrics::http_requests`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct HttpLabels {
    /// The route as declared (`/api/tasks/{tid}`), or `unmatched`.
    pub route: String,
    pub status: u16,
}

/// What the rest of the server tells at scrape time: gauges of state kept
/// elsewhere (the cluster's link, the store's connections, SSH sessions).
#[derive(Debug, Default, Clone)]
pub struct Gauges {
    /// Channels with a subscriber.
    pub channels: usize,
    /// In a cluster: whether the broker answers, the nodes heard (this one too),
    /// messages that could not go out, and those of another cluster or release.
    pub cluster: Option<ClusterGauges>,
    /// The store's connections: in use now, how many there are, and how often one
    /// was waited for.
    pub pool: PoolGauges,
    /// Signed-in SSH sessions, where the SSH front end serves.
    pub ssh_sessions: Option<usize>,
}

#[derive(Debug, Default, Clone)]
pub struct ClusterGauges {
    pub broker_up: bool,
    pub nodes: usize,
    pub dropped: u64,
    pub foreign: u64,
    /// Board events read from the log because they did not come in time.
    pub gaps_filled: u64,
    /// Each other node (by id) and the seconds since it was last heard.
    pub silences: Vec<(String, f64)>,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PoolGauges {
    pub in_use: usize,
    pub size: usize,
    pub waits: u64,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            connections_opened: AtomicU64::new(0),
            connections_closed: AtomicU64::new(0),
            connections_refused: AtomicU64::new(0),
            slow_consumers: AtomicU64::new(0),
            messages_in: AtomicU64::new(0),
            messages_out: AtomicU64::new(0),
            client_events_limited: AtomicU64::new(0),
            events_published: AtomicU64::new(0),
            webhooks_delivered: AtomicU64::new(0),
            webhooks_retried: AtomicU64::new(0),
            webhooks_failed: AtomicU64::new(0),
            oidc_renewed: AtomicU64::new(0),
            oidc_ended: AtomicU64::new(0),
            oidc_unanswered: AtomicU64::new(0),
            commit_seconds: Histogram::new(COMMIT_BUCKETS),
            http_requests: Family::default(),
            ssh_sessions: std::sync::OnceLock::new(),
        }
    }
}

impl Metrics {
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Relaxed);
    }

    /// Counts an answered HTTP request.
    pub fn http_request(&self, route: String, status: u16) {
        self.http_requests.get_or_create(&HttpLabels { route, status }).inc();
    }

    /// The OpenMetrics text exposition, with the gauges given by the caller.
    pub fn render(&self, gauges: &Gauges) -> String {
        // A registry per scrape: scrapes are seconds apart, and the collectors then
        // own what they encode (a snapshot of the counters) instead of borrowing.
        let mut registry = Registry::default();
        registry.register_collector(Box::new(Snapshot::of(self, gauges.channels)));
        let mut gauges = gauges.clone();
        gauges.ssh_sessions = self.ssh_sessions.get().map(|count| (count.0)());
        registry.register_collector(Box::new(gauges));
        registry.register(
            "kanban_http_requests",
            "HTTP requests answered, by route and status",
            self.http_requests.clone(),
        );
        registry.register_with_unit(
            "kanban_commit",
            "Time each batch commit of board changes took in the store",
            Unit::Seconds,
            self.commit_seconds.clone(),
        );
        registry.register(
            "kanban_build",
            "The running build of kanban-server",
            Info::new([("version", env!("CARGO_PKG_VERSION"))]),
        );
        registry.register_collector(Box::new(process::Process));
        let mut out = String::with_capacity(4096);
        prometheus_client::encoding::text::encode(&mut out, &registry)
            .expect("writing to a String does not fail");
        out
    }
}

/// The counters and gauges, read once at the start of a scrape.
#[derive(Debug)]
struct Snapshot {
    opened: u64,
    closed: u64,
    refused: u64,
    slow_consumers: u64,
    channels: u64,
    messages_in: u64,
    messages_out: u64,
    client_events_limited: u64,
    events_published: u64,
    webhooks: [u64; 3],
    oidc: [u64; 3],
}

impl Snapshot {
    fn of(m: &Metrics, channels: usize) -> Self {
        Snapshot {
            opened: m.connections_opened.load(Relaxed),
            closed: m.connections_closed.load(Relaxed),
            refused: m.connections_refused.load(Relaxed),
            slow_consumers: m.slow_consumers.load(Relaxed),
            channels: channels as u64,
            messages_in: m.messages_in.load(Relaxed),
            messages_out: m.messages_out.load(Relaxed),
            client_events_limited: m.client_events_limited.load(Relaxed),
            events_published: m.events_published.load(Relaxed),
            webhooks: [
                m.webhooks_delivered.load(Relaxed),
                m.webhooks_retried.load(Relaxed),
                m.webhooks_failed.load(Relaxed),
            ],
            oidc: [m.oidc_renewed.load(Relaxed), m.oidc_ended.load(Relaxed), m.oidc_unanswered.load(Relaxed)],
        }
    }
}

impl Collector for Snapshot {
    fn encode(&self, mut encoder: DescriptorEncoder) -> std::fmt::Result {
        // Counter names are given without `_total`: the encoder adds it to samples.
        let open = self.opened.saturating_sub(self.closed);
        gauge(&mut encoder, "kanban_connections", "Open WebSocket connections.", open)?;
        counter(&mut encoder, "kanban_connections_opened", "WebSocket connections accepted.", self.opened)?;
        counter(
            &mut encoder,
            "kanban_connections_refused",
            "WebSocket connections refused over capacity.",
            self.refused,
        )?;
        counter(
            &mut encoder,
            "kanban_slow_consumers",
            "Connections closed for not reading fast enough.",
            self.slow_consumers,
        )?;
        gauge(&mut encoder, "kanban_channels", "Channels with at least one subscriber.", self.channels)?;
        counter(&mut encoder, "kanban_messages_in", "WebSocket messages received.", self.messages_in)?;
        counter(
            &mut encoder,
            "kanban_messages_out",
            "Frames written to WebSocket connections.",
            self.messages_out,
        )?;
        counter(
            &mut encoder,
            "kanban_client_events_rate_limited",
            "Client events dropped by the rate limit.",
            self.client_events_limited,
        )?;
        counter(
            &mut encoder,
            "kanban_events_published",
            "Events published by the HTTP API and the board.",
            self.events_published,
        )?;
        let [delivered, retried, failed] = self.webhooks;
        counter(
            &mut encoder,
            "kanban_webhooks_delivered",
            "Webhook deliveries their receivers took (2xx), sent by this node.",
            delivered,
        )?;
        counter(
            &mut encoder,
            "kanban_webhooks_retried",
            "Webhook tries that failed and wait to go again, by this node.",
            retried,
        )?;
        counter(
            &mut encoder,
            "kanban_webhooks_failed",
            "Webhook deliveries given up after 24 hours (or --webhook-give-up-after), by this node.",
            failed,
        )?;
        let [renewed, ended, unanswered] = self.oidc;
        counter(
            &mut encoder,
            "kanban_oidc_renewed",
            "Sign-ins through the provider it said yes to again, asked by this node.",
            renewed,
        )?;
        counter(&mut encoder, "kanban_oidc_ended", "Sign-ins through the provider ended by its no.", ended)?;
        counter(
            &mut encoder,
            "kanban_oidc_unanswered",
            "Asks of the provider about a sign-in that did not reach it (asked again later).",
            unanswered,
        )
    }
}

impl Collector for Gauges {
    fn encode(&self, mut encoder: DescriptorEncoder) -> std::fmt::Result {
        let pool = self.pool;
        gauge(
            &mut encoder,
            "kanban_db_connections_in_use",
            "Store connections in use now.",
            pool.in_use as u64,
        )?;
        gauge(&mut encoder, "kanban_db_connections", "Store connections there are.", pool.size as u64)?;
        counter(
            &mut encoder,
            "kanban_db_connection_waits",
            "Times a store connection was waited for.",
            pool.waits,
        )?;
        if let Some(sessions) = self.ssh_sessions {
            gauge(&mut encoder, "kanban_ssh_sessions", "Signed-in SSH sessions.", sessions as u64)?;
        }
        if let Some(cluster) = &self.cluster {
            gauge(
                &mut encoder,
                "kanban_cluster_broker_up",
                "Whether the broker answers.",
                u64::from(cluster.broker_up),
            )?;
            gauge(
                &mut encoder,
                "kanban_cluster_nodes",
                "Nodes of the cluster heard, this one too.",
                cluster.nodes as u64,
            )?;
            counter(
                &mut encoder,
                "kanban_cluster_messages_dropped",
                "Messages to the other nodes that could not go out (broker away or behind).",
                cluster.dropped,
            )?;
            counter(
                &mut encoder,
                "kanban_cluster_messages_foreign",
                "Messages heard of another cluster or of another release's wire, ignored.",
                cluster.foreign,
            )?;
            counter(
                &mut encoder,
                "kanban_cluster_gaps_filled",
                "Board events read from the log because they did not come through the broker in time.",
                cluster.gaps_filled,
            )?;
            let mut silences = encoder.encode_descriptor(
                "kanban_cluster_node_silence_seconds",
                "Seconds since each other node was last heard (it beats every 2 s; forgotten after 8).",
                None,
                MetricType::Gauge,
            )?;
            for (node, seconds) in &cluster.silences {
                let labels = [("node", node.as_str())];
                ConstGauge::new(*seconds).encode(silences.encode_family(&labels)?)?;
            }
        }
        Ok(())
    }
}

fn counter(encoder: &mut DescriptorEncoder, name: &str, help: &str, value: u64) -> std::fmt::Result {
    ConstCounter::new(value).encode(encoder.encode_descriptor(name, help, None, MetricType::Counter)?)
}

fn gauge(encoder: &mut DescriptorEncoder, name: &str, help: &str, value: u64) -> std::fmt::Result {
    let value = i64::try_from(value).unwrap_or(i64::MAX);
    ConstGauge::new(value).encode(encoder.encode_descriptor(name, help, None, MetricType::Gauge)?)
}
