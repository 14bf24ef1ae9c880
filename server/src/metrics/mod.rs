//! `/metrics`: the hub's counters, kept as atomics so the hot path never takes a
//! lock and read only at scrape time; how long commits take; which build this is;
//! and the process's CPU, memory and file descriptors. Encoded by prometheus-client
//! as OpenMetrics text.

mod process;

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
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
    /// Seconds each batch commit of board changes took in the store. Observed once
    /// per batch by the single writer (after an fsync), so its lock is not on a hot
    /// path.
    pub commit_seconds: Histogram,
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
            commit_seconds: Histogram::new(COMMIT_BUCKETS),
        }
    }
}

impl Metrics {
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Relaxed);
    }

    /// The OpenMetrics text exposition, with the gauges given by the caller.
    pub fn render(&self, channels: usize) -> String {
        // A registry per scrape: scrapes are seconds apart, and the collectors then
        // own what they encode (a snapshot of the counters) instead of borrowing.
        let mut registry = Registry::default();
        registry.register_collector(Box::new(Snapshot::of(self, channels)));
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
        )
    }
}

fn counter(encoder: &mut DescriptorEncoder, name: &str, help: &str, value: u64) -> std::fmt::Result {
    ConstCounter::new(value).encode(encoder.encode_descriptor(name, help, None, MetricType::Counter)?)
}

fn gauge(encoder: &mut DescriptorEncoder, name: &str, help: &str, value: u64) -> std::fmt::Result {
    let value = i64::try_from(value).unwrap_or(i64::MAX);
    ConstGauge::new(value).encode(encoder.encode_descriptor(name, help, None, MetricType::Gauge)?)
}
