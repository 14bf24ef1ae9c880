//! The in-process adapter: channels in sharded maps, fan-out by queueing shared
//! frames. Publishes take a shard's read lock, so publishes to any channels run in
//! parallel; subscribe and unsubscribe take its write lock briefly. No lock here is
//! ever held across an `.await` (nothing here awaits).
//!
//! In a cluster it holds this node's subscribers, and asks [`Elsewhere`] who is
//! present on the other nodes: a member is added (and removed) once for the whole
//! cluster, snapshots list everyone, and the member limit counts everyone.

use std::collections::HashMap;
use std::collections::hash_map::{DefaultHasher, Entry};
use std::hash::{Hash, Hasher};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use kanban_protocol::channel::ChannelKind;
use kanban_protocol::pusher;
use serde_json::value::RawValue;

use super::adapter::{Adapter, ChannelInfo, PresenceMember, SubscribeError};
use super::users::ONLINE;
use super::{Ending, Frame, Subscriber};
use kanban_protocol::sign::Grant;

const SHARDS: usize = 32;

#[derive(Debug)]
struct Member {
    info: Option<Box<RawValue>>,
    /// This user's connections on the channel; the member leaves when it reaches 0.
    connections: usize,
}

#[derive(Debug, Default)]
struct Channel {
    subscribers: HashMap<u64, (Subscriber, Option<Arc<str>>)>,
    members: HashMap<Arc<str>, Member>,
    /// The presence snapshot of `members`, encoded once for every subscriber who
    /// joins while they stay the same (another tab, a reconnect); dropped when a
    /// member comes or goes. On one node only: in a cluster the snapshot lists
    /// the other nodes' members too, which change without this channel knowing.
    snapshot: Option<Frame>,
}

impl Channel {
    fn info(&self) -> ChannelInfo {
        ChannelInfo { subscription_count: self.subscribers.len(), user_count: self.members.len() }
    }

    /// Queues `frame` to every subscriber.
    fn broadcast(&self, frame: &Frame) {
        for (sub, _) in self.subscribers.values() {
            sub.outbox.push(frame.clone());
        }
    }
}

type Shard = RwLock<HashMap<Box<str>, Channel>>;

/// Who is present on presence channels on other nodes of a cluster.
pub trait Elsewhere: Send + Sync {
    /// Whether `user` is present on `channel` on another node.
    fn has(&self, channel: &str, user: &str) -> bool;
    /// The members of `channel` on other nodes, with their `user_info` as JSON.
    fn members(&self, channel: &str) -> Vec<(Arc<str>, Option<Box<RawValue>>)>;
}

/// A user who came to a presence channel here for the first time, or left it
/// here for the last time (what other nodes are told).
pub type Here = (Arc<str>, Option<Box<RawValue>>);

/// Channel state of this process. See the module documentation.
pub struct LocalAdapter {
    shards: Box<[Shard]>,
    /// The users signed in on this node's connections.
    users: super::users::Users,
    /// The last event of each cache channel, from this node's publishes and
    /// (in a cluster) every other node's.
    cache: super::cache::Cache,
    max_presence_members: usize,
    elsewhere: Option<Arc<dyn Elsewhere>>,
}

impl LocalAdapter {
    /// An empty hub state allowing `max_presence_members` users per presence channel.
    pub fn new(max_presence_members: usize) -> Self {
        Self {
            shards: (0..SHARDS).map(|_| RwLock::default()).collect(),
            cache: super::cache::Cache::default(),
            users: super::users::Users::default(),
            max_presence_members,
            elsewhere: None,
        }
    }

    /// This node's part of a cluster's channel state: presence counts `elsewhere`.
    pub fn in_cluster(max_presence_members: usize, elsewhere: Arc<dyn Elsewhere>) -> Self {
        Self { elsewhere: Some(elsewhere), ..Self::new(max_presence_members) }
    }

    fn elsewhere_has(&self, channel: &str, user: &str) -> bool {
        self.elsewhere.as_ref().is_some_and(|e| e.has(channel, user))
    }

    /// The presence members on other nodes that are not here.
    fn only_elsewhere(&self, channel: &str, ch: &Channel) -> Vec<(Arc<str>, Option<Box<RawValue>>)> {
        let Some(elsewhere) = &self.elsewhere else { return Vec::new() };
        let mut others = elsewhere.members(channel);
        others.retain(|(id, _)| !ch.members.contains_key(id));
        others
    }

    /// The presence snapshot of `ch`, from the cache where it can be.
    fn snapshot(&self, channel: &str, ch: &mut Channel) -> Frame {
        if let Some(frame) = &ch.snapshot {
            return frame.clone();
        }
        let frame = Frame::from(self.encode_snapshot(channel, ch));
        if self.elsewhere.is_none() {
            ch.snapshot = Some(frame.clone());
        }
        frame
    }

    fn encode_snapshot(&self, channel: &str, ch: &Channel) -> String {
        let others = self.only_elsewhere(channel, ch);
        let here =
            ch.members.iter().map(|(id, m)| pusher::Member { user_id: id, user_info: m.info.as_deref() });
        let there =
            others.iter().map(|(id, info)| pusher::Member { user_id: id, user_info: info.as_deref() });
        let all: Vec<pusher::Member<'_>> = here.chain(there).collect();
        pusher::presence_succeeded(channel, all.into_iter())
    }

    /// Queues `frame` to every subscriber of `channel` (presence news from another
    /// node).
    pub fn broadcast(&self, channel: &str, frame: &Frame) {
        if let Some(ch) = self.read(channel).get(channel) {
            ch.broadcast(frame);
        }
    }

    /// Tells the watchers here of `user` that they came online or went offline.
    pub fn tell_watchers(&self, user: &str, online: bool) {
        self.users.tell(user, online);
    }

    /// Whether `user` is present on `channel` here.
    pub fn has_member(&self, channel: &str, user: &str) -> bool {
        self.read(channel).get(channel).is_some_and(|ch| ch.members.contains_key(user))
    }

    /// This node's presence members and subscription counts, channel by channel.
    pub fn state(&self) -> Vec<(String, usize, Vec<Here>)> {
        let mut out = Vec::new();
        for shard in self.shards.iter() {
            let shard = shard.read().unwrap_or_else(|e| e.into_inner());
            for (name, ch) in shard.iter() {
                let members = ch.members.iter().map(|(id, m)| (id.clone(), m.info.clone())).collect();
                out.push((name.to_string(), ch.subscribers.len(), members));
            }
        }
        out
    }

    /// Subscribes as [`Adapter::subscribe`] does; answers the member when this is
    /// their first connection to the channel here.
    pub fn subscribe_here(
        &self,
        channel: &str,
        sub: Subscriber,
        member: Option<PresenceMember>,
    ) -> Result<Option<Here>, SubscribeError> {
        let presence = ChannelKind::of(channel) == ChannelKind::Presence;
        let mut shard = self.write(channel);
        let ch = shard.entry(channel.into()).or_default();
        let conn_id = sub.conn_id;
        if ch.subscribers.contains_key(&conn_id) {
            let again = if presence {
                self.snapshot(channel, ch)
            } else {
                Frame::from(pusher::subscription_succeeded(channel))
            };
            sub.outbox.push(again);
            return Ok(None);
        }
        let Some(member) = member.filter(|_| presence) else {
            sub.outbox.push(Frame::from(pusher::subscription_succeeded(channel)));
            ch.subscribers.insert(conn_id, (sub, None));
            return Ok(None);
        };
        let user_id: Arc<str> = member.user_id.into();
        let first = !ch.members.contains_key(&user_id);
        let there = first && self.elsewhere_has(channel, &user_id);
        if first
            && !there
            && ch.members.len() + self.only_elsewhere(channel, ch).len() >= self.max_presence_members
        {
            if ch.subscribers.is_empty() {
                shard.remove(channel);
            }
            return Err(SubscribeError::PresenceFull { max: self.max_presence_members });
        }
        let entry =
            ch.members.entry(user_id.clone()).or_insert(Member { info: member.user_info, connections: 0 });
        entry.connections += 1;
        if first {
            ch.snapshot = None;
        }
        sub.outbox.push(self.snapshot(channel, ch));
        let info = ch.members.get(&user_id).and_then(|m| m.info.clone());
        // Present on another node already: the others here have it from there.
        if first && !there {
            if let Some(user) = channel.strip_prefix(ONLINE) {
                self.users.tell(user, true);
            } else {
                let added = pusher::Member { user_id: &user_id, user_info: info.as_deref() };
                let frame = Frame::from(pusher::member_added(channel, &added));
                ch.broadcast(&frame);
            }
        }
        ch.subscribers.insert(conn_id, (sub, Some(user_id.clone())));
        Ok(first.then_some((user_id, info)))
    }

    /// Unsubscribes as [`Adapter::unsubscribe`] does; answers `None` when it was not
    /// subscribed, else the user whose last connection here it was, if so.
    pub fn unsubscribe_here(&self, channel: &str, conn_id: u64) -> Option<Option<Arc<str>>> {
        let mut shard = self.write(channel);
        let ch = shard.get_mut(channel)?;
        let (_, user_id) = ch.subscribers.remove(&conn_id)?;
        let mut left = None;
        if let Some(user_id) = user_id
            && let Entry::Occupied(mut m) = ch.members.entry(user_id)
        {
            m.get_mut().connections -= 1;
            if m.get().connections == 0 {
                let (user_id, _) = m.remove_entry();
                ch.snapshot = None;
                if !self.elsewhere_has(channel, &user_id) {
                    if let Some(user) = channel.strip_prefix(ONLINE) {
                        self.users.tell(user, false);
                    } else {
                        let frame = Frame::from(pusher::member_removed(channel, &user_id));
                        ch.broadcast(&frame);
                    }
                }
                left = Some(user_id);
            }
        }
        if ch.subscribers.is_empty() {
            shard.remove(channel);
        }
        Some(left)
    }

    fn shard(&self, channel: &str) -> &Shard {
        let mut h = DefaultHasher::new();
        channel.hash(&mut h);
        &self.shards[(h.finish() as usize) % SHARDS]
    }

    // A panic elsewhere while holding a lock must not take the whole hub down with
    // poisoning: the maps are left consistent by every method here.
    fn read(&self, channel: &str) -> RwLockReadGuard<'_, HashMap<Box<str>, Channel>> {
        self.shard(channel).read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self, channel: &str) -> RwLockWriteGuard<'_, HashMap<Box<str>, Channel>> {
        self.shard(channel).write().unwrap_or_else(|e| e.into_inner())
    }
}

impl Adapter for LocalAdapter {
    fn subscribe(
        &self,
        channel: &str,
        sub: Subscriber,
        member: Option<PresenceMember>,
        _at_rev: Option<u64>,
    ) -> Result<(), SubscribeError> {
        self.subscribe_here(channel, sub, member).map(drop)
    }

    fn unsubscribe(&self, channel: &str, conn_id: u64) -> bool {
        self.unsubscribe_here(channel, conn_id).is_some()
    }

    fn publish(&self, channel: &str, frame: Frame, except: Option<&str>) -> usize {
        if kanban_protocol::channel::is_cache(channel) {
            self.cache.keep(channel, &frame);
        }
        let shard = self.read(channel);
        let Some(ch) = shard.get(channel) else {
            return 0;
        };
        let mut queued = 0;
        for (sub, _) in ch.subscribers.values() {
            if except == Some(&*sub.socket_id) {
                continue;
            }
            if sub.outbox.push(frame.clone()) {
                queued += 1;
            }
        }
        queued
    }

    fn cached(&self, channel: &str) -> Option<Frame> {
        self.cache.last(channel)
    }

    fn sign_in(&self, user: &Arc<str>, sub: &Subscriber, grant: Option<Grant>, watchlist: &[Arc<str>]) {
        self.users.sign_in(user, sub.conn_id, &sub.outbox, grant, watchlist)
    }

    fn granted_signins(&self) -> Vec<(Arc<super::Outbox>, Grant)> {
        self.users.granted()
    }

    fn sign_out(&self, user: &Arc<str>, conn_id: u64, watchlist: &[Arc<str>]) {
        self.users.sign_out(user, conn_id, watchlist)
    }

    fn terminate_user(&self, user: &str) -> usize {
        self.users.terminate(user)
    }

    fn end_subscribers(&self, channel: &str, why: Ending) -> usize {
        let shard = self.read(channel);
        let Some(ch) = shard.get(channel) else {
            return 0;
        };
        for (sub, _) in ch.subscribers.values() {
            sub.outbox.end(why);
        }
        ch.subscribers.len()
    }

    fn channel_info(&self, channel: &str) -> Option<ChannelInfo> {
        self.read(channel).get(channel).map(Channel::info)
    }

    fn channels(&self, prefix: &str) -> Vec<(String, ChannelInfo)> {
        let mut out = Vec::new();
        for shard in self.shards.iter() {
            let shard = shard.read().unwrap_or_else(|e| e.into_inner());
            for (name, ch) in shard.iter() {
                if name.starts_with(prefix) {
                    out.push((name.to_string(), ch.info()));
                }
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    fn members(&self, channel: &str) -> Vec<String> {
        let shard = self.read(channel);
        let mut ids: Vec<String> = shard
            .get(channel)
            .map(|ch| ch.members.keys().map(|k| k.to_string()).collect())
            .unwrap_or_default();
        ids.sort();
        ids
    }

    fn channel_count(&self) -> usize {
        self.shards.iter().map(|s| s.read().unwrap_or_else(|e| e.into_inner()).len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;

    use super::*;
    use crate::hub::Outbox;

    fn subscriber(conn_id: u64) -> Subscriber {
        Subscriber { conn_id, socket_id: format!("1.{conn_id}").into(), outbox: Outbox::new(16) }
    }

    fn member(id: &str) -> Option<PresenceMember> {
        Some(PresenceMember { user_id: id.into(), user_info: None })
    }

    fn taken(sub: &Subscriber) -> Vec<Frame> {
        let mut frames = VecDeque::new();
        sub.outbox.try_take(&mut frames);
        frames.into()
    }

    #[test]
    fn a_snapshot_is_encoded_once_while_the_members_stay_the_same() {
        let hub = LocalAdapter::new(100);
        let channel = "presence-team";
        let (ann, ann_tab, bob) = (subscriber(1), subscriber(2), subscriber(3));
        hub.subscribe_here(channel, ann.clone(), member("ann")).unwrap();
        hub.subscribe_here(channel, ann_tab.clone(), member("ann")).unwrap();
        let (first, second) = (taken(&ann).remove(0), taken(&ann_tab).remove(0));
        assert_eq!(first, second);
        assert_eq!(first.as_str().as_ptr(), second.as_str().as_ptr(), "the same bytes, shared");
        // A new member makes a new snapshot, with them in it.
        hub.subscribe_here(channel, bob.clone(), member("bob")).unwrap();
        let with_bob = taken(&bob).remove(0);
        assert!(with_bob.as_str().contains("bob") && with_bob.as_str().contains("ann"));
        // And one who leaves takes theirs away.
        hub.unsubscribe_here(channel, bob.conn_id);
        let again = subscriber(4);
        hub.subscribe_here(channel, again.clone(), member("ann")).unwrap();
        let without_bob = taken(&again).remove(0);
        assert!(!without_bob.as_str().contains("bob"), "{without_bob}");
        assert_eq!(without_bob, first);
    }
}
