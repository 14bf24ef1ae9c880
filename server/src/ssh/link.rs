//! An SSH session's network side, in the server's own process: what kanban-tui's
//! session and writer do over the WebSocket and REST, done on the hub, the store
//! and the writer directly. The app asks in its own terms ([`Request`],
//! [`Change`]) and hears back in them ([`NetEvent`]); the session is a subscriber
//! of the project's two channels like any socket, so a WebSocket user and an SSH
//! user see each other's presence, cursors and changes.
//!
//! Access is the key's: every subscription and every write first asks whether
//! the key is still its user's, and when access changes anywhere (the access
//! watcher's news) the session asks again, ending when the key is gone.

use std::collections::VecDeque;

use kanban_front::app::{Action, Change, NetEvent, Read, Request};
use kanban_front::dispatch::{Dispatch, Queue};
use kanban_protocol::channel::{presence_channel, private_channel};
use kanban_protocol::client_event::ProjectSwitch;
use kanban_protocol::event::BoardEvent;
use kanban_protocol::model::{
    CURSOR_EVENT, CURSOR_REQUEST_EVENT, MembersChanged, PROJECT_SWITCH_EVENT, Pointer, UserInfo, events,
};
use kanban_protocol::pusher::ServerMessage;
use serde_json::value::RawValue;
use tokio::sync::mpsc;

use crate::api::AppState;
use crate::board::{Current, OpError, Write};
use crate::hub::client_event::{self, Member};
use crate::hub::rate_limit::TokenBucket;
use crate::hub::{Ending, PresenceMember, Subscriber};
use crate::store::{EventsAfter, HOST_ACCOUNT, KeyHolder, StoreError};

/// Why a session's link ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    /// The app went away (the person quit, or the SSH channel closed).
    Quit,
    /// The key that opened the session is no longer its user's.
    KeyGone,
    /// The server is stopping.
    Stopping,
    /// No key was pressed for the idle timeout (the board's own loop says so).
    Idle,
}

/// Starts the link of `holder`'s session: the app sends its commands through the
/// dispatch returned. Its task ends (with why) when the app drops the dispatch,
/// the key goes, or the server stops.
pub fn start(
    state: AppState,
    holder: KeyHolder,
    app: mpsc::Sender<Action>,
) -> (Dispatch, tokio::task::JoinHandle<Ended>) {
    let (dispatch, requests, writes) = kanban_front::dispatch::channels();
    tokio::spawn(write_all(state.clone(), holder.clone(), app.clone(), writes));
    let limiter = TokenBucket::new(state.hub.limits().client_events_per_second);
    let sub = state.hub.local_subscriber();
    let session = Session { state, holder, app, project: None, sub, waiting: 0, limiter, member: None };
    (dispatch, tokio::spawn(session.run(requests)))
}

struct Session {
    state: AppState,
    holder: KeyHolder,
    app: mpsc::Sender<Action>,
    project: Option<i64>,
    sub: Subscriber,
    /// Subscriptions still to succeed before the app hears "connected".
    waiting: usize,
    limiter: TokenBucket,
    /// This person's place on the open project's presence channel (their client
    /// event budget there, shared with their other sessions and sockets).
    member: Option<Member>,
}

impl Session {
    async fn run(mut self, mut requests: Queue<Request>) -> Ended {
        let ended = self.serve(&mut requests).await;
        self.leave();
        ended
    }

    async fn serve(&mut self, requests: &mut Queue<Request>) -> Ended {
        let mut news = self.state.hub.access_news();
        let mut stopping = self.state.hub.shutdown_signal();
        if let Err(ended) = self.introduce().await {
            return ended;
        }
        let mut frames = VecDeque::new();
        loop {
            let outbox = self.sub.outbox.clone();
            let step = tokio::select! {
                request = requests.recv() => match request {
                    None => Err(Ended::Quit),
                    Some(request) => self.request(request).await,
                },
                () = outbox.take(&mut frames) => {
                    let mut result = Ok(());
                    for frame in frames.drain(..) {
                        result = self.frame(&frame).await;
                        if result.is_err() {
                            break;
                        }
                    }
                    result
                }
                // Access to one of our channels was taken away (or we fell behind):
                // join again, authorized anew, as a socket would reconnect.
                _ = outbox.ending() => self.rejoin().await,
                changed = news.changed() => match changed {
                    Ok(()) => self.check_key().await,
                    Err(_) => Err(Ended::Stopping),
                },
                () = async { let _ = stopping.wait_for(|s| *s).await; } => Err(Ended::Stopping),
            };
            if let Err(ended) = step {
                return ended;
            }
        }
    }

    /// Sends the app one event; `Err` when it has gone.
    async fn tell(&self, event: NetEvent) -> Result<(), Ended> {
        self.app.send(Action::Net(event)).await.map_err(|_| Ended::Quit)
    }

    /// Who we are and what we may open, as the session's first words.
    async fn introduce(&mut self) -> Result<(), Ended> {
        self.check_key().await?;
        let user = self.holder.user.clone();
        match self.state.store.projects_of(user.id).await {
            Ok(projects) => {
                self.tell(NetEvent::Me(user)).await?;
                self.tell(NetEvent::Projects(projects)).await?;
                self.tell(NetEvent::Connected).await
            }
            Err(e) => self.tell(NetEvent::Failed(format!("Cannot read your projects: {e}"))).await,
        }
    }

    /// Ends the session when its key is no longer its user's. A store that
    /// cannot say now keeps the session: the next news asks again.
    async fn check_key(&self) -> Result<(), Ended> {
        let KeyHolder { key_id, user } = &self.holder;
        match self.state.store.ssh_key_is_live(*key_id, user.id).await {
            Ok(true) => Ok(()),
            Ok(false) => Err(Ended::KeyGone),
            Err(e) => {
                tracing::warn!(error = %e, "cannot check an SSH session's key");
                Ok(())
            }
        }
    }

    async fn request(&mut self, request: Request) -> Result<(), Ended> {
        match request {
            Request::Open(pid) => {
                if let Some(old) = self.project {
                    // Whoever follows this person there learns where they went;
                    // then the old board is left (while it is still the one held).
                    let data = serde_json::to_string(&ProjectSwitch { project_id: pid }).expect("serializes");
                    self.client_event(old, PROJECT_SWITCH_EVENT, &data);
                    self.leave();
                }
                self.project = Some(pid);
                self.join(pid).await?;
            }
            Request::Cursor(pos) => {
                if let Some(pid) = self.project {
                    let data = serde_json::to_string(&pos).expect("a pointer serializes");
                    self.client_event(pid, CURSOR_EVENT, &data);
                }
            }
            Request::CatchUp { project_id, after, epoch } => self.catch_up(project_id, after, epoch),
            Request::Reload(pid) => self.fetch_board(pid),
            Request::Trash(pid) => self.spawn_read(move |state, user_id| async move {
                match state.store.trash(pid, user_id).await {
                    Ok(trash) => NetEvent::Trash { project_id: pid, trash },
                    Err(e) => not_read(Read::Trash, "Cannot open the trash", e),
                }
            }),
            Request::Comments(task_id) => self.spawn_read(move |state, user_id| async move {
                let store = &*state.store;
                let history = crate::activity::read(store, user_id, None, Some(task_id), None, 50);
                match tokio::join!(store.comments(task_id, user_id), history) {
                    (Ok(comments), Ok(history)) => NetEvent::Comments { task_id, comments, history },
                    (Err(e), _) | (_, Err(e)) => not_read(Read::Thread, "Cannot read the card's comments", e),
                }
            }),
            Request::Activity(pid) => self.spawn_read(move |state, user_id| async move {
                match crate::activity::read(&*state.store, user_id, Some(pid), None, None, 50).await {
                    Ok(lines) => NetEvent::Activity { project_id: pid, lines },
                    Err(e) => not_read(Read::History, "Cannot read the history", e),
                }
            }),
            // Refused for good: the app asks again with Retry, which starts over.
            Request::Pause => self.leave(),
            Request::Retry => {
                self.introduce().await?;
                if let Some(pid) = self.project {
                    self.join(pid).await?;
                    self.fetch_board(pid);
                }
            }
        }
        Ok(())
    }

    /// Subscribes to the project's two channels, as a member at this moment.
    async fn join(&mut self, pid: i64) -> Result<(), Ended> {
        self.check_key().await?;
        let hub = &self.state.hub;
        let epoch = hub.access_epoch();
        let user = &self.holder.user;
        let rev = match self.state.store.token_access(HOST_ACCOUNT, user.id, pid).await {
            Ok(Some((_, rev))) => rev,
            Ok(None) => {
                return self.tell(NetEvent::Refused("No access to this project (not a member)".into())).await;
            }
            Err(e) => return self.tell(NetEvent::Failed(format!("Cannot join the project: {e}"))).await,
        };
        let info = serde_json::to_string(&UserInfo { name: user.name.clone(), color: user.color.clone() })
            .expect("user info serializes");
        let member = PresenceMember {
            user_id: user.id.to_string(),
            user_info: Some(RawValue::from_string(info).expect("valid JSON")),
        };
        let adapter = hub.adapter();
        if let Err(e) = adapter.subscribe(&private_channel(pid), self.sub.clone(), None, Some(rev)) {
            return self.tell(NetEvent::Failed(format!("Cannot join the board: {e}"))).await;
        }
        let presence = presence_channel(pid);
        if let Err(e) = adapter.subscribe(&presence, self.sub.clone(), Some(member), None) {
            return self.tell(NetEvent::Failed(format!("Cannot join the board: {e}"))).await;
        }
        self.member = Some(hub.member(&presence, &user.id.to_string()));
        self.waiting = 2;
        if hub.access_epoch() != epoch {
            // Access changed while it was checked: its sweep may have missed us.
            self.sub.outbox.end(Ending::Reconnect);
        }
        Ok(())
    }

    /// Leaves the project's channels (telling the others), ready to join again.
    fn leave(&mut self) {
        if let Some(pid) = self.project {
            let adapter = self.state.hub.adapter();
            adapter.unsubscribe(&private_channel(pid), self.sub.conn_id);
            adapter.unsubscribe(&presence_channel(pid), self.sub.conn_id);
        }
        self.member = None;
        // A queue that was asked to end stays so: the next join has a new one.
        self.sub.outbox.close();
        self.sub = self.state.hub.local_subscriber();
    }

    /// Joins again after the hub asked us to (access changed on our channels).
    async fn rejoin(&mut self) -> Result<(), Ended> {
        self.leave();
        match self.project {
            // Joining checks the key first.
            Some(pid) => self.join(pid).await,
            None => self.check_key().await,
        }
    }

    /// Publishes a client event on the project's presence channel, to the others,
    /// as a socket's would be (the same checks and budgets).
    fn client_event(&mut self, pid: i64, event: &str, data: &str) {
        let Ok(raw) = RawValue::from_string(data.to_string()) else { return };
        let channel = presence_channel(pid);
        let sender = client_event::Sender {
            socket_id: &self.sub.socket_id,
            member: self.member.as_ref(),
            limiter: &mut self.limiter,
        };
        if let Err(refused) = client_event::relay(&self.state.hub, &channel, event, &raw, sender) {
            tracing::debug!(?refused, event, "an SSH session's client event was not relayed");
        }
    }

    /// Acts on one frame the hub queued for us.
    async fn frame(&mut self, frame: &str) -> Result<(), Ended> {
        let Ok(message) = ServerMessage::decode(frame) else { return Ok(()) };
        let Some(pid) = self.project else { return Ok(()) };
        let (board, presence) = (private_channel(pid), presence_channel(pid));
        let ours = |c: &str| c == board || c == presence;
        let event = match message {
            ServerMessage::SubscriptionSucceeded { channel, presence: members } if ours(&channel) => {
                if let Some(list) = members {
                    let members = list.into_iter().map(|(id, info)| member(id, info)).collect();
                    self.tell(NetEvent::Present(members)).await?;
                    // Those already here answer with where they point.
                    self.client_event(pid, CURSOR_REQUEST_EVENT, "{}");
                }
                self.waiting = self.waiting.saturating_sub(1);
                if self.waiting > 0 {
                    return Ok(());
                }
                NetEvent::Connected
            }
            ServerMessage::MemberAdded { channel, user_id, user_info } if ours(&channel) => {
                let (id, info) = member(user_id, user_info);
                NetEvent::Joined(id, info)
            }
            ServerMessage::MemberRemoved { channel, user_id } if ours(&channel) => NetEvent::Left(user_id),
            ServerMessage::Event { event, channel: Some(channel), data, user_id } if ours(&channel) => {
                if channel == presence {
                    match event.as_str() {
                        CURSOR_EVENT => {
                            let (Some(user_id), Ok(pos)) = (user_id, serde_json::from_str::<Pointer>(&data))
                            else {
                                return Ok(());
                            };
                            NetEvent::Cursor { user_id, pos }
                        }
                        CURSOR_REQUEST_EVENT => NetEvent::CursorRequested,
                        PROJECT_SWITCH_EVENT => {
                            let (Some(user_id), Ok(moved)) =
                                (user_id, serde_json::from_str::<ProjectSwitch>(&data))
                            else {
                                return Ok(());
                            };
                            NetEvent::Switched { user_id, project_id: moved.project_id }
                        }
                        _ => return Ok(()),
                    }
                } else if event == events::MEMBERS_CHANGED {
                    let Ok(changed) = serde_json::from_str::<MembersChanged>(&data) else { return Ok(()) };
                    NetEvent::Members { project_id: pid, members: changed.members }
                } else {
                    // Only the board's own events move the revision.
                    match BoardEvent::from_json(&event, &data) {
                        Ok(board_event) => NetEvent::Board(Box::new(board_event)),
                        Err(_) => return Ok(()),
                    }
                }
            }
            _ => return Ok(()),
        };
        self.tell(event).await
    }

    /// Runs a read beside the session and tells the app what it found.
    fn spawn_read<F, Fut>(&self, read: F)
    where
        F: FnOnce(AppState, i64) -> Fut + Send + 'static,
        Fut: Future<Output = NetEvent> + Send,
    {
        let (state, app, user_id) = (self.state.clone(), self.app.clone(), self.holder.user.id);
        tokio::spawn(async move {
            let event = read(state, user_id).await;
            let _ = app.send(Action::Net(event)).await;
        });
    }

    fn fetch_board(&self, pid: i64) {
        self.spawn_read(
            move |state, user_id| async move { board_event(state.store.board(pid, user_id).await) },
        );
    }

    /// The events since `after`; when they are gone, the whole board instead.
    fn catch_up(&self, project_id: i64, after: u64, epoch: u64) {
        let (state, app, user_id) = (self.state.clone(), self.app.clone(), self.holder.user.id);
        tokio::spawn(async move {
            let answer = match state.store.events_after(project_id, user_id, after).await {
                // Revisions of another history: as if they were gone.
                Ok(EventsAfter::Events { rev, .. }) if epoch != 0 && epoch != state.store.site().epoch => {
                    Ok(EventsAfter::Gone { rev })
                }
                answer => answer,
            };
            let event = match answer {
                Ok(EventsAfter::Events { events, members, .. }) => {
                    let _ = app.send(Action::Net(NetEvent::Members { project_id, members })).await;
                    let events = events
                        .iter()
                        .filter_map(|(name, data)| BoardEvent::from_json(name, data).ok())
                        .collect();
                    NetEvent::Missed(events)
                }
                Ok(EventsAfter::Gone { .. }) => {
                    let _ = app.send(Action::Net(NetEvent::Gone)).await;
                    board_event(state.store.board(project_id, user_id).await)
                }
                Err(e) => refused_or(e, "Cannot catch up"),
            };
            let _ = app.send(Action::Net(event)).await;
        });
    }
}

/// What a board read tells the app.
fn board_event(answer: Result<kanban_protocol::model::Board, StoreError>) -> NetEvent {
    match answer {
        Ok(board) => NetEvent::Snapshot(board),
        Err(e) => refused_or(e, "Cannot load the board"),
    }
}

/// A board that is not ours is a refusal waiting will not change.
fn refused_or(e: StoreError, doing: &str) -> NetEvent {
    match e {
        StoreError::NotFound(_) => NetEvent::Refused(format!("No access to this project ({e})")),
        e => not_read(Read::Board, doing, e),
    }
}

/// A read that failed, with why.
fn not_read(read: Read, doing: &str, e: impl std::fmt::Display) -> NetEvent {
    NetEvent::NotRead { read, message: format!("{doing}: {e}") }
}

/// A presence member as the app keeps it; a `user_info` that is not ours shows
/// the id in grey.
fn member(id: String, info: serde_json::Value) -> (String, UserInfo) {
    let info = serde_json::from_value::<UserInfo>(info)
        .unwrap_or_else(|_| UserInfo { name: id.clone(), color: "#888888".into() });
    (id, info)
}

/// Makes the app's changes one after another, in order, each as the key's user
/// while the key is still theirs, and tells the app how each went.
async fn write_all(state: AppState, holder: KeyHolder, app: mpsc::Sender<Action>, mut writes: Queue<Change>) {
    while let Some(change) = writes.recv().await {
        let answer = loop {
            let live = state.store.ssh_key_is_live(holder.key_id, holder.user.id).await;
            let answer = match live {
                Ok(true) => {
                    state.writer.write(Write { by: holder.user.id, change: change.clone(), key: None }).await
                }
                Ok(false) => Err(OpError::Forbidden("this key is no longer accepted".into())),
                Err(e) => Err(OpError::Failed(e.to_string())),
            };
            // Too many at once: this change goes again after the wait, as
            // kanban-tui's writer does, and those typed meanwhile wait behind it
            // (counted by the dispatch, so that a key held down is dropped).
            let Err(OpError::TooMany { retry_after, .. }) = &answer else { break answer };
            let retry_after = std::time::Duration::from_secs(*retry_after);
            let said = NetEvent::Throttled { retry_in_ms: retry_after.as_millis() as u64 };
            if app.send(Action::Net(said)).await.is_err() {
                return;
            }
            tokio::time::sleep(retry_after).await;
        };
        let change = Box::new(change);
        let event = match answer {
            Ok(committed) => match BoardEvent::from_json(committed.event, &committed.data) {
                Ok(event) => NetEvent::Done { change, event: Box::new(event) },
                Err(e) => NetEvent::NotSaved { change, message: e.to_string(), field: None },
            },
            Err(e) => {
                let message = e.to_string();
                match e {
                    // The card as it is now comes back with the form, as over REST.
                    OpError::Stale { current: Current::Task(current), .. } => {
                        NetEvent::Stale { change, message, current }
                    }
                    OpError::BadValue(invalid) => {
                        NetEvent::NotSaved { change, message: invalid.message, field: Some(invalid.field) }
                    }
                    _ => NetEvent::NotSaved { change, message, field: None },
                }
            }
        };
        if app.send(Action::Net(event)).await.is_err() {
            return;
        }
    }
}
