//! The in-process adapter: channels in sharded maps, fan-out by queueing shared
//! frames. Publishes take a shard's read lock, so publishes to any channels run in
//! parallel; subscribe and unsubscribe take its write lock briefly. No lock here is
//! ever held across an `.await` (nothing here awaits).

use std::collections::HashMap;
use std::collections::hash_map::{DefaultHasher, Entry};
use std::hash::{Hash, Hasher};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use kanban_protocol::channel::ChannelKind;
use kanban_protocol::pusher;
use serde_json::value::RawValue;

use super::adapter::{Adapter, ChannelInfo, PresenceMember, SubscribeError};
use super::{Ending, Frame, Subscriber};

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

    fn presence_snapshot(&self, channel: &str) -> String {
        let members =
            self.members.iter().map(|(id, m)| pusher::Member { user_id: id, user_info: m.info.as_deref() });
        pusher::presence_succeeded(channel, members)
    }
}

type Shard = RwLock<HashMap<Box<str>, Channel>>;

/// Channel state of this process. See the module documentation.
pub struct LocalAdapter {
    shards: Box<[Shard]>,
    max_presence_members: usize,
}

impl LocalAdapter {
    /// An empty hub state allowing `max_presence_members` users per presence channel.
    pub fn new(max_presence_members: usize) -> Self {
        Self { shards: (0..SHARDS).map(|_| RwLock::default()).collect(), max_presence_members }
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
        let presence = ChannelKind::of(channel) == ChannelKind::Presence;
        let mut shard = self.write(channel);
        let ch = shard.entry(channel.into()).or_default();
        let conn_id = sub.conn_id;
        if ch.subscribers.contains_key(&conn_id) {
            let again = if presence {
                ch.presence_snapshot(channel)
            } else {
                pusher::subscription_succeeded(channel)
            };
            sub.outbox.push(Frame::from(again));
            return Ok(());
        }
        let Some(member) = member.filter(|_| presence) else {
            sub.outbox.push(Frame::from(pusher::subscription_succeeded(channel)));
            ch.subscribers.insert(conn_id, (sub, None));
            return Ok(());
        };
        let user_id: Arc<str> = member.user_id.into();
        let first = !ch.members.contains_key(&user_id);
        if first && ch.members.len() >= self.max_presence_members {
            if ch.subscribers.is_empty() {
                shard.remove(channel);
            }
            return Err(SubscribeError::PresenceFull { max: self.max_presence_members });
        }
        let entry =
            ch.members.entry(user_id.clone()).or_insert(Member { info: member.user_info, connections: 0 });
        entry.connections += 1;
        sub.outbox.push(Frame::from(ch.presence_snapshot(channel)));
        if first {
            let info = ch.members.get(&user_id).and_then(|m| m.info.as_deref());
            let added = pusher::Member { user_id: &user_id, user_info: info };
            let frame = Frame::from(pusher::member_added(channel, &added));
            ch.broadcast(&frame);
        }
        ch.subscribers.insert(conn_id, (sub, Some(user_id)));
        Ok(())
    }

    fn unsubscribe(&self, channel: &str, conn_id: u64) -> bool {
        let mut shard = self.write(channel);
        let Some(ch) = shard.get_mut(channel) else {
            return false;
        };
        let Some((_, user_id)) = ch.subscribers.remove(&conn_id) else {
            return false;
        };
        if let Some(user_id) = user_id
            && let Entry::Occupied(mut m) = ch.members.entry(user_id)
        {
            m.get_mut().connections -= 1;
            if m.get().connections == 0 {
                let (user_id, _) = m.remove_entry();
                let frame = Frame::from(pusher::member_removed(channel, &user_id));
                ch.broadcast(&frame);
            }
        }
        if ch.subscribers.is_empty() {
            shard.remove(channel);
        }
        true
    }

    fn publish(&self, channel: &str, frame: Frame, except: Option<&str>) -> usize {
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
