//! The session: who we are, the open project's channels (subscribed with
//! signatures from the auth endpoint) and reconnects with backoff when the socket
//! drops. What the server's messages mean and what the app's requests ask of the
//! channels is the front end's link ([`kanban_front::link`]), shared with SSH
//! sessions; this is its WebSocket and REST transport. Reads run beside it (over
//! REST, [`super::reads`]), so a slow request never holds up the socket. The
//! board's changes go through the writer ([`super::writer`]), not through here.

use kanban_front::link::{Link, Out, reads};
use kanban_protocol::channel::{presence_channel, private_channel};
use kanban_protocol::pusher::{self, ServerMessage};
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};

use super::api::{Api, ApiError};
use super::backoff::Backoff;
use super::socket::{ANSWER_TIMEOUT, Socket};
use crate::app::{Action, NetEvent, Request};
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
    link: Link,
    /// Why the last try failed: a long outage logs its reason once, not every
    /// few seconds.
    last_failure: Option<String>,
}

/// Runs until the app drops its request sender.
pub async fn run(api: Api, app: mpsc::Sender<Action>, mut requests: Queue<Request>) {
    let mut session = Session { api, app, link: Link::default(), last_failure: None };
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
        session.link = Link::default();
    }
}

/// The refusal waiting will not change, if `e` is one: the token is no longer
/// accepted (401), or the project is not ours (403, 404). Not for writes, where 403
/// and 404 concern one card or one role.
pub(super) fn refusal(e: &ApiError) -> Option<String> {
    match e {
        ApiError::Refused { status: 401, message } => Some(format!(
            "The server no longer accepts your token ({message}): sign in again (kanban-tui login), \
                 or ask its admin for a new one"
        )),
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
                    // Their own channel is joined on every connection from now on.
                    self.link.set_me(me.id);
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

    /// Subscribes the person's own channel (their notifications, whatever board
    /// is open). A refusal here refuses nothing else: the boards work without it
    /// (a server that does not have it yet, say).
    async fn subscribe_mine(&self, socket: &mut Socket) -> Result<(), Ended> {
        let Some(channel) = self.link.user_channel().map(str::to_string) else { return Ok(()) };
        match self.api.authorize(&socket.socket_id, &channel).await {
            Ok(auth) => {
                let frame = pusher::subscribe(&channel, Some(&auth.auth), auth.channel_data.as_deref());
                socket.send(frame).await.map_err(Ended::Lost)
            }
            // Logged, not said at every connection: the count is read on each
            // one anyway, and only its live changes are missed.
            Err(e @ ApiError::Refused { .. }) => {
                tracing::warn!(error = %e, "the person's own channel is refused");
                Ok(())
            }
            Err(e) => Err(Ended::Lost(e.to_string())),
        }
    }

    async fn connected(
        &mut self,
        mut socket: Socket,
        requests: &mut Queue<Request>,
        backoff: &mut Backoff,
    ) -> Ended {
        if let Err(ended) = self.subscribe_mine(&mut socket).await {
            return ended;
        }
        if let Some(pid) = self.link.rejoin() {
            if let Err(ended) = self.subscribe(&mut socket, pid).await {
                return ended;
            }
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
                        Ok(Some(message)) => self.message(&mut socket, message, backoff).await,
                        Ok(None) => Ok(()),
                        Err(reason) => Err(Ended::Lost(reason)),
                    }
                }
                request = requests.recv() => match request {
                    None => Err(Ended::Quit),
                    Some(request) => self.request(&mut socket, request, backoff).await,
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
        backoff: &mut Backoff,
    ) -> Result<(), Ended> {
        if matches!(message, ServerMessage::Ping) {
            return socket.send(pusher::pong()).await.map_err(Ended::Lost);
        }
        for out in self.link.hear(message) {
            self.carry(socket, out, backoff).await?;
        }
        Ok(())
    }

    /// Carries out one request while connected.
    async fn request(
        &mut self,
        socket: &mut Socket,
        request: Request,
        backoff: &mut Backoff,
    ) -> Result<(), Ended> {
        if matches!(request, Request::Pause) {
            return Err(Ended::Paused);
        }
        for out in self.link.request(request) {
            self.carry(socket, out, backoff).await?;
        }
        Ok(())
    }

    /// Does what the link asks, over the socket.
    async fn carry(&mut self, socket: &mut Socket, out: Out, backoff: &mut Backoff) -> Result<(), Ended> {
        match out {
            Out::Tell(event) => self.tell(event).await,
            Out::Say { project_id, event } => {
                let frame = pusher::send_client_event(event.name(), &presence_channel(project_id), &event);
                socket.send(frame).await.map_err(Ended::Lost)
            }
            Out::Leave(pid) => {
                for channel in [private_channel(pid), presence_channel(pid)] {
                    socket.send(pusher::unsubscribe(&channel)).await.map_err(Ended::Lost)?;
                }
                Ok(())
            }
            Out::Join(pid) => self.subscribe(socket, pid).await,
            Out::Read(read) => {
                reads::spawn(&self.api, &self.app, read);
                Ok(())
            }
            Out::Online => {
                // Only a connection that got as far as its subscriptions counts as
                // a success: one refused after connecting must not be retried at
                // the shortest delay forever.
                backoff.reset();
                tracing::info!(server = self.api.base(), project = ?self.link.project(), "online");
                self.last_failure = None;
                Ok(())
            }
            Out::Refused(reason) => Err(Ended::Refused(reason)),
        }
    }

    /// Requests that need no socket: the project to open when it connects, and
    /// reads (REST works while the socket is down: snapshots and catch-ups go on).
    /// Offline, a cursor has nowhere to go; the app sends it again on return.
    fn offline(&mut self, request: Request) {
        for out in self.link.request(request) {
            if let Out::Read(read) = out {
                reads::spawn(&self.api, &self.app, read);
            }
        }
    }
}
