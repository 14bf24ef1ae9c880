//! The link to the broker: bytes out to every node, bytes in from every node, and
//! whether the broker answers now. One task keeps it up, connecting again with
//! backoff when the broker goes; meanwhile what is sent is dropped (and counted),
//! and the node serves its own sockets. Redis (pub/sub on one channel) or NATS
//! (one subject), chosen by the URL's scheme.

use bytes::Bytes;
use tokio::sync::{mpsc, watch};

/// Messages waiting to go out; past this, new ones are dropped (a broker that
/// cannot keep up must not grow this node's memory).
pub const OUTBOUND: usize = 65_536;

/// The broker's end of things, as the node uses it.
pub struct Link {
    pub out: mpsc::Sender<Bytes>,
    pub inbound: mpsc::Receiver<Bytes>,
    /// Whether the broker answers now.
    pub up: watch::Receiver<bool>,
}

/// Where the broker is, and whom to trust for its TLS.
#[derive(Debug, Clone, Default)]
pub struct Broker {
    /// `redis://[USER[:PASSWORD]@]HOST:PORT`, `rediss://...` (TLS),
    /// `nats://[USER:PASSWORD@|TOKEN@]HOST:PORT` or `tls://...` (TLS).
    pub url: String,
    /// PEM certificates of the CA that signed the broker's TLS certificate, when
    /// the system's roots do not hold it.
    pub ca: Option<std::path::PathBuf>,
}

/// Why a broker URL cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("--broker takes redis:// or nats:// (not {0})")]
    Scheme(String),
    #[error("this build has no {0} broker")]
    NotBuilt(&'static str),
    #[error("--broker-ca {}: {why}", path.display())]
    Ca { path: std::path::PathBuf, why: String },
}

/// Whether `url` names a broker this build speaks, before anything is opened.
pub fn check(url: &str) -> Result<(), LinkError> {
    // Only the scheme is ever said back: the rest may hold a password.
    let Some((scheme, _)) = url.split_once("://") else {
        return Err(LinkError::Scheme("a URL without a scheme".into()));
    };
    match scheme {
        "redis" | "rediss" if cfg!(feature = "redis") => Ok(()),
        "nats" | "tls" if cfg!(feature = "nats") => Ok(()),
        "redis" | "rediss" => Err(LinkError::NotBuilt("Redis")),
        "nats" | "tls" => Err(LinkError::NotBuilt("NATS")),
        other => Err(LinkError::Scheme(format!("{other}://"))),
    }
}

/// Opens the link to `broker`, on `subject` (a site's nodes share one).
pub fn open(broker: &Broker, subject: &str) -> Result<Link, LinkError> {
    let (out, out_rx) = mpsc::channel(OUTBOUND);
    let (in_tx, inbound) = mpsc::channel(OUTBOUND);
    let (up_tx, up) = watch::channel(false);
    let ends = Ends { out: out_rx, inbound: in_tx, up: up_tx };
    check(&broker.url)?;
    // Read now, so that a CA that cannot be read stops the start, not each try.
    let ca = match &broker.ca {
        Some(path) => {
            Some(std::fs::read(path).map_err(|e| LinkError::Ca { path: path.clone(), why: e.to_string() })?)
        }
        None => None,
    };
    if broker.url.starts_with("redis") {
        spawn_redis(&broker.url, ca, subject, ends)?;
    } else {
        spawn_nats(broker, subject, ends)?;
    }
    Ok(Link { out, inbound, up })
}

#[cfg(feature = "redis")]
fn spawn_redis(url: &str, ca: Option<Vec<u8>>, subject: &str, ends: Ends) -> Result<(), LinkError> {
    tokio::spawn(redis::run(url.to_string(), ca, subject.to_string(), ends));
    Ok(())
}

#[cfg(not(feature = "redis"))]
fn spawn_redis(_: &str, _: Option<Vec<u8>>, _: &str, _: Ends) -> Result<(), LinkError> {
    Err(LinkError::NotBuilt("Redis"))
}

#[cfg(feature = "nats")]
fn spawn_nats(broker: &Broker, subject: &str, ends: Ends) -> Result<(), LinkError> {
    tokio::spawn(nats::run(broker.clone(), subject.to_string(), ends));
    Ok(())
}

#[cfg(not(feature = "nats"))]
fn spawn_nats(_: &Broker, _: &str, _: Ends) -> Result<(), LinkError> {
    Err(LinkError::NotBuilt("NATS"))
}

/// Says why the broker cannot be reached, once per reason (a node that never
/// joins says so at once, and not again every two seconds). Before the node has
/// ever joined it is an error: it serves its own sockets alone, and a
/// misconfigured broker must not pass for a slow one.
#[cfg_attr(not(any(feature = "redis", feature = "nats")), allow(dead_code))]
fn unreachable(broker: &str, said: &mut Option<String>, joined: bool, e: String) {
    if said.as_deref() != Some(e.as_str()) {
        if joined {
            tracing::warn!(error = %e, "the {broker} broker cannot be reached; trying again");
        } else {
            tracing::error!(
                error = %e,
                "the {broker} broker cannot be reached: this node serves alone until it joins the cluster; trying again"
            );
        }
        *said = Some(e);
    }
}

/// The task's ends of a link.
#[cfg_attr(not(any(feature = "redis", feature = "nats")), allow(dead_code))]
struct Ends {
    out: mpsc::Receiver<Bytes>,
    inbound: mpsc::Sender<Bytes>,
    up: watch::Sender<bool>,
}

impl Ends {
    /// The broker answers again. What waited while it was away is dropped: the
    /// nodes catch up by state (presence) and by revision (board events), not by
    /// replaying stale news.
    #[cfg_attr(not(any(feature = "redis", feature = "nats")), allow(dead_code))]
    fn joined(&mut self) {
        while self.out.try_recv().is_ok() {}
        self.up.send_replace(true);
    }
}

/// The delay before the next try to reach the broker: 100 ms doubling to 2 s.
#[cfg_attr(not(any(feature = "redis", feature = "nats")), allow(dead_code))]
fn backoff(attempt: u32) -> std::time::Duration {
    std::time::Duration::from_millis((100u64 << attempt.min(5)).min(2_000))
}

#[cfg(feature = "redis")]
mod redis {
    //! Redis pub/sub: one connection subscribed to the site's channel, one that
    //! publishes, each batch of waiting messages sent as one pipeline.

    use futures_util::StreamExt;

    use super::{Ends, backoff};

    /// Most messages sent in one pipeline.
    const BATCH: usize = 256;

    pub async fn run(url: String, ca: Option<Vec<u8>>, subject: String, mut ends: Ends) {
        let mut attempt = 0;
        let (mut said, mut joined) = (None, false);
        loop {
            match connected(&url, ca.as_ref(), &subject, &mut ends).await {
                Ok(()) => return,
                Err(e) => {
                    if *ends.up.borrow() {
                        said = None;
                        joined = true;
                    }
                    super::unreachable("Redis", &mut said, joined, e.to_string());
                    ends.up.send_replace(false);
                }
            }
            tokio::time::sleep(backoff(attempt)).await;
            attempt += 1;
        }
    }

    /// One connection's life; `Ok` when the node has stopped.
    async fn connected(
        url: &str,
        ca: Option<&Vec<u8>>,
        subject: &str,
        ends: &mut Ends,
    ) -> redis::RedisResult<()> {
        // A user and password in the URL sign in (AUTH, with Redis 6's ACL user
        // when one is named); `rediss://` is TLS, checked against `ca` if given.
        let client = match ca {
            Some(pem) => redis::Client::build_with_tls(
                url,
                redis::TlsCertificates { client_tls: None, root_cert: Some(pem.clone()) },
            )?,
            None => redis::Client::open(url)?,
        };
        let mut publisher = client.get_multiplexed_async_connection().await?;
        let mut pubsub = client.get_async_pubsub().await?;
        pubsub.subscribe(subject).await?;
        let mut messages = pubsub.on_message();
        ends.joined();
        tracing::info!("joined the cluster through Redis");
        let mut batch = Vec::with_capacity(BATCH);
        loop {
            tokio::select! {
                n = ends.out.recv_many(&mut batch, BATCH) => {
                    if n == 0 {
                        return Ok(());
                    }
                    let mut pipe = redis::pipe();
                    for bytes in batch.drain(..) {
                        pipe.cmd("PUBLISH").arg(subject).arg(bytes.as_ref()).ignore();
                    }
                    pipe.query_async::<()>(&mut publisher).await?;
                }
                message = messages.next() => {
                    let Some(message) = message else {
                        return Err(redis::RedisError::from((redis::ErrorKind::IoError, "the subscription ended")));
                    };
                    let payload: Vec<u8> = message.get_payload()?;
                    if ends.inbound.send(payload.into()).await.is_err() {
                        return Ok(());
                    }
                }
            }
        }
    }
}

#[cfg(feature = "nats")]
mod nats {
    //! NATS: one client, subscribed to the site's subject and publishing to it;
    //! the client buffers and flushes by itself.

    use futures_util::StreamExt;

    use super::{Broker, Ends, backoff};

    pub async fn run(broker: Broker, subject: String, mut ends: Ends) {
        let mut attempt = 0;
        let (mut said, mut joined) = (None, false);
        loop {
            match connected(&broker, &subject, &mut ends).await {
                Ok(()) => return,
                Err(e) => {
                    if *ends.up.borrow() {
                        said = None;
                        joined = true;
                    }
                    super::unreachable("NATS", &mut said, joined, e);
                    ends.up.send_replace(false);
                }
            }
            tokio::time::sleep(backoff(attempt)).await;
            attempt += 1;
        }
    }

    async fn connected(broker: &Broker, subject: &str, ends: &mut Ends) -> Result<(), String> {
        // Reconnects are this task's, so that the node knows when it is cut off.
        // A user and password (or a token) in the URL sign in; `tls://` is TLS,
        // checked against the CA given, if one is.
        // The client takes no credentials from the URL itself: they are read off
        // it here (a user and password, or a token alone).
        let mut options = async_nats::ConnectOptions::new().max_reconnects(Some(0));
        let addr: async_nats::ServerAddr =
            broker.url.parse().map_err(|e| format!("the broker's URL: {e}"))?;
        match (addr.username(), addr.password()) {
            (Some(user), Some(password)) => {
                options = options.user_and_password(user.to_string(), password.to_string());
            }
            (Some(token), None) => options = options.token(token.to_string()),
            _ => {}
        }
        if let Some(ca) = &broker.ca {
            options = options.add_root_certificates(ca.clone());
        }
        if broker.url.starts_with("tls://") {
            options = options.require_tls(true);
        }
        let client = options.connect(broker.url.as_str()).await.map_err(|e| e.to_string())?;
        let mut messages = client.subscribe(subject.to_string()).await.map_err(|e| e.to_string())?;
        client.flush().await.map_err(|e| e.to_string())?;
        ends.joined();
        tracing::info!("joined the cluster through NATS");
        let mut batch = Vec::with_capacity(256);
        loop {
            if client.connection_state() == async_nats::connection::State::Disconnected {
                return Err("disconnected".into());
            }
            tokio::select! {
                n = ends.out.recv_many(&mut batch, 256) => {
                    if n == 0 {
                        return Ok(());
                    }
                    for bytes in batch.drain(..) {
                        client.publish(subject.to_string(), bytes).await.map_err(|e| e.to_string())?;
                    }
                }
                message = messages.next() => {
                    let Some(message) = message else { return Err("the subscription ended".into()) };
                    if ends.inbound.send(message.payload).await.is_err() {
                        return Ok(());
                    }
                }
                () = tokio::time::sleep(std::time::Duration::from_millis(500)) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_brokers_this_build_speaks_are_taken_and_no_password_is_said_back() {
        assert!(check("redis://127.0.0.1:6379").is_ok());
        assert!(check("nats://127.0.0.1:4222").is_ok());
        let e = check("amqp://user:hunter2@host").unwrap_err().to_string();
        assert!(e.contains("amqp://") && !e.contains("hunter2"), "{e}");
        let e = check("user:hunter2@host:6379").unwrap_err().to_string();
        assert!(!e.contains("hunter2"), "{e}");
    }
}
