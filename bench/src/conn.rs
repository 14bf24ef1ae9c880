//! A minimal Pusher client for load: connect, subscribe with a locally signed auth,
//! send frames, and read them back with their receive time.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use kanban_protocol::channel::ChannelKind;
use kanban_protocol::pusher::{self, ServerMessage};
use kanban_protocol::sign;
use serde_json::json;
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::Target;

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

const HANDSHAKE: Duration = Duration::from_secs(30);

/// An open connection and its socket id.
pub struct Conn {
    pub socket: Socket,
    pub socket_id: String,
}

impl Target {
    fn url(&self, port: u16) -> String {
        format!("ws://{}:{port}/app/{}?protocol=7&client=kanban-bench&version=1", self.host, self.key)
    }

    /// The ports that subscribers and clients go round: `--ports`, or `--port`.
    pub fn nodes(&self) -> Vec<u16> {
        if self.ports.is_empty() { vec![self.port] } else { self.ports.clone() }
    }

    /// The CPU time of every server involved (`--pids`, or `--pid`) together.
    pub fn cpu(&self) -> Option<Duration> {
        let pids = if self.pids.is_empty() { self.pid.into_iter().collect() } else { self.pids.clone() };
        if pids.is_empty() {
            return None;
        }
        pids.iter().map(|p| crate::report::cpu_time(*p)).sum()
    }

    /// Connects, from `source` when given (several loopback sources lift the limit
    /// of ports per source address).
    pub async fn connect(&self, source: Option<IpAddr>) -> anyhow::Result<Conn> {
        self.connect_to(self.port, source).await
    }

    /// Connection `i` of a scenario's subscribers or clients: on the node its turn
    /// gives (see [`Target::nodes`]).
    pub async fn connect_nth(&self, i: usize) -> anyhow::Result<Conn> {
        let nodes = self.nodes();
        self.connect_to(nodes[i % nodes.len()], None).await
    }

    async fn connect_to(&self, port: u16, source: Option<IpAddr>) -> anyhow::Result<Conn> {
        let addr: SocketAddr = tokio::net::lookup_host((self.host.as_str(), port))
            .await?
            .next()
            .context("the host resolves to nothing")?;
        let socket = TcpSocket::new_v4()?;
        if let Some(ip) = source {
            socket.bind(SocketAddr::new(ip, 0))?;
        }
        let tcp =
            tokio::time::timeout(HANDSHAKE, socket.connect(addr)).await.context("connect timed out")??;
        tcp.set_nodelay(true)?;
        let (mut socket, _) = tokio::time::timeout(
            HANDSHAKE,
            tokio_tungstenite::client_async(self.url(port), MaybeTlsStream::Plain(tcp)),
        )
        .await
        .context("handshake timed out")??;
        match next_message(&mut socket).await.context("closed before the handshake")? {
            ServerMessage::ConnectionEstablished { socket_id, .. } => Ok(Conn { socket, socket_id }),
            other => bail!("refused: {other:?}"),
        }
    }
}

impl Conn {
    /// Subscribes to `channel`, signing locally; waits for the success. Answers the
    /// members a presence channel listed.
    pub async fn subscribe(
        &mut self,
        target: &Target,
        channel: &str,
        user_id: Option<&str>,
    ) -> anyhow::Result<Option<usize>> {
        let channel_data = user_id.map(|id| json!({"user_id": id, "user_info": {"name": id}}).to_string());
        let auth = ChannelKind::of(channel).needs_auth().then(|| {
            sign::channel_auth(&target.key, &target.secret, &self.socket_id, channel, channel_data.as_deref())
        });
        self.send_subscribe(channel, auth.as_deref(), channel_data.as_deref()).await
    }

    /// Subscribes to `channel` with a given signature; waits for the success and
    /// answers the members a presence channel listed.
    pub async fn send_subscribe(
        &mut self,
        channel: &str,
        auth: Option<&str>,
        channel_data: Option<&str>,
    ) -> anyhow::Result<Option<usize>> {
        self.socket.send(Message::text(pusher::subscribe(channel, auth, channel_data))).await?;
        loop {
            let message = tokio::time::timeout(HANDSHAKE, next_message(&mut self.socket))
                .await
                .context("no subscription answer")?
                .context("closed while subscribing")?;
            match message {
                ServerMessage::SubscriptionSucceeded { channel: c, presence } if c == channel => {
                    return Ok(presence.map(|members| members.len()));
                }
                refused @ (ServerMessage::SubscriptionError { .. } | ServerMessage::Error { .. }) => {
                    bail!("subscription refused: {refused:?}")
                }
                _ => continue,
            }
        }
    }
}

/// The next message the client can read; `None` when the stream ends.
pub async fn next_message(socket: &mut Socket) -> Option<ServerMessage> {
    while let Some(Ok(msg)) = socket.next().await {
        if let Message::Text(t) = msg
            && let Ok(message) = ServerMessage::decode(&t)
        {
            return Some(message);
        }
    }
    None
}

/// A received text frame decoded, when it is an event (not a protocol message).
pub fn event_of(msg: &Message) -> Option<(String, String)> {
    let Message::Text(t) = msg else { return None };
    match ServerMessage::decode(t).ok()? {
        ServerMessage::Event { event, data, .. } => Some((event, data)),
        ServerMessage::Error { .. } => Some((pusher::event::ERROR.to_string(), String::new())),
        _ => None,
    }
}

/// The local source addresses to spread `count` connections over, 20,000 each.
pub fn sources(count: usize) -> Vec<Option<IpAddr>> {
    if count <= 20_000 {
        return vec![None];
    }
    (0..count.div_ceil(20_000)).map(|i| Some(IpAddr::from([127, 0, 0, 1 + i as u8]))).collect()
}
