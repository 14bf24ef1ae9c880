//! Counters for `/metrics`, kept as atomics so the hot path never takes a lock.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Process-wide counters. Gauges that are cheap to compute on demand (channels,
/// members) are read from the hub at scrape time instead.
#[derive(Debug, Default)]
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
}

impl Metrics {
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Relaxed);
    }

    /// The Prometheus text exposition, with the gauges given by the caller.
    pub fn render(&self, channels: usize) -> String {
        let opened = self.connections_opened.load(Relaxed);
        let closed = self.connections_closed.load(Relaxed);
        let mut out = String::with_capacity(1024);
        let mut line = |name: &str, kind: &str, help: &str, value: u64| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}");
        };
        line("kanban_connections", "gauge", "Open WebSocket connections.", opened.saturating_sub(closed));
        line("kanban_connections_opened_total", "counter", "WebSocket connections accepted.", opened);
        line(
            "kanban_connections_refused_total",
            "counter",
            "WebSocket connections refused over capacity.",
            self.connections_refused.load(Relaxed),
        );
        line(
            "kanban_slow_consumers_total",
            "counter",
            "Connections closed for not reading fast enough.",
            self.slow_consumers.load(Relaxed),
        );
        line("kanban_channels", "gauge", "Channels with at least one subscriber.", channels as u64);
        line(
            "kanban_messages_in_total",
            "counter",
            "WebSocket messages received.",
            self.messages_in.load(Relaxed),
        );
        line(
            "kanban_messages_out_total",
            "counter",
            "Frames written to WebSocket connections.",
            self.messages_out.load(Relaxed),
        );
        line(
            "kanban_client_events_rate_limited_total",
            "counter",
            "Client events dropped by the rate limit.",
            self.client_events_limited.load(Relaxed),
        );
        line(
            "kanban_events_published_total",
            "counter",
            "Events published by the HTTP API and the board.",
            self.events_published.load(Relaxed),
        );
        out
    }
}
