//! The session: who we are, the open project's channels (subscribed with
//! signatures from the auth endpoint), the messages that become actions, cursor
//! events out, and reconnects with backoff when the socket drops. Reads that go
//! with it (a board, the events missed) run beside it, each in its own task, so a
//! slow request never holds up the socket; the app asks for one of a kind at a
//! time and each is answered, by its data or `NotRead`. The board's changes go
//! through the writer ([`super::writer`]), not through here.

use kanban_protocol::channel::{presence_channel, private_channel};
use kanban_protocol::client_event::{CursorRequest, ProjectSwitch};
use kanban_protocol::event::BoardEvent;
use kanban_protocol::model::{
    Board, CURSOR_EVENT, CURSOR_REQUEST_EVENT, MembersChanged, PROJECT_SWITCH_EVENT, Pointer, UserInfo,
    events,
};
use kanban_protocol::pusher::{self, ServerMessage};
use serde_json::Value;
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};

use super::api::{Api, ApiError};
use super::backoff::Backoff;
use super::socket::{ANSWER_TIMEOUT, Socket};
use crate::app::{Action, NetEvent, Read, Request};
use crate::dispatch::Queue;

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
    /// Why the last try failed: a long outage logs its reason once, not every
    /// few seconds.
    last_failure: Option<String>,
}

/// Runs until the app drops its request sender.
pub async fn run(api: Api, app: mpsc::Sender<Action>, mut requests: Queue<Request>) {
    let mut session = Session { api, app, project: None, last_failure: None };
    loop {
        let stopped = match session.introduce(&mut requests).await {
            Ok(()) => session.stay_connected(&mut requests).await,
            Err(ended) => ended,
        };
        match stopped {
            Ended::Quit => return,
            Ended::Refused(reason) => {
                tracing::warn!(server = session.api.base(), %reason, "refused");
                if session.tell(NetEvent::Refused(reason)).await.is_err() {
                    return;
                }
            }
            Ended::Paused | Ended::Lost(_) => {}
        }
        // Nothing is retried until the person asks: the answer would be the same.
        if !wait_for_retry(&mut requests).await {
            return;
        }
        session.project = None;
    }
}

/// The refusal waiting will not change, if `e` is one: the token is no longer
/// accepted (401), or the project is not ours (403, 404). Not for writes, where 403
/// and 404 concern one card or one role.
pub(super) fn refusal(e: &ApiError) -> Option<String> {
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

/// Waits for the app's `Retry`; `false` when the app has gone.
async fn wait_for_retry(requests: &mut Queue<Request>) -> bool {
    loop {
        match requests.recv().await {
            None => return false,
            Some(Request::Retry) => return true,
            // Nothing else can be done without access.
            Some(_) => {}
        }
    }
}

impl Session {
    /// Sends the app one event; `Err` when it has gone.
    async fn tell(&self, event: NetEvent) -> Result<(), Ended> {
        self.app.send(Action::Net(event)).await.map_err(|_| Ended::Quit)
    }

    /// Tells the app who we are and what we may open (retrying until the server
    /// answers).
    async fn introduce(&mut self, requests: &mut Queue<Request>) -> Result<(), Ended> {
        let mut backoff = Backoff::new();
        loop {
            let answer =
                async { Ok::<_, ApiError>((self.api.me().await?, self.api.projects().await?)) }.await;
            match answer {
                Ok((me, projects)) => {
                    self.tell(NetEvent::Me(me)).await?;
                    return self.tell(NetEvent::Projects(projects)).await;
                }
                Err(e @ ApiError::Refused { .. }) => {
                    let reason = refusal(&e).unwrap_or_else(|| format!("The server refused us: {e}"));
                    return Err(Ended::Refused(reason));
                }
                Err(e) => self.wait_to_retry(e.to_string(), &mut backoff, requests).await?,
            }
        }
    }

    /// Says the connection is lost and why, then waits out the next delay (the
    /// person can cut it short: [`Request::Retry`]). REST still works meanwhile:
    /// snapshots and catch-ups go on.
    async fn wait_to_retry(
        &mut self,
        reason: String,
        backoff: &mut Backoff,
        requests: &mut Queue<Request>,
    ) -> Result<(), Ended> {
        let delay = backoff.next_delay();
        if self.last_failure.as_deref() == Some(reason.as_str()) {
            tracing::debug!(server = self.api.base(), %reason, retry_in = ?delay, "still offline");
        } else {
            tracing::info!(server = self.api.base(), %reason, retry_in = ?delay, "offline");
            self.last_failure = Some(reason.clone());
        }
        self.tell(NetEvent::Disconnected { reason, retry_in_ms: delay.as_millis() as u64 }).await?;
        let wake = Instant::now() + delay;
        loop {
            tokio::select! {
                () = sleep_until(wake) => return Ok(()),
                request = requests.recv() => match request {
                    None => return Err(Ended::Quit),
                    Some(Request::Pause) => return Err(Ended::Paused),
                    Some(Request::Retry) => return Ok(()),
                    Some(r) => self.offline(r),
                }
            }
        }
    }

    /// Connects, and reconnects with backoff, until the app goes or access is
    /// refused.
    async fn stay_connected(&mut self, requests: &mut Queue<Request>) -> Ended {
        let mut backoff = Backoff::new();
        loop {
            let reason = match Socket::connect(&self.api).await {
                Ok(socket) => match self.connected(socket, requests, &mut backoff).await {
                    Ended::Lost(reason) => reason,
                    ended => return ended,
                },
                Err(reason) => reason,
            };
            if let Err(ended) = self.wait_to_retry(reason, &mut backoff, requests).await {
                return ended;
            }
        }
    }

    /// Subscribes the project's two channels.
    async fn subscribe(&self, socket: &mut Socket, project_id: i64) -> Result<(), Ended> {
        for channel in [private_channel(project_id), presence_channel(project_id)] {
            let auth =
                self.api.authorize(&socket.socket_id, &channel).await.map_err(|e| match refusal(&e) {
                    Some(reason) => Ended::Refused(reason),
                    None => Ended::Lost(e.to_string()),
                })?;
            let frame = pusher::subscribe(&channel, Some(&auth.auth), auth.channel_data.as_deref());
            socket.send(frame).await.map_err(Ended::Lost)?;
        }
        Ok(())
    }

    async fn connected(
        &mut self,
        mut socket: Socket,
        requests: &mut Queue<Request>,
        backoff: &mut Backoff,
    ) -> Ended {
        // Subscriptions still to succeed before the app hears "connected".
        let mut waiting = 0;
        if let Some(pid) = self.project {
            if let Err(ended) = self.subscribe(&mut socket, pid).await {
                return ended;
            }
            waiting = 2;
        } else {
            backoff.reset();
            if let Err(ended) = self.tell(NetEvent::Connected).await {
                return ended;
            }
        }
        let mut last_heard = Instant::now();
        let mut ping_sent: Option<Instant> = None;
        loop {
            let check_at = match ping_sent {
                Some(at) => at + ANSWER_TIMEOUT,
                None => last_heard + socket.activity,
            };
            let step = tokio::select! {
                message = socket.next() => {
                    last_heard = Instant::now();
                    ping_sent = None;
                    match message {
                        Ok(Some(message)) => self.message(&mut socket, message, &mut waiting, backoff).await,
                        Ok(None) => Ok(()),
                        Err(reason) => Err(Ended::Lost(reason)),
                    }
                }
                request = requests.recv() => match request {
                    None => Err(Ended::Quit),
                    Some(request) => self.request(&mut socket, request, &mut waiting).await,
                },
                () = sleep_until(check_at) => {
                    if ping_sent.is_some() {
                        Err(Ended::Lost("the server stopped answering".into()))
                    } else {
                        ping_sent = Some(Instant::now());
                        socket.send(pusher::ping()).await.map_err(Ended::Lost)
                    }
                }
            };
            if let Err(ended) = step {
                return ended;
            }
        }
    }

    /// Acts on one message from the server.
    async fn message(
        &mut self,
        socket: &mut Socket,
        message: ServerMessage,
        waiting: &mut usize,
        backoff: &mut Backoff,
    ) -> Result<(), Ended> {
        let ours =
            |c: &str| self.project.is_some_and(|p| c == private_channel(p) || c == presence_channel(p));
        let event = match message {
            ServerMessage::Ping => return socket.send(pusher::pong()).await.map_err(Ended::Lost),
            ServerMessage::SubscriptionSucceeded { channel, presence } if ours(&channel) => {
                if let Some(list) = presence {
                    let members = list.into_iter().map(|(id, info)| member(id, info)).collect();
                    self.tell(NetEvent::Present(members)).await?;
                    // Those already here answer with where they point.
                    let ask = pusher::send_client_event(CURSOR_REQUEST_EVENT, &channel, &CursorRequest {});
                    socket.send(ask).await.map_err(Ended::Lost)?;
                }
                *waiting = waiting.saturating_sub(1);
                if *waiting > 0 {
                    return Ok(());
                }
                // Only a connection that got as far as its subscriptions counts as
                // a success: one refused after connecting must not be retried at
                // the shortest delay forever.
                backoff.reset();
                tracing::info!(server = self.api.base(), project = ?self.project, "online");
                self.last_failure = None;
                NetEvent::Connected
            }
            ServerMessage::SubscriptionError { channel, status, message } => {
                // Refused by the server's access check: waiting will not help.
                if ours(&channel) && matches!(status, Some(401 | 403)) {
                    return Err(Ended::Refused(format!("No access to this project ({message})")));
                }
                NetEvent::Failed(format!("Cannot join {channel}: {message}"))
            }
            ServerMessage::MemberAdded { channel, user_id, user_info } if ours(&channel) => {
                let (id, info) = member(user_id, user_info);
                NetEvent::Joined(id, info)
            }
            ServerMessage::MemberRemoved { channel, user_id } if ours(&channel) => NetEvent::Left(user_id),
            // A dropped cursor event (rate limit) is harmless: the next one follows.
            ServerMessage::Error { code: Some(pusher::code::CLIENT_EVENT_RATE_LIMIT), .. } => return Ok(()),
            ServerMessage::Error { message, .. } => NetEvent::Failed(format!("Server: {message}")),
            ServerMessage::Event { event, channel: Some(channel), data, user_id } if ours(&channel) => {
                if event == CURSOR_EVENT {
                    let (Some(user_id), Ok(pos)) = (user_id, serde_json::from_str::<Pointer>(&data)) else {
                        return Ok(());
                    };
                    NetEvent::Cursor { user_id, pos }
                } else if event == CURSOR_REQUEST_EVENT && channel.starts_with("presence-") {
                    NetEvent::CursorRequested
                } else if event == PROJECT_SWITCH_EVENT && channel.starts_with("presence-") {
                    let (Some(user_id), Ok(moved)) = (user_id, serde_json::from_str::<ProjectSwitch>(&data))
                    else {
                        return Ok(());
                    };
                    NetEvent::Switched { user_id, project_id: moved.project_id }
                } else if let Some(project_id) = self.project.filter(|p| channel == private_channel(*p)) {
                    if event == events::MEMBERS_CHANGED {
                        let Ok(changed) = serde_json::from_str::<MembersChanged>(&data) else {
                            tracing::debug!("members-changed that cannot be read");
                            return Ok(());
                        };
                        return self.tell(NetEvent::Members { project_id, members: changed.members }).await;
                    }
                    // Only the board's own events: whatever else arrives on the board
                    // channel did not come from a commit and must not move the
                    // revision.
                    match BoardEvent::from_json(&event, &data) {
                        Ok(board_event) => NetEvent::Board(Box::new(board_event)),
                        Err(e) => {
                            tracing::debug!(error = %e, "not a board event");
                            return Ok(());
                        }
                    }
                } else {
                    return Ok(());
                }
            }
            _ => return Ok(()),
        };
        self.tell(event).await
    }

    /// Carries out one request while connected.
    async fn request(
        &mut self,
        socket: &mut Socket,
        request: Request,
        waiting: &mut usize,
    ) -> Result<(), Ended> {
        match request {
            Request::Cursor(pos) => {
                if let Some(pid) = self.project {
                    let frame = pusher::send_client_event(CURSOR_EVENT, &presence_channel(pid), &pos);
                    socket.send(frame).await.map_err(Ended::Lost)?;
                }
            }
            Request::Open(pid) => {
                if let Some(old) = self.project.replace(pid) {
                    // Whoever follows this person there learns where they went.
                    let data = ProjectSwitch { project_id: pid };
                    let said = pusher::send_client_event(PROJECT_SWITCH_EVENT, &presence_channel(old), &data);
                    socket.send(said).await.map_err(Ended::Lost)?;
                    for channel in [private_channel(old), presence_channel(old)] {
                        socket.send(pusher::unsubscribe(&channel)).await.map_err(Ended::Lost)?;
                    }
                }
                self.subscribe(socket, pid).await?;
                *waiting = 2;
            }
            Request::Pause => return Err(Ended::Paused),
            other => self.offline(other),
        }
        Ok(())
    }

    /// Requests that need no socket.
    fn offline(&mut self, request: Request) {
        match request {
            Request::Open(pid) => self.project = Some(pid),
            Request::CatchUp { project_id, after, epoch } => self.catch_up(project_id, after, epoch),
            Request::Reload(pid) => self.fetch_board(pid),
            Request::Trash(pid) => self.fetch_trash(pid),
            Request::Comments(task_id) => self.fetch_comments(task_id),
            Request::Activity(project_id) => self.fetch_activity(project_id),
            // Offline, a cursor has nowhere to go; the app sends it again on return.
            Request::Cursor(_) => {}
            // Handled where the session waits.
            Request::Pause | Request::Retry => {}
        }
    }

    /// Fetches the events since `after` (of `epoch`); when they are gone, are of
    /// another history, or cannot be read, the whole board instead.
    fn catch_up(&self, project_id: i64, after: u64, epoch: u64) {
        let (api, app) = (self.api.clone(), self.app.clone());
        tokio::spawn(async move {
            let event = match api.events_after(project_id, after, epoch).await {
                Ok(Some(caught)) => {
                    if let Some(members) = caught.members {
                        let _ = app.send(Action::Net(NetEvent::Members { project_id, members })).await;
                    }
                    NetEvent::Missed(caught.events)
                }
                Ok(None) | Err(ApiError::Garbled(_)) => {
                    let _ = app.send(Action::Net(NetEvent::Gone)).await;
                    board_event(api.board(project_id).await)
                }
                Err(e) => match refusal(&e) {
                    Some(reason) => NetEvent::Refused(reason),
                    None => NetEvent::NotRead { read: Read::Board, message: format!("Cannot catch up: {e}") },
                },
            };
            let _ = app.send(Action::Net(event)).await;
        });
    }

    fn fetch_trash(&self, project_id: i64) {
        let (api, app) = (self.api.clone(), self.app.clone());
        tokio::spawn(async move {
            let event = match api.trash(project_id).await {
                Ok(trash) => NetEvent::Trash { project_id, trash },
                Err(e) => {
                    NetEvent::NotRead { read: Read::Trash, message: format!("Cannot open the trash: {e}") }
                }
            };
            let _ = app.send(Action::Net(event)).await;
        });
    }

    fn fetch_activity(&self, project_id: i64) {
        let (api, app) = (self.api.clone(), self.app.clone());
        tokio::spawn(async move {
            let event = match api.activity(project_id).await {
                Ok(lines) => NetEvent::Activity { project_id, lines },
                Err(e) => NetEvent::NotRead {
                    read: Read::History,
                    message: format!("Cannot read the history: {e}"),
                },
            };
            let _ = app.send(Action::Net(event)).await;
        });
    }

    fn fetch_comments(&self, task_id: i64) {
        let (api, app) = (self.api.clone(), self.app.clone());
        tokio::spawn(async move {
            let event = match tokio::join!(api.comments(task_id), api.history(task_id)) {
                (Ok(comments), Ok(history)) => NetEvent::Comments { task_id, comments, history },
                (Err(e), _) | (_, Err(e)) => NetEvent::NotRead {
                    read: Read::Thread,
                    message: format!("Cannot read the card's comments: {e}"),
                },
            };
            let _ = app.send(Action::Net(event)).await;
        });
    }

    fn fetch_board(&self, pid: i64) {
        let (api, app) = (self.api.clone(), self.app.clone());
        tokio::spawn(async move {
            let _ = app.send(Action::Net(board_event(api.board(pid).await))).await;
        });
    }
}

/// What a board fetch tells the app.
fn board_event(answer: Result<Board, ApiError>) -> NetEvent {
    match answer {
        Ok(b) => NetEvent::Snapshot(b),
        Err(e) => match refusal(&e) {
            Some(reason) => NetEvent::Refused(reason),
            None => NetEvent::NotRead { read: Read::Board, message: format!("Cannot load the board: {e}") },
        },
    }
}

/// A presence member as the app keeps it; a `user_info` that is not ours shows
/// the id in grey.
fn member(id: String, info: Value) -> (String, UserInfo) {
    let info = serde_json::from_value::<UserInfo>(info)
        .unwrap_or_else(|_| UserInfo { name: id.clone(), color: "#888888".into() });
    (id, info)
}
