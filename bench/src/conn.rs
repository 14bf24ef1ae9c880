//! A minimal Pusher client for load: connect, subscribe with a locally signed auth,
//! send frames, and read them back with their receive time.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use kanban_protocol::sign;
use serde_json::{Value, json};
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
    fn url(&self) -> String {
        format!("ws://{}:{}/app/{}?protocol=7&client=kanban-bench&version=1", self.host, self.port, self.key)
    }

    /// Connects, from `source` when given (several loopback sources lift the limit
    /// of ports per source address).
    pub async fn connect(&self, source: Option<IpAddr>) -> anyhow::Result<Conn> {
        let addr: SocketAddr = tokio::net::lookup_host((self.host.as_str(), self.port))
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
            tokio_tungstenite::client_async(self.url(), MaybeTlsStream::Plain(tcp)),
        )
        .await
        .context("handshake timed out")??;
        let hello = next_json(&mut socket).await.context("closed before the handshake")?;
        if hello["event"] != "pusher:connection_established" {
            bail!("refused: {hello}");
        }
        let data: Value = serde_json::from_str(hello["data"].as_str().unwrap_or("{}"))?;
        let socket_id = data["socket_id"].as_str().context("no socket id")?.to_string();
        Ok(Conn { socket, socket_id })
    }
}

impl Conn {
    /// Subscribes to `channel`, signing locally; waits for the success.
    pub async fn subscribe(
        &mut self,
        target: &Target,
        channel: &str,
        user_id: Option<&str>,
    ) -> anyhow::Result<()> {
        let channel_data = user_id.map(|id| json!({"user_id": id, "user_info": {"name": id}}).to_string());
        let mut data = json!({ "channel": channel });
        if channel.starts_with("private-") || channel.starts_with("presence-") {
            let auth = sign::channel_auth(
                &target.key,
                &target.secret,
                &self.socket_id,
                channel,
                channel_data.as_deref(),
            );
            data["auth"] = json!(auth);
        }
        if let Some(cd) = channel_data {
            data["channel_data"] = json!(cd);
        }
        self.socket
            .send(Message::text(json!({"event": "pusher:subscribe", "data": data}).to_string()))
            .await?;
        loop {
            let frame = tokio::time::timeout(HANDSHAKE, next_json(&mut self.socket))
                .await
                .context("no subscription answer")?
                .context("closed while subscribing")?;
            match frame["event"].as_str() {
                Some("pusher_internal:subscription_succeeded") if frame["channel"] == channel => {
                    return Ok(());
                }
                Some("pusher:subscription_error") | Some("pusher:error") => {
                    bail!("subscription refused: {frame}")
                }
                _ => continue,
            }
        }
    }
}

/// The next text frame as JSON; `None` when the stream ends.
pub async fn next_json(socket: &mut Socket) -> Option<Value> {
    while let Some(Ok(msg)) = socket.next().await {
        if let Message::Text(t) = msg {
            return serde_json::from_str(&t).ok();
        }
    }
    None
}

/// The local source addresses to spread `count` connections over, 20,000 each.
pub fn sources(count: usize) -> Vec<Option<IpAddr>> {
    if count <= 20_000 {
        return vec![None];
    }
    (0..count.div_ceil(20_000)).map(|i| Some(IpAddr::from([127, 0, 0, 1 + i as u8]))).collect()
}
