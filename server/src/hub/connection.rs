//! One WebSocket connection: the Pusher v7 handshake, then a loop that reads client
//! frames, writes queued frames, and watches the activity timeout and shutdown.
//!
//! The task owns its socket; other tasks reach it only through its [`Outbox`]. A
//! failing connection ends itself and never affects another.

use std::collections::{HashMap, VecDeque};
use std::future::poll_fn;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use hyper::upgrade::OnUpgrade;
use kanban_protocol::channel::ChannelKind;
use kanban_protocol::pusher::{self, ClientFrame, SubscribeData, UnsubscribeData, code, event};
use kanban_protocol::sign;
use tokio::time::{Instant, sleep_until, timeout};
use tungstenite::protocol::frame::coding::Control;

use super::client_event;
use super::rate_limit::TokenBucket;
use super::socket::{Incoming, Socket, Upgraded};
use super::{Ending, Frame, Hub, Outbox};
use crate::metrics::Metrics;

/// What a client frame asks for.
enum Handled {
    /// This reply, at once.
    Reply(String),
    /// Nothing to answer directly.
    Quiet,
    /// A subscription, which may have to wait for its access check.
    Subscribe(SubscribeData),
}

/// Why the loop ended, and what close frame (if any) to send.
type Close = Option<(u16, &'static str)>;

/// How a write went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wrote {
    Done,
    /// The peer is gone or did not take the bytes in time.
    Gone,
    /// The connection was asked to end meanwhile (its outbox overflowed, or its
    /// access changed).
    Ended(Ending),
}

pub(super) struct Connection {
    pub(super) hub: Hub,
    pub(super) conn_id: u64,
    pub(super) socket_id: Arc<str>,
    pub(super) outbox: Arc<Outbox>,
    /// Subscribed channels, with the presence member (user id and client event
    /// budget) where there is one.
    pub(super) channels: HashMap<String, Option<client_event::Member>>,
    limiter: TokenBucket,
    /// The user signed in (`pusher:signin`), with their watchlist. Boxed: most
    /// connections never sign in, and each holds this for its whole life.
    pub(super) user: Option<Box<SignedIn>>,
}

/// The user a connection signed in as, and whom they watch.
pub(super) struct SignedIn {
    pub(super) id: Arc<str>,
    watchlist: Vec<Arc<str>>,
}

/// What `pusher:signin` carries.
#[derive(serde::Deserialize)]
struct SigninData {
    auth: String,
    user_data: String,
}

/// What a signed `user_data` holds that the server uses (the rest is the app's).
#[derive(serde::Deserialize)]
struct UserData {
    id: String,
    #[serde(default)]
    watchlist: Vec<String>,
}

/// The most users a watchlist may name (Pusher's limit).
const MAX_WATCHLIST: usize = 100;

/// Serves the WebSocket `upgrade` becomes until it closes or the hub shuts down.
/// An `async move` block rather than an `async fn`: the block keeps its captures
/// once, where an `async fn` would hold its arguments twice (as arguments and as
/// moved locals), and this future lives as long as the connection. The upgrade is
/// awaited here too, so that no wrapper future keeps a second copy of the socket.
#[expect(clippy::manual_async_fn, reason = "an async fn would hold its arguments twice")]
pub(super) fn run(
    hub: Hub,
    upgrade: OnUpgrade,
    app_key: String,
    protocol: Option<u32>,
) -> impl Future<Output = ()> + Send + 'static {
    async move {
        let upgraded = match upgrade.await {
            Ok(upgraded) => upgraded,
            Err(e) => {
                tracing::debug!(error = %e, "WebSocket upgrade failed");
                return;
            }
        };
        let mut socket = Socket::new(Upgraded::new(upgraded), hub.limits().max_frame_bytes);
        if app_key != hub.app().key {
            refuse(&mut socket, code::APP_NOT_FOUND, "App key not found").await;
            return;
        }
        if protocol.is_some_and(|v| !(5..=7).contains(&v)) {
            refuse(&mut socket, code::UNSUPPORTED_PROTOCOL, "Unsupported protocol version").await;
            return;
        }
        let shared = &hub.shared;
        let Some(_place) = hub.admit() else {
            Metrics::add(&shared.metrics.connections_refused, 1);
            refuse(&mut socket, code::OVER_CAPACITY, "Over capacity").await;
            return;
        };
        Metrics::add(&shared.metrics.connections_opened, 1);
        let conn_id = shared.next_conn_id.fetch_add(1, Ordering::Relaxed);
        let socket_id: Arc<str> = format!("{}.{}", rand::random::<u32>(), conn_id).into();
        let outbox = Outbox::new(shared.limits.outbound_queue);
        let mut conn = Connection {
            limiter: TokenBucket::new(shared.limits.client_events_per_second),
            hub: hub.clone(),
            conn_id,
            socket_id,
            outbox,
            channels: HashMap::new(),
            user: None,
        };
        let mut batch = VecDeque::new();
        let close = conn.serve(&mut socket, &mut batch).await;
        conn.leave_all();
        conn.outbox.close();
        if let Some((code, reason)) = close {
            let finish = async {
                // A frame cut off by the ending goes out whole before the close.
                if socket.mid_frame() {
                    poll_fn(|cx| socket.poll_write(cx, &mut batch)).await?;
                }
                socket.write_close(code, reason).await
            };
            // Boxed: the close's state is for the last moment only.
            let _ = timeout(hub.limits().write_timeout, Box::pin(finish)).await;
        }
        Metrics::add(&shared.metrics.connections_closed, 1);
    }
}

/// Tells a client why it cannot stay (as `pusher:error`, then the close code).
async fn refuse(socket: &mut Socket<Upgraded>, code: u16, message: &'static str) {
    let mut error = VecDeque::from([Frame::from(pusher::error(Some(code), message))]);
    let write = async {
        poll_fn(|cx| socket.poll_write(cx, &mut error)).await?;
        socket.write_close(code, message).await
    };
    // Boxed: a refused connection's state is no part of a served one's.
    let _ = Box::pin(write).await;
}

impl Connection {
    /// Serves until the connection is to end; `batch` holds the frames being
    /// written (at the end, at most one cut off in the middle).
    async fn serve(&mut self, socket: &mut Socket<Upgraded>, batch: &mut VecDeque<Frame>) -> Close {
        let (activity_timeout, pong_timeout) =
            (self.hub.limits().activity_timeout, self.hub.limits().pong_timeout);
        let mut shutdown = self.hub.shutdown_signal();
        if *shutdown.borrow_and_update() {
            return Some((code::RECONNECT, "Server shutting down"));
        }
        let hello = pusher::connection_established(&self.socket_id, activity_timeout.as_secs());
        let mut wrote = self.write(socket, batch, hello.into()).await;
        let mut last_heard = Instant::now();
        let mut ping_sent: Option<Instant> = None;
        let mut check_at = last_heard + activity_timeout;
        loop {
            match wrote {
                Wrote::Done => {}
                Wrote::Gone => return None,
                Wrote::Ended(Ending::Slow) => return self.slow_consumer(),
                Wrote::Ended(Ending::Reconnect) => {
                    return Some((code::RECONNECT, "Access changed: reconnect and subscribe again"));
                }
                Wrote::Ended(Ending::Terminated) => {
                    return Some((code::UNAUTHORIZED, "Connection terminated by the app"));
                }
            }
            wrote = tokio::select! {
                biased;
                _ = shutdown.changed() => return Some((code::RECONNECT, "Server shutting down")),
                why = self.outbox.ending() => Wrote::Ended(why),
                () = self.outbox.take(batch) => self.write_batch(socket, batch).await,
                msg = poll_fn(|cx| socket.poll_read(cx)) => {
                    let msg = match msg {
                        Ok(msg) => msg,
                        Err(e) => {
                            tracing::debug!(socket_id = %self.socket_id, error = %e, "read failed");
                            return e.close();
                        }
                    };
                    last_heard = Instant::now();
                    ping_sent = None;
                    Metrics::add(&self.hub.metrics().messages_in, 1);
                    match msg {
                        Incoming::Text(text) => match self.handle_text(&text) {
                            Handled::Reply(reply) => self.write(socket, batch, reply.into()).await,
                            Handled::Quiet => Wrote::Done,
                            // Boxed: only a subscribing connection pays for the
                            // check's state, not every idle one.
                            Handled::Subscribe(data) => match Box::pin(self.subscribe(data)).await {
                                Some(reply) => self.write(socket, batch, reply.into()).await,
                                None => Wrote::Done,
                            },
                        },
                        Incoming::Binary => {
                            let reply = pusher::error(Some(code::REJECTED), "Binary frames are not supported");
                            self.write(socket, batch, reply.into()).await
                        }
                        // Answered with a close of our own, as RFC 6455 asks.
                        Incoming::Close(_) => return Some((1000, "")),
                        Incoming::Ping(payload) => {
                            // Boxed: WebSocket pings are rare (Pusher clients ping in JSON).
                            let pong = Box::pin(socket.write_control(Control::Pong, &payload));
                            self.guarded(pong).await
                        }
                        Incoming::Pong => Wrote::Done,
                    }
                }
                () = sleep_until(check_at) => {
                    let now = Instant::now();
                    if let Some(sent) = ping_sent {
                        if now >= sent + pong_timeout {
                            return Some((code::PONG_NOT_RECEIVED, "Pong reply not received"));
                        }
                        check_at = sent + pong_timeout;
                        Wrote::Done
                    } else if now >= last_heard + activity_timeout {
                        ping_sent = Some(now);
                        check_at = now + pong_timeout;
                        self.write(socket, batch, pusher::ping().into()).await
                    } else {
                        check_at = last_heard + activity_timeout;
                        Wrote::Done
                    }
                }
            };
        }
    }

    /// Writes one frame (through `batch`, empty between writes) and flushes.
    async fn write(&self, socket: &mut Socket<Upgraded>, batch: &mut VecDeque<Frame>, frame: Frame) -> Wrote {
        batch.push_back(frame);
        self.write_batch(socket, batch).await
    }

    /// Writes the frames taken from the outbox with one flush, and empties `batch`
    /// but for a frame the write was cut off in the middle of.
    async fn write_batch(&self, socket: &mut Socket<Upgraded>, batch: &mut VecDeque<Frame>) -> Wrote {
        Metrics::add(&self.hub.metrics().messages_out, batch.len() as u64);
        let wrote = self.guarded(poll_fn(|cx| socket.poll_write(cx, batch))).await;
        batch.truncate(usize::from(socket.mid_frame()));
        // Its room is given back: an idle connection holds no queue (the outbox
        // took the room the previous batch had), and one allocation a batch costs
        // far less than the batch's write.
        batch.shrink_to(0);
        wrote
    }

    /// Runs a write with the write timeout, giving up at once when the connection
    /// is asked to end meanwhile (e.g. its outbox overflowed): a peer that stopped
    /// reading blocks its own writes, and must not block its own disconnection too.
    async fn guarded<E>(&self, write: impl std::future::Future<Output = Result<(), E>>) -> Wrote {
        tokio::select! {
            result = timeout(self.hub.limits().write_timeout, write) => match result {
                Ok(Ok(())) => Wrote::Done,
                Ok(Err(_)) | Err(_) => Wrote::Gone,
            },
            why = self.outbox.ending() => Wrote::Ended(why),
        }
    }

    /// Counts and logs a slow consumer; the close it gets.
    fn slow_consumer(&self) -> Close {
        Metrics::add(&self.hub.metrics().slow_consumers, 1);
        tracing::info!(socket_id = %self.socket_id, "closing a slow consumer");
        Some((code::OVER_CAPACITY, "Slow consumer: too many queued messages"))
    }

    /// Acts on one client frame; says what is left to do. Replies that belong to a
    /// channel go through the outbox to keep their order.
    fn handle_text(&mut self, text: &str) -> Handled {
        let reject = |message: &str| Handled::Reply(pusher::error(Some(code::REJECTED), message));
        let frame = match ClientFrame::parse(text) {
            Ok(f) => f,
            Err(e) => return reject(&format!("Malformed frame: {e}")),
        };
        match frame.event.as_ref() {
            event::PING => Handled::Reply(pusher::pong()),
            event::PONG => Handled::Quiet,
            event::SIGNIN => self.signin(frame.data),
            event::SUBSCRIBE => match pusher::parse_data::<SubscribeData>(frame.data) {
                Ok(data) => Handled::Subscribe(data),
                Err(e) => reject(&format!("Malformed subscribe data: {e}")),
            },
            event::UNSUBSCRIBE => match pusher::parse_data::<UnsubscribeData>(frame.data) {
                Ok(data) => {
                    for name in data.channel.into_iter().chain(data.channels.into_iter().flatten()) {
                        if self.channels.remove(&name).is_some() {
                            self.hub.adapter().unsubscribe(&name, self.conn_id);
                        }
                    }
                    Handled::Quiet
                }
                Err(e) => reject(&format!("Malformed unsubscribe data: {e}")),
            },
            name if name.starts_with(event::CLIENT_PREFIX) => match self.client_event(&frame) {
                Some(reply) => Handled::Reply(reply),
                None => Handled::Quiet,
            },
            name => reject(&format!("Unsupported event {name:?}")),
        }
    }

    fn client_event(&mut self, frame: &ClientFrame<'_>) -> Option<String> {
        let reject = |message: &str| Some(pusher::error(Some(code::REJECTED), message));
        let Some(name) = frame.channel.as_deref() else {
            return reject("Client events need a channel");
        };
        if ChannelKind::of(name) == ChannelKind::Public {
            return reject("Client events are only allowed on private and presence channels");
        }
        if kanban_protocol::channel::is_encrypted(name) {
            // As Pusher: the server cannot tell sealed from plain, so nothing a
            // client sends is relayed on a channel whose readers trust it sealed.
            return reject("Client events are not allowed on encrypted channels");
        }
        let Some(member) = self.channels.get(name) else {
            return reject(&format!("Not subscribed to {name}"));
        };
        let Some(data) = frame.data else {
            return reject("Client events need data");
        };
        let sender = client_event::Sender {
            socket_id: &self.socket_id,
            member: member.as_ref(),
            limiter: &mut self.limiter,
        };
        client_event::relay(&self.hub, name, &frame.event, data, sender).err().map(|refused| refused.frame())
    }

    /// Signs the connection in as the user `data` names, when its signature is
    /// the app's (`pusher:signin`): its reply, `pusher:signin_success` or a
    /// `pusher:error` 4009 that leaves the connection as it was. The success
    /// goes through the outbox, followed by who of the watchlist is online.
    fn signin(&mut self, data: Option<&serde_json::value::RawValue>) -> Handled {
        let refuse = |message: &str| Handled::Reply(pusher::error(Some(code::UNAUTHORIZED), message));
        let Ok(signin) = pusher::parse_data::<SigninData>(data) else {
            return refuse("pusher:signin needs auth and user_data");
        };
        let app = self.hub.app();
        let (sid, data) = (&*self.socket_id, signin.user_data.as_str());
        // Signed by an app's backend with the secret, or by the board's endpoint
        // with the grant of the token that asked (which the sign-in lasts with).
        let grant = if sign::verify_user_auth(&app.key, &app.secret, &signin.auth, sid, data) {
            None
        } else {
            match sign::verify_granted_user_auth(&app.key, &app.secret, &signin.auth, sid, data) {
                Some(grant) => Some(grant),
                None => return refuse("Invalid signin signature"),
            }
        };
        let user: UserData = match serde_json::from_str(&signin.user_data) {
            Ok(user) => user,
            Err(e) => return refuse(&format!("Invalid user_data: {e}")),
        };
        if kanban_protocol::channel::validate_name(&user.id).is_err() {
            return refuse("user_data's id must be 1 to 200 characters of A-Z a-z 0-9 _ - = @ , . ;");
        }
        if user.watchlist.len() > MAX_WATCHLIST {
            return refuse(&format!("A watchlist names at most {MAX_WATCHLIST} users"));
        }
        self.sign_out();
        let id: Arc<str> = user.id.into();
        let watchlist: Vec<Arc<str>> = user.watchlist.into_iter().map(Arc::from).collect();
        let sub = super::Subscriber {
            conn_id: self.conn_id,
            socket_id: self.socket_id.clone(),
            outbox: self.outbox.clone(),
        };
        // The success first, then who of the watchlist is online already, then
        // who comes and goes.
        self.outbox.push(Frame::from(pusher::signin_success(&signin.user_data)));
        let adapter = self.hub.adapter();
        adapter.sign_in(&id, &sub, grant, &watchlist);
        let online: Vec<Arc<str>> = watchlist
            .iter()
            .filter(|w| !adapter.members(&super::users::online_channel(w)).is_empty())
            .cloned()
            .collect();
        // Online now: present on the user's `presence-#online-<id>` through a
        // subscriber never read (see `users`).
        let place = super::Subscriber { outbox: super::users::nobody(), ..sub };
        let member = super::PresenceMember { user_id: id.to_string(), user_info: None };
        if let Err(e) = adapter.subscribe(&super::users::online_channel(&id), place, Some(member), None) {
            tracing::warn!(error = %e, "a signed-in user's online place refused");
        }
        self.user = Some(Box::new(SignedIn { id, watchlist }));
        if !online.is_empty() {
            let online: Vec<&str> = online.iter().map(|u| &**u).collect();
            self.outbox.push(Frame::from(pusher::watchlist_event(true, &online)));
        }
        Handled::Quiet
    }

    /// Signs the connection out of its user, if it is signed in.
    fn sign_out(&mut self) {
        if let Some(SignedIn { id: user, watchlist }) = self.user.take().map(|signed| *signed) {
            let own = format!("{}{user}", kanban_protocol::channel::SERVER_TO_USER);
            if self.channels.remove(&own).is_some() {
                self.hub.adapter().unsubscribe(&own, self.conn_id);
            }
            self.hub.adapter().unsubscribe(&super::users::online_channel(&user), self.conn_id);
            self.hub.adapter().sign_out(&user, self.conn_id, &watchlist);
        }
    }

    /// Leaves every channel (member_removed goes out where this was the last tab).
    fn leave_all(&mut self) {
        self.sign_out();
        for (name, _) in self.channels.drain() {
            self.hub.adapter().unsubscribe(&name, self.conn_id);
        }
    }
}
