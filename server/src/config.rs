//! Settings of a running server: the app credentials and the limits it enforces.

use std::time::Duration;

/// Board events kept per project for catching up, unless told otherwise.
pub const DEFAULT_EVENT_RETENTION: u64 = 10_000;

/// The one Pusher app this server hosts: the id and key are public, the secret signs.
#[derive(Clone)]
pub struct AppCredentials {
    pub id: String,
    pub key: String,
    pub secret: String,
}

impl std::fmt::Debug for AppCredentials {
    // The secret never reaches a log line through a stray `{:?}`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppCredentials")
            .field("id", &self.id)
            .field("key", &self.key)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// Bounds that keep one client from hurting the others. All are configurable
/// because a load test and a team board want different numbers.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Open WebSocket connections; past it a new one is closed with 4100.
    pub max_connections: usize,
    /// Channels one connection may be subscribed to at once.
    pub max_subscriptions_per_connection: usize,
    /// Distinct users in one presence channel.
    pub max_presence_members: usize,
    /// Largest WebSocket message accepted at all; past it the connection closes (1009).
    pub max_frame_bytes: usize,
    /// Largest `data` of a client event or of an HTTP API event.
    pub max_event_bytes: usize,
    /// Largest HTTP request body.
    pub max_body_bytes: usize,
    /// Client events per second per connection (a burst of this many is allowed).
    pub client_events_per_second: u32,
    /// Frames queued for one connection; a consumer that falls this far behind is
    /// disconnected (4100) so that it cannot grow the server's memory.
    pub outbound_queue: usize,
    /// Seconds of client silence before the server pings; sent in the handshake.
    pub activity_timeout: Duration,
    /// How long an unanswered server ping waits before the connection is closed (4201).
    pub pong_timeout: Duration,
    /// How long one write to a socket may take before the peer counts as gone.
    pub write_timeout: Duration,
    /// How long an HTTP connection may take to send a whole request head, from
    /// its opening or its previous answer (so also how long an idle keep-alive
    /// connection stays open).
    pub header_timeout: Duration,
    /// Board events kept per project for catching up; older ones answer 410.
    pub event_retention: u64,
    /// Days a deleted card or column stays in its project's trash.
    pub trash_days: u32,
    /// Only the site's administrators make boards (`project add`); people do not
    /// (`--admins-make-boards`).
    pub admins_make_boards: bool,
    /// Board changes per second one person may make (with a burst of five
    /// seconds' worth); 0: no limit.
    pub max_writes_per_user: u32,
    /// The networks of the load balancers whose `X-Forwarded-For` is believed
    /// for who a request is from (`--trusted-proxy`).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Every connection on the HTTP port begins with a PROXY header from one of
    /// [`Limits::trusted_proxies`] (`--proxy-protocol`).
    pub proxy_protocol: bool,
    /// The longest wait between two tries of a webhook delivery (the waits double
    /// from a second up to it).
    pub webhook_max_backoff: Duration,
    /// How long after its change a webhook delivery is tried before it is given up.
    pub webhook_give_up: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_connections: 100_000,
            max_subscriptions_per_connection: 100,
            max_presence_members: 1_000,
            max_frame_bytes: 256 * 1024,
            max_event_bytes: 10 * 1024,
            max_body_bytes: 1024 * 1024,
            client_events_per_second: 100,
            outbound_queue: 1_024,
            activity_timeout: Duration::from_secs(120),
            pong_timeout: Duration::from_secs(30),
            write_timeout: Duration::from_secs(10),
            header_timeout: Duration::from_secs(10),
            event_retention: DEFAULT_EVENT_RETENTION,
            trash_days: 30,
            admins_make_boards: false,
            max_writes_per_user: 10,
            trusted_proxies: Vec::new(),
            proxy_protocol: false,
            webhook_max_backoff: Duration::from_secs(3600),
            webhook_give_up: Duration::from_secs(24 * 3600),
        }
    }
}
