//! The WebSocket session: connect, subscribe to the open project's channels with
//! signatures from the auth endpoint, turn frames into actions, send cursor events,
//! and reconnect with backoff when the connection drops. REST calls run beside it,
//! each in its own task, so a slow request never holds up the socket.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use kanban_protocol::channel::{presence_channel, private_channel};
use kanban_protocol::model::{CURSOR_EVENT, CursorPos, EventData, UserInfo, events};
use kanban_protocol::pusher::{self, event};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep, sleep_until, timeout};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::api::{Api, ApiError};
use super::backoff::Backoff;
use crate::app::{Action, Change, Command, NetEvent};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long the handshake and a pong may take before the server counts as gone.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a connection ended.
enum Ended {
    /// The app went away: stop.
    Quit,
    /// Try again after a while.
    Lost(String),
    /// Refused for a reason waiting will not change: stop until the app asks.
    Refused(String),
    /// The app learnt of such a refusal itself and asked the session to stop.
    Paused,
}

struct Session {
    api: Api,
    app: mpsc::Sender<Action>,
    project: Option<i64>,
    /// Changes go out one at a time, in the order they were made.
    writes: mpsc::UnboundedSender<Change>,
}

/// Runs until the app drops its command sender.
pub async fn run(api: Api, app: mpsc::Sender<Action>, mut commands: mpsc::UnboundedReceiver<Command>) {
    let (writes, queue) = mpsc::unbounded_channel();
    tokio::spawn(write_in_order(api.clone(), app.clone(), queue));
    let mut session = Session { api, app, project: None, writes };
    loop {
        let stopped = match session.introduce().await {
            Ok(()) => session.stay_connected(&mut commands).await,
            Err(ended) => ended,
        };
        match stopped {
            Ended::Quit => return,
            Ended::Refused(reason) => {
                if session.app.send(Action::Net(NetEvent::Refused(reason))).await.is_err() {
                    return;
                }
            }
            Ended::Paused | Ended::Lost(_) => {}
        }
        // Nothing is retried until the person asks: the answer would be the same.
        if !session.wait_for_retry(&mut commands).await {
            return;
        }
        session.project = None;
    }
}

/// The refusal waiting will not change, if `e` is one: the token is no longer
/// accepted (401), or the project is not ours (403, 404). Not for writes, where 403
/// and 404 concern one card or one role.
fn refusal(e: &ApiError) -> Option<String> {
    match e {
        ApiError::Refused { status: 401, message } => {
            Some(format!("The server no longer accepts your token ({message}): ask its admin for a new one"))
        }
        ApiError::Refused { status: 403 | 404, message } => {
            Some(format!("No access to this project ({message})"))
        }
        _ => None,
    }
}

impl Session {
    /// Connects, and reconnects with backoff, until the app goes or access is
    /// refused.
    async fn stay_connected(&mut self, commands: &mut mpsc::UnboundedReceiver<Command>) -> Ended {
        let mut backoff = Backoff::new();
        loop {
            let reason = match self.connect().await {
                Ok((socket, socket_id, activity)) => {
                    match self.connected(socket, &socket_id, activity, commands, &mut backoff).await {
                        Ended::Lost(reason) => reason,
                        ended => return ended,
                    }
                }
                Err(reason) => reason,
            };
            let delay = backoff.next_delay();
            let lost = NetEvent::Disconnected { reason, retry_in_ms: delay.as_millis() as u64 };
            if self.app.send(Action::Net(lost)).await.is_err() {
                return Ended::Quit;
            }
            // Meanwhile REST still works: changes and snapshots go on.
            let wake = Instant::now() + delay;
            loop {
                tokio::select! {
                    () = sleep_until(wake) => break,
                    command = commands.recv() => match command {
                        None => return Ended::Quit,
                        Some(Command::Pause) => return Ended::Paused,
                        Some(c) => self.offline_command(c),
                    }
                }
            }
        }
    }

    /// Waits for the app's `Retry`; `false` when the app has gone.
    async fn wait_for_retry(&mut self, commands: &mut mpsc::UnboundedReceiver<Command>) -> bool {
        loop {
            match commands.recv().await {
                None => return false,
                Some(Command::Retry) => return true,
                Some(Command::Write(_)) => {
                    let failed = NetEvent::Failed("Not saved: no access to the board now".into());
                    if self.app.send(Action::Net(failed)).await.is_err() {
                        return false;
                    }
                }
                // Nothing else can be done without access.
                Some(_) => {}
            }
        }
    }

    /// Tells the app who we are and what we may open (retrying until the server
    /// answers).
    async fn introduce(&mut self) -> Result<(), Ended> {
        let mut backoff = Backoff::new();
        loop {
            let answer =
                async { Ok::<_, ApiError>((self.api.me().await?, self.api.projects().await?)) }.await;
            match answer {
                Ok((me, projects)) => {
                    let _ = self.app.send(Action::Net(NetEvent::Me(me))).await;
                    let _ = self.app.send(Action::Net(NetEvent::Projects(projects))).await;
                    return Ok(());
                }
                Err(ApiError::Refused { status, message }) => {
                    let refused = ApiError::Refused { status, message: message.clone() };
                    let reason =
                        refusal(&refused).unwrap_or_else(|| format!("The server refused us: {message}"));
                    return Err(Ended::Refused(reason));
                }
                Err(e) => {
                    let delay = backoff.next_delay();
                    let lost = NetEvent::Disconnected {
                        reason: e.to_string(),
                        retry_in_ms: delay.as_millis() as u64,
                    };
                    if self.app.send(Action::Net(lost)).await.is_err() {
                        return Err(Ended::Quit);
                    }
                    sleep(delay).await;
                }
            }
        }
    }

    /// Opens the socket and waits for `connection_established`.
    async fn connect(&self) -> Result<(Socket, String, Duration), String> {
        let config = self.api.config().await.map_err(|e| e.to_string())?;
        let url = self.api.socket_url(&config.app_key);
        let connector = self.api.tls().map(tokio_tungstenite::Connector::Rustls);
        let connect = tokio_tungstenite::connect_async_tls_with_config(url.as_str(), None, true, connector);
        let (mut socket, _) = timeout(ANSWER_TIMEOUT, connect)
            .await
            .map_err(|_| "the server did not answer".to_string())?
            .map_err(|e| format!("cannot connect: {e}"))?;
        let hello = timeout(ANSWER_TIMEOUT, next_json(&mut socket))
            .await
            .map_err(|_| "no handshake from the server".to_string())?
            .ok_or("closed during the handshake")?;
        if hello["event"] != event::CONNECTION_ESTABLISHED {
            return Err(format!(
                "refused: {}",
                hello["data"]["message"].as_str().unwrap_or("no reason given")
            ));
        }
        let data = data_of(&hello);
        let socket_id = data["socket_id"].as_str().ok_or("no socket id in the handshake")?.to_string();
        let activity = Duration::from_secs(data["activity_timeout"].as_u64().unwrap_or(120).clamp(5, 600));
        Ok((socket, socket_id, activity))
    }

    /// Subscribes the project's two channels.
    async fn subscribe(&self, socket: &mut Socket, socket_id: &str, project_id: i64) -> Result<(), Ended> {
        for channel in [private_channel(project_id), presence_channel(project_id)] {
            let auth = self.api.authorize(socket_id, &channel).await.map_err(|e| match refusal(&e) {
                Some(reason) => Ended::Refused(reason),
                None => Ended::Lost(e.to_string()),
            })?;
            let mut data = json!({ "channel": channel, "auth": auth.auth });
            if let Some(cd) = auth.channel_data {
                data["channel_data"] = json!(cd);
            }
            send(socket, json!({ "event": event::SUBSCRIBE, "data": data })).await.map_err(Ended::Lost)?;
        }
        Ok(())
    }

    async fn connected(
        &mut self,
        mut socket: Socket,
        socket_id: &str,
        activity: Duration,
        commands: &mut mpsc::UnboundedReceiver<Command>,
        backoff: &mut Backoff,
    ) -> Ended {
        // Subscriptions still to succeed before the app hears "connected".
        let mut waiting = 0;
        if let Some(pid) = self.project {
            if let Err(ended) = self.subscribe(&mut socket, socket_id, pid).await {
                return ended;
            }
            waiting = 2;
        } else {
            backoff.reset();
            if self.app.send(Action::Net(NetEvent::Connected)).await.is_err() {
                return Ended::Quit;
            }
        }
        let mut last_heard = Instant::now();
        let mut ping_sent: Option<Instant> = None;
        loop {
            let check_at = match ping_sent {
                Some(at) => at + ANSWER_TIMEOUT,
                None => last_heard + activity,
            };
            tokio::select! {
                frame = socket.next() => {
                    let text = match frame {
                        Some(Ok(Message::Text(t))) => t,
                        Some(Ok(Message::Close(c))) => {
                            let why = c.map(|c| format!("closed by the server: {} {}", u16::from(c.code), c.reason)).unwrap_or_else(|| "closed by the server".into());
                            return Ended::Lost(why);
                        }
                        Some(Ok(_)) => { last_heard = Instant::now(); continue }
                        Some(Err(e)) => return Ended::Lost(format!("connection error: {e}")),
                        None => return Ended::Lost("connection closed".into()),
                    };
                    last_heard = Instant::now();
                    ping_sent = None;
                    let Ok(frame) = serde_json::from_str::<Value>(&text) else { continue };
                    match self.frame(&mut socket, frame, &mut waiting).await {
                        Ok(Some(NetEvent::Connected)) => {
                            // Only a connection that got as far as its subscriptions
                            // counts as a success: one refused after connecting
                            // must not be retried at the shortest delay forever.
                            backoff.reset();
                            if self.app.send(Action::Net(NetEvent::Connected)).await.is_err() {
                                return Ended::Quit;
                            }
                        }
                        Ok(Some(event)) => {
                            if self.app.send(Action::Net(event)).await.is_err() {
                                return Ended::Quit;
                            }
                        }
                        Ok(None) => {}
                        Err(ended) => return ended,
                    }
                }
                command = commands.recv() => {
                    let Some(command) = command else { return Ended::Quit };
                    if let Err(ended) = self.command(&mut socket, socket_id, command, &mut waiting).await {
                        return ended;
                    }
                }
                () = sleep_until(check_at) => {
                    if ping_sent.is_some() {
                        return Ended::Lost("the server stopped answering".into());
                    }
                    if let Err(e) = send(&mut socket, json!({ "event": event::PING, "data": {} })).await {
                        return Ended::Lost(e);
                    }
                    ping_sent = Some(Instant::now());
                }
            }
        }
    }

    /// Handles one frame; answers the event for the app, if any.
    async fn frame(
        &mut self,
        socket: &mut Socket,
        frame: Value,
        waiting: &mut usize,
    ) -> Result<Option<NetEvent>, Ended> {
        let name = frame["event"].as_str().unwrap_or("");
        let channel = frame["channel"].as_str().unwrap_or("");
        let ours =
            |c: &str| self.project.is_some_and(|p| c == private_channel(p) || c == presence_channel(p));
        let event = match name {
            event::PING => {
                send(socket, json!({ "event": event::PONG, "data": {} })).await.map_err(Ended::Lost)?;
                return Ok(None);
            }
            event::SUBSCRIPTION_SUCCEEDED if ours(channel) => {
                let present = channel.starts_with("presence-").then(|| members(&data_of(&frame)));
                *waiting = waiting.saturating_sub(1);
                if let Some(list) = present
                    && self.app.send(Action::Net(NetEvent::Present(list))).await.is_err()
                {
                    return Err(Ended::Quit);
                }
                if *waiting == 0 {
                    NetEvent::Connected
                } else {
                    return Ok(None);
                }
            }
            event::SUBSCRIPTION_ERROR => {
                let data = data_of(&frame);
                let why = data["error"].as_str().unwrap_or("refused").to_string();
                // Refused by the server's access check: waiting will not help.
                if ours(channel) && matches!(data["status"].as_u64(), Some(401 | 403)) {
                    return Err(Ended::Refused(format!("No access to this project ({why})")));
                }
                NetEvent::Failed(format!("Cannot join {channel}: {why}"))
            }
            event::MEMBER_ADDED if ours(channel) => {
                let data = data_of(&frame);
                let Some((id, info)) = member(&data["user_id"], &data["user_info"]) else { return Ok(None) };
                NetEvent::Joined(id, info)
            }
            event::MEMBER_REMOVED if ours(channel) => {
                let Some(id) = id_text(&data_of(&frame)["user_id"]) else { return Ok(None) };
                NetEvent::Left(id)
            }
            CURSOR_EVENT if ours(channel) => {
                let (Some(user_id), Ok(pos)) =
                    (id_text(&frame["user_id"]), serde_json::from_value::<CursorPos>(data_of(&frame)))
                else {
                    return Ok(None);
                };
                NetEvent::Cursor { user_id, pos }
            }
            event::ERROR => {
                // A dropped cursor event (rate limit) is harmless: the next one follows.
                if frame["data"]["code"] == pusher::code::CLIENT_EVENT_RATE_LIMIT {
                    return Ok(None);
                }
                NetEvent::Failed(format!("Server: {}", frame["data"]["message"].as_str().unwrap_or("error")))
            }
            // Only the board's own events: whatever else arrives on the board
            // channel did not come from a commit and must not move the revision.
            _ if events::is_board_event(name)
                && self.project.is_some_and(|p| channel == private_channel(p)) =>
            {
                let Ok(data) = serde_json::from_value::<EventData>(data_of(&frame)) else { return Ok(None) };
                NetEvent::Board { name: name.to_string(), data: Box::new(data) }
            }
            _ => return Ok(None),
        };
        Ok(Some(event))
    }

    async fn command(
        &mut self,
        socket: &mut Socket,
        socket_id: &str,
        command: Command,
        waiting: &mut usize,
    ) -> Result<(), Ended> {
        match command {
            Command::Cursor(pos) => {
                if let Some(pid) = self.project {
                    let frame =
                        json!({ "event": CURSOR_EVENT, "channel": presence_channel(pid), "data": pos });
                    send(socket, frame).await.map_err(Ended::Lost)?;
                }
            }
            Command::Open(pid) => {
                if let Some(old) = self.project.replace(pid) {
                    for channel in [private_channel(old), presence_channel(old)] {
                        send(socket, json!({ "event": event::UNSUBSCRIBE, "data": { "channel": channel } }))
                            .await
                            .map_err(Ended::Lost)?;
                    }
                }
                self.subscribe(socket, socket_id, pid).await?;
                *waiting = 2;
                self.fetch_board(pid);
            }
            Command::Pause => return Err(Ended::Paused),
            other => self.offline_command(other),
        }
        Ok(())
    }

    /// Commands that need no socket.
    fn offline_command(&mut self, command: Command) {
        match command {
            Command::Open(pid) => {
                self.project = Some(pid);
                self.fetch_board(pid);
            }
            Command::Reload(pid) => self.fetch_board(pid),
            // Handled where the session waits; nothing to do here.
            Command::Pause | Command::Retry => {}
            Command::CatchUp { project_id, after } => {
                let (api, app) = (self.api.clone(), self.app.clone());
                tokio::spawn(async move {
                    let event = match api.events_after(project_id, after).await {
                        Ok(Some(missed)) => NetEvent::Missed(missed),
                        Ok(None) => {
                            let _ = app.send(Action::Net(NetEvent::Gone)).await;
                            board_event(api.board(project_id).await)
                        }
                        Err(e) => match refusal(&e) {
                            Some(reason) => NetEvent::Refused(reason),
                            None => NetEvent::Failed(format!("Cannot catch up: {e}")),
                        },
                    };
                    let _ = app.send(Action::Net(event)).await;
                });
            }
            Command::Write(w) => {
                let _ = self.writes.send(w);
            }
            // Offline, a cursor has nowhere to go; the app sends it again on return.
            Command::Cursor(_) => {}
        }
    }

    fn fetch_board(&self, pid: i64) {
        let api = self.api.clone();
        let event = async move { board_event(api.board(pid).await) };
        let app = self.app.clone();
        tokio::spawn(async move {
            let _ = app.send(Action::Net(event.await)).await;
        });
    }
}

/// What a board fetch tells the app.
fn board_event(answer: Result<kanban_protocol::model::Board, ApiError>) -> NetEvent {
    match answer {
        Ok(b) => NetEvent::Snapshot(b),
        Err(e) => match refusal(&e) {
            Some(reason) => NetEvent::Refused(reason),
            None => NetEvent::Failed(format!("Cannot load the board: {e}")),
        },
    }
}

/// Makes the changes one after another, so that a user's changes commit in the
/// order they were made (two quick moves of one card must not swap).
async fn write_in_order(api: Api, app: mpsc::Sender<Action>, mut queue: mpsc::UnboundedReceiver<Change>) {
    while let Some(change) = queue.recv().await {
        let event = match api.write(&change).await {
            Ok(data) => NetEvent::Done { name: change.event(), data: Box::new(data) },
            Err(ApiError::Stale { message, current }) => NetEvent::Stale { message, current },
            // A token no longer accepted refuses everything; a 403 or 404 here
            // concerns this one change (a viewer's, a card deleted meanwhile).
            Err(e @ ApiError::Refused { status: 401, .. }) => {
                NetEvent::Refused(refusal(&e).unwrap_or_else(|| e.to_string()))
            }
            Err(e) => NetEvent::Failed(e.to_string()),
        };
        if app.send(Action::Net(event)).await.is_err() {
            return;
        }
    }
}

async fn send(socket: &mut Socket, frame: Value) -> Result<(), String> {
    timeout(ANSWER_TIMEOUT, socket.send(Message::text(frame.to_string())))
        .await
        .map_err(|_| "the server stopped reading".to_string())?
        .map_err(|e| format!("send failed: {e}"))
}

async fn next_json(socket: &mut Socket) -> Option<Value> {
    while let Some(Ok(msg)) = socket.next().await {
        if let Message::Text(t) = msg {
            return serde_json::from_str(&t).ok();
        }
    }
    None
}

/// A frame's `data`, decoded from its JSON string.
fn data_of(frame: &Value) -> Value {
    match &frame["data"] {
        Value::String(s) => serde_json::from_str(s).unwrap_or(Value::Null),
        other => other.clone(),
    }
}

fn id_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn member(id: &Value, info: &Value) -> Option<(String, UserInfo)> {
    let info = serde_json::from_value::<UserInfo>(info.clone())
        .unwrap_or(UserInfo { name: id_text(id)?, color: "#888888".into() });
    Some((id_text(id)?, info))
}

/// The members listed in a presence subscription's success.
fn members(data: &Value) -> Vec<(String, UserInfo)> {
    let presence = &data["presence"];
    let ids = presence["ids"].as_array().cloned().unwrap_or_default();
    ids.iter().filter_map(|id| member(id, &presence["hash"][id_text(id)?.as_str()])).collect()
}
