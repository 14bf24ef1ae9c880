//! Several nodes, one live board: the hub's [`Adapter`] for a node of a cluster
//! that shares a broker (Redis or NATS, `--broker`) and a PostgreSQL database.
//!
//! Local delivery is the in-process adapter's, unchanged: each node queues frames
//! to its own sockets; what other nodes' sockets need goes through the broker once
//! per node, the frame encoded once by the node that made it. Board events go in
//! revision order on every node ([`sequence`]). Presence is one per cluster: each
//! node tells the others who came to a presence channel here first and who left
//! here last, and keeps what they told it ([`view`]), so a member is added once for
//! the cluster, removed when their last connection anywhere goes, and snapshots,
//! the member limit and the HTTP API's answers are the cluster's, from memory.
//!
//! Nodes beat every [`BEAT`]; one not heard for [`SILENCE`] (killed) is forgotten,
//! its members removed. A node that (re)connects to the broker says hello, and
//! every node answers with its whole state, which replaces what was known of it:
//! after a broker outage presence is rebuilt with nobody stale and nobody missing.

pub mod link;
mod sequence;
mod view;
pub mod wire;

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use kanban_protocol::channel::{self, ChannelKind};
use kanban_protocol::pusher;
use tokio::sync::{mpsc, watch};

use self::sequence::Sequencer;
use self::view::View;
use self::wire::{ChannelState, Envelope, Message, WireError};
use crate::hub::{
    Adapter, ChannelInfo, Ending, Frame, LocalAdapter, PresenceMember, SubscribeError, Subscriber,
};
use crate::store::Store;

/// How often a node says it is alive.
pub const BEAT: Duration = Duration::from_secs(2);
/// How long a silent node is waited for before its members are removed.
pub const SILENCE: Duration = Duration::from_secs(8);
/// The channel name a user's termination is told to the other nodes on.
const TERMINATE: &str = "#terminate-user-";
/// How often changed subscription counts are told.
const COUNTS_EVERY: Duration = Duration::from_millis(100);

/// This node's adapter. See the module documentation.
pub struct ClusterAdapter {
    /// The cluster this node is of (its database's): messages of another are
    /// ignored.
    cluster: u64,
    node: u64,
    local: LocalAdapter,
    view: Arc<View>,
    sequencer: Sequencer,
    out: mpsc::Sender<Bytes>,
    up: watch::Receiver<bool>,
    /// Channels whose subscription count here changed since it was last told.
    changed: Mutex<HashSet<String>>,
    /// Messages that could not go out (the broker away or behind).
    pub dropped: AtomicU64,
    /// Messages heard of another cluster, or in another version of the wire.
    pub foreign: AtomicU64,
    /// Board events read from the log because they did not come in time.
    gaps_filled: AtomicU64,
    /// What foreign traffic was said in the log already (once each).
    said: Mutex<HashSet<String>>,
}

impl ClusterAdapter {
    /// A node of `cluster` on `link`, allowing `max_presence_members` users per
    /// presence channel across the cluster. The node's task
    /// ([`ClusterAdapter::run`]) reads `inbound`.
    pub fn new(
        cluster: u64,
        max_presence_members: usize,
        out: mpsc::Sender<Bytes>,
        up: watch::Receiver<bool>,
    ) -> Arc<Self> {
        let view = Arc::new(View::default());
        let local = LocalAdapter::in_cluster(max_presence_members, view.clone());
        Arc::new(ClusterAdapter {
            cluster,
            node: rand::random(),
            local,
            view,
            sequencer: Sequencer::default(),
            out,
            up,
            changed: Mutex::default(),
            dropped: AtomicU64::new(0),
            foreign: AtomicU64::new(0),
            gaps_filled: AtomicU64::new(0),
            said: Mutex::default(),
        })
    }

    /// This node's id, as the log writes it.
    pub fn name(&self) -> String {
        format!("{:016x}", self.node)
    }

    fn send(&self, message: Message) {
        let bytes = Envelope { cluster: self.cluster, node: self.node, message }.encode();
        if self.out.try_send(bytes).is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn count_changed(&self, channel: &str) {
        self.changed.lock().unwrap_or_else(|e| e.into_inner()).insert(channel.to_string());
    }

    /// This node's whole state, as told to the others.
    fn state(&self) -> Vec<ChannelState> {
        self.local
            .state()
            .into_iter()
            .map(|(name, subscriptions, members)| ChannelState {
                name,
                subscriptions: subscriptions as u32,
                members: members
                    .into_iter()
                    .map(|(id, info)| (id.to_string(), info.map(|i| i.get().to_string())))
                    .collect(),
            })
            .collect()
    }

    /// Someone came to `channel` on another node and was on none before: the
    /// subscribers here hear of them unless they are here already.
    fn came(&self, channel: &str, user: &str, info: Option<&str>) {
        if self.local.has_member(channel, user) {
            return;
        }
        if channel.starts_with(crate::hub::ONLINE) {
            return self.local.tell_watchers(user, true);
        }
        let info = info.and_then(|i| serde_json::value::RawValue::from_string(i.to_string()).ok());
        let member = pusher::Member { user_id: user, user_info: info.as_deref() };
        self.local.broadcast(channel, &Frame::from(pusher::member_added(channel, &member)));
    }

    /// Someone left `channel` on the other nodes and is on none of them now.
    fn went(&self, channel: &str, user: &str) {
        if self.local.has_member(channel, user) {
            return;
        }
        if channel.starts_with(crate::hub::ONLINE) {
            self.local.tell_watchers(user, false);
        } else {
            self.local.broadcast(channel, &Frame::from(pusher::member_removed(channel, user)));
        }
    }

    fn deliver_board(&self, project: i64, rev: u64, channel: &str, frame: Frame) {
        self.sequencer.offer(project, rev, frame, |f| {
            self.local.publish(channel, f, None);
        });
    }

    /// One message from another node.
    fn receive(&self, envelope: Envelope) {
        if envelope.node == self.node {
            return;
        }
        let node = envelope.node;
        match envelope.message {
            Message::Publish { channel, except, frame } => match channel.strip_prefix(TERMINATE) {
                Some(user) => {
                    self.local.terminate_user(user);
                }
                None => {
                    self.local.publish(&channel, Frame::from(frame), except.as_deref());
                }
            },
            Message::Board { project, rev, channel, frame } => {
                self.deliver_board(project, rev, &channel, Frame::from(frame))
            }
            Message::Join { channel, user, info } => {
                if self.view.join(node, &channel, &user, info.clone()) {
                    self.came(&channel, &user, info.as_deref());
                }
            }
            Message::Leave { channel, user } => {
                if self.view.leave(node, &channel, &user) {
                    self.went(&channel, &user);
                }
            }
            Message::Counts(counts) => self.view.counts(node, &counts),
            Message::State(channels) => self.replace(node, Some(channels)),
            Message::Hello => {
                self.view.heard(node);
                self.send(Message::State(self.state()));
            }
            Message::Beat => {
                if !self.view.heard(node) {
                    // A node heard of only now (its hello was missed): its state is asked for.
                    self.send(Message::Hello);
                }
            }
            Message::Bye => self.replace(node, None),
        }
    }

    fn replace(&self, node: u64, state: Option<Vec<ChannelState>>) {
        let (came, went) = self.view.replace(node, state);
        for (channel, user, info) in came {
            self.came(&channel, &user, info.as_deref());
        }
        for (channel, user) in went {
            self.went(&channel, &user);
        }
    }

    /// The node's own task: what comes from the broker, beats, counts, gaps in the
    /// board events, a silent node forgotten; until the link closes. `store` reads
    /// the event log for the gaps.
    pub async fn run(self: Arc<Self>, mut inbound: mpsc::Receiver<Bytes>, store: Arc<dyn Store>) {
        let mut up = self.up.clone();
        let mut beat = tokio::time::interval(BEAT);
        let mut counts = tokio::time::interval(COUNTS_EVERY);
        loop {
            tokio::select! {
                bytes = inbound.recv() => {
                    let Some(bytes) = bytes else { break };
                    match Envelope::decode(&bytes) {
                        Ok(envelope) if envelope.cluster == self.cluster => self.receive(envelope),
                        Ok(envelope) => self.foreign(format!(
                            "messages of another cluster ({:014x}) on this cluster's broker subject are ignored",
                            envelope.cluster
                        )),
                        Err(e @ WireError::Version(_)) => self.foreign(format!(
                            "a node of another release is on this cluster's broker subject, and neither hears the \
                             other ({e}): run one release across a cluster (README: Upgrading)"
                        )),
                        Err(e) => tracing::warn!(error = %e, "a message from the broker that cannot be read"),
                    }
                }
                changed = up.changed() => {
                    if changed.is_err() {
                        break;
                    }
                    if *up.borrow_and_update() {
                        // (Re)joined: everyone is asked for their state, and told ours;
                        // board events sent while the broker was away come from the log.
                        self.send(Message::Hello);
                        self.send(Message::State(self.state()));
                        for (project, after) in self.sequencer.followed() {
                            self.catch_up(&store, project, after);
                        }
                    }
                }
                _ = beat.tick() => {
                    self.send(Message::Beat);
                    for node in self.view.silent(SILENCE) {
                        tracing::info!(node, "a node went silent: its members are removed");
                        self.replace(node, None);
                    }
                }
                _ = counts.tick() => {
                    self.tell_counts();
                    self.fill_gaps(&store);
                }
            }
        }
    }

    /// Traffic that is not this cluster's: counted, and said once in the log.
    fn foreign(&self, what: String) {
        self.foreign.fetch_add(1, Ordering::Relaxed);
        let mut said = self.said.lock().unwrap_or_else(|e| e.into_inner());
        // A few kinds are said; a broker flooded with made-up clusters is counted only.
        if said.len() < 16 && said.insert(what.clone()) {
            tracing::error!("{what}");
        }
    }

    fn tell_counts(&self) {
        let changed: Vec<String> =
            std::mem::take(&mut *self.changed.lock().unwrap_or_else(|e| e.into_inner()))
                .into_iter()
                .collect();
        if changed.is_empty() {
            return;
        }
        let counts = changed
            .into_iter()
            .map(|c| {
                let n = self.local.channel_info(&c).map_or(0, |i| i.subscription_count);
                (c, n as u32)
            })
            .collect();
        self.send(Message::Counts(counts));
    }

    /// Board events that waited too long for those before them: the missing ones
    /// are read from the event log.
    fn fill_gaps(self: &Arc<Self>, store: &Arc<dyn Store>) {
        for (project, after) in self.sequencer.gaps(std::time::Instant::now()) {
            self.gaps_filled.fetch_add(1, Ordering::Relaxed);
            self.catch_up(store, project, after);
        }
    }

    /// Delivers the events of `project` after revision `after` from the log.
    fn catch_up(self: &Arc<Self>, store: &Arc<dyn Store>, project: i64, after: u64) {
        let (me, store) = (self.clone(), store.clone());
        tokio::spawn(async move {
            let channel = channel::private_channel(project);
            match store.log_after(project, after).await {
                Ok(Some(events)) => {
                    for (i, (name, data)) in events.into_iter().enumerate() {
                        let frame = Frame::from(pusher::encode_event(&name, Some(&channel), &data));
                        me.deliver_board(project, after + 1 + i as u64, &channel, frame);
                    }
                }
                Ok(None) => me.sequencer.skip(project, |f| {
                    me.local.publish(&channel, f, None);
                }),
                Err(e) => tracing::warn!(error = %e, project, "cannot read the events a gap missed"),
            }
        });
    }

    /// Whether the broker answers now.
    pub fn ready(&self) -> bool {
        *self.up.borrow()
    }

    /// Tells the others this node stops.
    pub fn leave(&self) {
        self.send(Message::Bye);
    }
}

impl Adapter for ClusterAdapter {
    fn subscribe(
        &self,
        channel: &str,
        sub: Subscriber,
        member: Option<PresenceMember>,
        at_rev: Option<u64>,
    ) -> Result<(), SubscribeError> {
        if let (Some(project), Some(at), ChannelKind::Private) =
            (channel::project_of(channel), at_rev, ChannelKind::of(channel))
        {
            self.sequencer.follow(project, at);
        }
        if let Some((user, info)) = self.local.subscribe_here(channel, sub, member)? {
            self.send(Message::Join {
                channel: channel.to_string(),
                user: user.to_string(),
                info: info.map(|i| i.get().to_string()),
            });
        }
        self.count_changed(channel);
        Ok(())
    }

    fn unsubscribe(&self, channel: &str, conn_id: u64) -> bool {
        let Some(left) = self.local.unsubscribe_here(channel, conn_id) else { return false };
        if let Some(user) = left {
            self.send(Message::Leave { channel: channel.to_string(), user: user.to_string() });
        }
        if self.local.channel_info(channel).is_none()
            && let Some(project) =
                channel::project_of(channel).filter(|_| ChannelKind::of(channel) == ChannelKind::Private)
        {
            self.sequencer.forget(project);
        }
        self.count_changed(channel);
        true
    }

    fn publish(&self, channel: &str, frame: Frame, except: Option<&str>) -> usize {
        self.send(Message::Publish {
            channel: channel.to_string(),
            except: except.map(str::to_string),
            frame: frame.as_str().to_string(),
        });
        self.local.publish(channel, frame, except)
    }

    fn publish_board(&self, project_id: i64, rev: u64, channel: &str, frame: Frame) -> usize {
        self.send(Message::Board {
            project: project_id,
            rev,
            channel: channel.to_string(),
            frame: frame.as_str().to_string(),
        });
        self.deliver_board(project_id, rev, channel, frame);
        self.local.channel_info(channel).map_or(0, |i| i.subscription_count)
    }

    fn publish_here(&self, channel: &str, frame: Frame) -> usize {
        self.local.publish(channel, frame, None)
    }

    fn cached(&self, channel: &str) -> Option<Frame> {
        self.local.cached(channel)
    }

    fn sign_in(
        &self,
        user: &Arc<str>,
        sub: &Subscriber,
        grant: Option<kanban_protocol::sign::Grant>,
        watchlist: &[Arc<str>],
    ) {
        self.local.sign_in(user, sub, grant, watchlist)
    }

    fn granted_signins(&self) -> Vec<(Arc<crate::hub::Outbox>, kanban_protocol::sign::Grant)> {
        self.local.granted_signins()
    }

    fn sign_out(&self, user: &Arc<str>, conn_id: u64, watchlist: &[Arc<str>]) {
        self.local.sign_out(user, conn_id, watchlist)
    }

    fn terminate_user(&self, user: &str) -> usize {
        // Told as a publish on a name no client can subscribe to ('#' is not in
        // the channel alphabet): a node of the release before takes it as an
        // event for nobody.
        self.send(Message::Publish {
            channel: format!("{TERMINATE}{user}"),
            except: None,
            frame: String::new(),
        });
        self.local.terminate_user(user)
    }

    fn end_subscribers(&self, channel: &str, why: Ending) -> usize {
        self.local.end_subscribers(channel, why)
    }

    fn channel_info(&self, channel: &str) -> Option<ChannelInfo> {
        let here = self.local.channel_info(channel).unwrap_or_default();
        let subscription_count = here.subscription_count + self.view.subscriptions(channel);
        if subscription_count == 0 {
            return None;
        }
        Some(ChannelInfo { subscription_count, user_count: self.members(channel).len() })
    }

    fn channels(&self, prefix: &str) -> Vec<(String, ChannelInfo)> {
        let mut names: Vec<String> = self.local.channels(prefix).into_iter().map(|(n, _)| n).collect();
        names.extend(self.view.channel_names(prefix));
        names.sort();
        names.dedup();
        names.into_iter().filter_map(|n| Some((n.clone(), self.channel_info(&n)?))).collect()
    }

    fn members(&self, channel: &str) -> Vec<String> {
        let mut ids = self.local.members(channel);
        ids.extend(self.view.member_ids(channel));
        ids.sort();
        ids.dedup();
        ids
    }

    fn channel_count(&self) -> usize {
        self.channels("").len()
    }

    fn ready(&self) -> bool {
        ClusterAdapter::ready(self)
    }

    fn cluster_gauges(&self) -> Option<crate::metrics::ClusterGauges> {
        Some(crate::metrics::ClusterGauges {
            broker_up: self.ready(),
            nodes: self.view.node_count() + 1,
            dropped: self.dropped.load(Ordering::Relaxed),
            foreign: self.foreign.load(Ordering::Relaxed),
            gaps_filled: self.gaps_filled.load(Ordering::Relaxed),
            silences: self
                .view
                .silences()
                .into_iter()
                .map(|(node, silence)| (format!("{node:016x}"), silence.as_secs_f64()))
                .collect(),
        })
    }
}
