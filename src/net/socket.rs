//! The WebSocket to the server, in the protocol's terms: connect and wait for the
//! handshake, send frames, read decoded messages ([`ServerMessage`]).

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use kanban_protocol::pusher::ServerMessage;
use tokio::net::{TcpStream, UnixStream};
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::api::Api;

/// How long the handshake and a send may take before the server counts as gone.
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);

/// The WebSocket over TCP (with or without TLS) or over the server's Unix socket.
// One per client, never moved about: the TLS variant's size costs nothing.
#[allow(clippy::large_enum_variant)]
enum Stream {
    Tcp(WebSocketStream<MaybeTlsStream<TcpStream>>),
    Unix(WebSocketStream<UnixStream>),
}

/// One connection to the server's WebSocket.
pub struct Socket {
    stream: Stream,
    /// The id the server gave this connection (channel signatures name it).
    pub socket_id: String,
    /// How long the server lets the connection be quiet.
    pub activity: Duration,
}

impl Socket {
    /// Opens the socket and waits for `pusher:connection_established`; the error
    /// says why in words for the status bar.
    pub async fn connect(api: &Api) -> Result<Socket, String> {
        let config = api.config().await.map_err(|e| e.to_string())?;
        let url = api.socket_url(&config.app_key);
        let stream = timeout(ANSWER_TIMEOUT, open(api, &url))
            .await
            .map_err(|_| "the server did not answer".to_string())?
            .map_err(|e| format!("cannot connect: {e}"))?;
        let mut socket = Socket { stream, socket_id: String::new(), activity: Duration::ZERO };
        let hello = timeout(ANSWER_TIMEOUT, socket.next())
            .await
            .map_err(|_| "no handshake from the server".to_string())??;
        match hello {
            Some(ServerMessage::ConnectionEstablished { socket_id, activity_timeout }) => {
                socket.socket_id = socket_id;
                socket.activity = Duration::from_secs(activity_timeout.clamp(5, 600));
                Ok(socket)
            }
            Some(ServerMessage::Error { message, .. }) => Err(format!("refused: {message}")),
            _ => Err("no handshake from the server".into()),
        }
    }

    /// Sends one frame.
    pub async fn send(&mut self, frame: String) -> Result<(), String> {
        let message = Message::text(frame);
        let sent = async {
            match &mut self.stream {
                Stream::Tcp(s) => s.send(message).await,
                Stream::Unix(s) => s.send(message).await,
            }
        };
        timeout(ANSWER_TIMEOUT, sent)
            .await
            .map_err(|_| "the server stopped reading".to_string())?
            .map_err(|e| format!("send failed: {e}"))
    }

    /// The next message: `Ok(None)` when something arrived that asks nothing of us
    /// (a WebSocket ping, a frame we cannot read); `Err` says why the connection
    /// ended.
    pub async fn next(&mut self) -> Result<Option<ServerMessage>, String> {
        let next = match &mut self.stream {
            Stream::Tcp(s) => s.next().await,
            Stream::Unix(s) => s.next().await,
        };
        match next {
            Some(Ok(Message::Text(text))) => match ServerMessage::decode(&text) {
                Ok(message) => Ok(Some(message)),
                Err(e) => {
                    tracing::debug!(error = %e, "an unreadable frame");
                    Ok(None)
                }
            },
            Some(Ok(Message::Close(close))) => Err(close
                .map(|c| format!("closed by the server: {} {}", u16::from(c.code), c.reason))
                .unwrap_or_else(|| "closed by the server".into())),
            Some(Ok(_)) => Ok(None),
            Some(Err(e)) => Err(format!("connection error: {e}")),
            None => Err("connection closed".into()),
        }
    }
}

/// Opens the WebSocket at `url`, through the Unix socket when the server is one.
async fn open(api: &Api, url: &str) -> Result<Stream, tokio_tungstenite::tungstenite::Error> {
    match api.unix_socket() {
        Some(path) => {
            let unix = UnixStream::connect(path).await?;
            let (stream, _) = tokio_tungstenite::client_async(url, unix).await?;
            Ok(Stream::Unix(stream))
        }
        None => {
            let connector = api.tls().map(tokio_tungstenite::Connector::Rustls);
            let connect = tokio_tungstenite::connect_async_tls_with_config(url, None, true, connector);
            Ok(Stream::Tcp(connect.await?.0))
        }
    }
}
