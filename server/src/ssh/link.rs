//! An SSH session's network side, in the server's own process: the transport of
//! the front end's link ([`kanban_front::link`]) on the hub, the store and the
//! writer directly, as kanban-tui's session is its transport over the WebSocket
//! and REST. What the server's messages mean and what the app's requests ask is
//! the link's, written once for both; here is only how a channel is joined and
//! left, how a client event goes out, and where reads are answered from. The
//! session is a subscriber of the project's two channels like any socket, so a
//! WebSocket user and an SSH user see each other's presence, cursors and changes.
//!
//! Access is the key's: every subscription and every write first asks whether
//! the key is still its user's, and when access changes anywhere (the access
//! watcher's news) the session asks again, ending when the key is gone.

use std::collections::VecDeque;

use kanban_front::app::{Action, BoardsChange, Change, NetEvent, Request};
use kanban_front::dispatch::{Dispatch, Queue};
use kanban_front::link::reads::{self, BoardsAnswer, CaughtUp, Failure, Reads};
use kanban_front::link::{Link, Out};
use kanban_protocol::channel::{presence_channel, private_channel, user_channel};
use kanban_protocol::client_event::BoardClientEvent;
use kanban_protocol::event::BoardEvent;
use kanban_protocol::inbox::{MarkRead, MyTask, MyWorkQuery, Notification, Since};
use kanban_protocol::model::{Activity, Board, Comment, Project, Trash, User, UserInfo};
use kanban_protocol::pusher::ServerMessage;
use serde_json::value::RawValue;
use tokio::sync::mpsc;

use crate::board::{self, Current, OpError, Write};
use crate::boards;
use crate::hub::client_event::{self, Member};
use crate::hub::rate_limit::TokenBucket;
use crate::hub::{Ending, PresenceMember, Subscriber};
use crate::inbox;
use crate::state::Core;
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
    core: Core,
    holder: KeyHolder,
    app: mpsc::Sender<Action>,
) -> (Dispatch, tokio::task::JoinHandle<Ended>) {
    let (dispatch, requests, writes) = kanban_front::dispatch::channels();
    tokio::spawn(write_all(core.clone(), holder.clone(), app.clone(), writes));
    let limiter = TokenBucket::new(core.hub.limits().client_events_per_second);
    let sub = core.hub.local_subscriber();
    let mine = core.hub.local_subscriber();
    let reads = StoreReads { core: core.clone(), user_id: holder.user.id };
    let mut link = Link::default();
    link.set_me(holder.user.id);
    let session = Session { core, holder, app, link, reads, sub, mine, limiter, member: None };
    (dispatch, tokio::spawn(session.run(requests)))
}

struct Session {
    core: Core,
    holder: KeyHolder,
    app: mpsc::Sender<Action>,
    link: Link,
    reads: StoreReads,
    sub: Subscriber,
    /// The person's own channel (their notifications): a subscriber of its own,
    /// which outlives the board's (replaced at every switch of boards).
    mine: Subscriber,
    limiter: TokenBucket,
    /// This person's place on the open project's presence channel (their client
    /// event budget there, shared with their other sessions and sockets).
    member: Option<Member>,
}

impl Session {
    async fn run(mut self, mut requests: Queue<Request>) -> Ended {
        let ended = self.serve(&mut requests).await;
        if let Some(pid) = self.link.project() {
            self.leave(pid);
        }
        self.core.hub.adapter().unsubscribe(&user_channel(self.holder.user.id), self.mine.conn_id);
        self.mine.outbox.close();
        ended
    }

    async fn serve(&mut self, requests: &mut Queue<Request>) -> Ended {
        let mut news = self.core.hub.access_news();
        let mut stopping = self.core.hub.shutdown_signal();
        if let Err(ended) = self.introduce().await {
            return ended;
        }
        self.join_mine().await;
        let mut frames = VecDeque::new();
        // The person's own channel's frames, apart: each queue is taken alone.
        let mut own = VecDeque::new();
        loop {
            let outbox = self.sub.outbox.clone();
            let mine = self.mine.outbox.clone();
            let step = tokio::select! {
                () = mine.take(&mut own) => {
                    self.hear_all(&mut own).await
                }
                // Asked to go (fallen behind, or access changed): joined anew.
                _ = mine.ending() => {
                    self.core.hub.adapter().unsubscribe(&user_channel(self.holder.user.id), self.mine.conn_id);
                    self.mine.outbox.close();
                    self.mine = self.core.hub.local_subscriber();
                    self.join_mine().await;
                    Ok(())
                }
                request = requests.recv() => match request {
                    None => Err(Ended::Quit),
                    Some(request) => self.request(request).await,
                },
                () = outbox.take(&mut frames) => {
                    self.hear_all(&mut frames).await
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
        match boards::list(&self.core, user.id, false).await {
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
        match holder_is_live(&self.core, &self.holder).await {
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
            // Refused for good: the app asks again with Retry, which starts over.
            Request::Pause => {
                if let Some(pid) = self.link.project() {
                    self.leave(pid);
                }
                Ok(())
            }
            Request::Retry => {
                self.introduce().await?;
                if let Some(pid) = self.link.rejoin() {
                    self.join(pid).await?;
                    reads::spawn(&self.reads, &self.app, Request::Reload(pid));
                }
                Ok(())
            }
            request => {
                for out in self.link.request(request) {
                    self.carry(out).await?;
                }
                Ok(())
            }
        }
    }

    /// Acts on the frames the hub queued for us, in order (those after a failure
    /// are dropped with the session).
    async fn hear_all(&mut self, frames: &mut VecDeque<crate::hub::Frame>) -> Result<(), Ended> {
        for frame in frames.drain(..) {
            self.frame(&frame).await?;
        }
        Ok(())
    }

    /// Acts on one frame the hub queued for us.
    async fn frame(&mut self, frame: &str) -> Result<(), Ended> {
        let Ok(message) = ServerMessage::decode(frame) else { return Ok(()) };
        for out in self.link.hear(message) {
            self.carry(out).await?;
        }
        Ok(())
    }

    /// Does what the link asks, on the hub.
    async fn carry(&mut self, out: Out) -> Result<(), Ended> {
        match out {
            Out::Tell(event) => return self.tell(event).await,
            Out::Say { project_id, event } => self.client_event(project_id, &event),
            Out::Leave(pid) => self.leave(pid),
            Out::Join(pid) => return self.join(pid).await,
            Out::Read(read) => reads::spawn(&self.reads, &self.app, read),
            Out::Online => {}
            Out::Refused(reason) => return self.tell(NetEvent::Refused(reason)).await,
        }
        Ok(())
    }

    /// Subscribes to the project's two channels, as a member at this moment.
    async fn join(&mut self, pid: i64) -> Result<(), Ended> {
        self.check_key().await?;
        let hub = &self.core.hub;
        let epoch = hub.access_epoch();
        let user = &self.holder.user;
        let rev = match self.core.store.token_access(HOST_ACCOUNT, user.id, pid).await {
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
        if hub.access_epoch() != epoch {
            // Access changed while it was checked: its sweep may have missed us.
            self.sub.outbox.end(Ending::Reconnect);
        }
        Ok(())
    }

    /// Subscribes the person's own channel, as the auth endpoint allows a socket
    /// of theirs to: only their own. Not joined is said; the boards work without.
    async fn join_mine(&mut self) {
        let channel = user_channel(self.holder.user.id);
        if let Err(e) = self.core.hub.adapter().subscribe(&channel, self.mine.clone(), None, None) {
            let _ = self.tell(NetEvent::Failed(format!("Cannot hear your notifications: {e}"))).await;
        }
    }

    /// Leaves project `pid`'s channels (telling the others), ready to join again.
    fn leave(&mut self, pid: i64) {
        let adapter = self.core.hub.adapter();
        adapter.unsubscribe(&private_channel(pid), self.sub.conn_id);
        adapter.unsubscribe(&presence_channel(pid), self.sub.conn_id);
        self.member = None;
        // A queue that was asked to end stays so: the next join has a new one.
        self.sub.outbox.close();
        self.sub = self.core.hub.local_subscriber();
    }

    /// Joins again after the hub asked us to (access changed on our channels).
    async fn rejoin(&mut self) -> Result<(), Ended> {
        if let Some(pid) = self.link.project() {
            self.leave(pid);
        }
        match self.link.rejoin() {
            // Joining checks the key first.
            Some(pid) => self.join(pid).await,
            None => self.check_key().await,
        }
    }

    /// Publishes a client event on the project's presence channel, to the others,
    /// as a socket's would be (the same checks and budgets).
    fn client_event(&mut self, pid: i64, event: &BoardClientEvent) {
        let Ok(raw) = serde_json::value::to_raw_value(event) else { return };
        let channel = presence_channel(pid);
        let sender = client_event::Sender {
            socket_id: &self.sub.socket_id,
            member: self.member.as_ref(),
            limiter: &mut self.limiter,
        };
        if let Err(refused) = client_event::relay(&self.core.hub, &channel, event.name(), &raw, sender) {
            tracing::debug!(?refused, event = event.name(), "an SSH session's client event was not relayed");
        }
    }
}

/// The link's reads from the store, as the key's user: where an SSH session's
/// answers come from.
#[derive(Clone)]
struct StoreReads {
    core: Core,
    user_id: i64,
}

impl Reads for StoreReads {
    async fn board(&self, project_id: i64) -> Result<Board, Failure> {
        board::read::board(&*self.core.store, self.user_id, project_id).await.map_err(refused_or_failed)
    }

    async fn events_after(&self, project_id: i64, after: u64, epoch: u64) -> Result<CaughtUp, Failure> {
        let store = &self.core.store;
        match board::read::events_after(&**store, self.user_id, project_id, after).await {
            // Revisions of another history: as if they were gone.
            Ok(EventsAfter::Events { .. }) if epoch != 0 && epoch != store.site().epoch => Ok(CaughtUp::Gone),
            Ok(EventsAfter::Events { events, members, .. }) => {
                let events =
                    events.iter().filter_map(|(name, data)| BoardEvent::from_json(name, data).ok()).collect();
                Ok(CaughtUp::Events { events, members: Some(members) })
            }
            Ok(EventsAfter::Gone { .. }) => Ok(CaughtUp::Gone),
            Err(e) => Err(refused_or_failed(e)),
        }
    }

    async fn trash(&self, project_id: i64) -> Result<Trash, Failure> {
        board::read::trash(&*self.core.store, self.user_id, project_id).await.map_err(failed)
    }

    async fn thread(&self, task_id: i64) -> Result<(Vec<Comment>, Vec<Activity>), Failure> {
        let store = &*self.core.store;
        let history = crate::activity::read(store, self.user_id, None, Some(task_id), None, 50);
        match tokio::join!(board::read::comments(store, self.user_id, task_id), history) {
            (Ok(comments), Ok(history)) => Ok((comments, history)),
            (Err(e), _) | (_, Err(e)) => Err(failed(e)),
        }
    }

    async fn activity(&self, project_id: i64) -> Result<Vec<Activity>, Failure> {
        crate::activity::read(&*self.core.store, self.user_id, Some(project_id), None, None, 50)
            .await
            .map_err(failed)
    }

    async fn projects(&self, archived: bool) -> Result<Vec<Project>, Failure> {
        boards::list(&self.core, self.user_id, archived).await.map_err(failed)
    }

    async fn boards(&self, change: BoardsChange) -> Result<BoardsAnswer, Failure> {
        let (core, me) = (&self.core, self.user_id);
        let members = |project_id: i64, members| BoardsAnswer::Members { project_id, members };
        let answer = match change {
            BoardsChange::Make { name } => boards::make(core, me, &name).await.map(BoardsAnswer::Project),
            BoardsChange::Rename { project_id, name } => {
                boards::change(core, me, project_id, Some(&name), None).await.map(BoardsAnswer::Project)
            }
            BoardsChange::Archive { project_id, archived } => {
                boards::change(core, me, project_id, None, Some(archived)).await.map(BoardsAnswer::Project)
            }
            BoardsChange::Grant { project_id, user, role } => {
                boards::grant(core, me, project_id, &user, role).await.map(|(_, m)| members(project_id, m))
            }
            BoardsChange::SetRole { project_id, member_id, role } => {
                boards::set_role(core, me, project_id, member_id, role).await.map(|m| members(project_id, m))
            }
            BoardsChange::Remove { project_id, member_id } => {
                boards::remove(core, me, project_id, member_id).await.map(|m| members(project_id, m))
            }
        };
        answer.map_err(failed)
    }

    async fn notifications(
        &self,
        unread_only: bool,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<Notification>, Failure> {
        inbox::notifications(&self.core, self.user_id, unread_only, before, limit).await.map_err(failed)
    }

    async fn unread(&self) -> Result<u64, Failure> {
        inbox::unread(&self.core, self.user_id).await.map_err(failed)
    }

    // Marks, watches and looks are held to the person's budget of changes, as
    // over REST.
    async fn mark_read(&self, mark: MarkRead) -> Result<u64, Failure> {
        self.core.writer.spend(self.user_id).map_err(failed)?;
        inbox::mark_read(&self.core, self.user_id, &mark).await.map_err(failed)
    }

    async fn my_tasks(&self, query: MyWorkQuery) -> Result<Vec<MyTask>, Failure> {
        inbox::my_tasks(&self.core, self.user_id, &query).await.map_err(failed)
    }

    async fn watch(&self, task_id: i64, watch: Option<bool>) -> Result<Vec<User>, Failure> {
        if watch.is_some() {
            self.core.writer.spend(self.user_id).map_err(failed)?;
        }
        inbox::watch(&self.core, self.user_id, task_id, watch).await.map_err(failed)
    }

    async fn since(&self, project_id: i64) -> Result<Since, Failure> {
        inbox::since(&self.core, self.user_id, project_id).await.map_err(failed)
    }

    async fn seen(&self, project_id: i64, rev: u64) -> Result<(), Failure> {
        self.core.writer.spend(self.user_id).map_err(failed)?;
        inbox::seen(&self.core, self.user_id, project_id, rev).await.map_err(failed)
    }
}

/// A board that is not ours is a refusal waiting will not change.
fn refused_or_failed(e: StoreError) -> Failure {
    match e {
        StoreError::NotFound(_) => Failure::Refused(format!("No access to this project ({e})")),
        e => Failure::Failed(e.to_string()),
    }
}

/// Whether the session's key is still its user's; for a certificate's session,
/// whether its user still is and has not been signed out (`user revoke`) since.
async fn holder_is_live(core: &Core, holder: &KeyHolder) -> Result<bool, StoreError> {
    match holder.key_id {
        Some(key_id) => core.store.ssh_key_is_live(key_id, holder.user.id).await,
        None => Ok(core.store.signed_out(holder.user.id).await? == Some(holder.signed_out)),
    }
}

fn failed(e: impl std::fmt::Display) -> Failure {
    Failure::Failed(e.to_string())
}

/// Makes the app's changes one after another, in order, each as the key's user
/// while the key is still theirs, and tells the app how each went.
async fn write_all(core: Core, holder: KeyHolder, app: mpsc::Sender<Action>, mut writes: Queue<Change>) {
    while let Some(change) = writes.recv().await {
        let answer = loop {
            let live = holder_is_live(&core, &holder).await;
            let answer = match live {
                Ok(true) => {
                    core.writer.write(Write { by: holder.user.id, change: change.clone(), key: None }).await
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
