//! What this node knows of the others: each one's presence members and
//! subscription counts, channel by channel, and when it was last heard. Kept from
//! their messages, so that presence and the HTTP API's answers are the cluster's
//! without asking anyone at the moment of a query.

use std::collections::HashMap;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use serde_json::value::RawValue;

use super::wire::ChannelState;
use crate::hub::Elsewhere;

#[derive(Debug, Default)]
struct RemoteChannel {
    subscriptions: u32,
    /// user id → `user_info` JSON.
    members: HashMap<String, Option<String>>,
}

#[derive(Debug)]
struct Node {
    heard: Instant,
    channels: HashMap<String, RemoteChannel>,
}

impl Node {
    fn new() -> Self {
        Node { heard: Instant::now(), channels: HashMap::new() }
    }
}

/// A presence change the cluster's other nodes made: who came (with their info)
/// or went, on which channel.
pub type Came = (String, String, Option<String>);
pub type Went = (String, String);

/// The other nodes, as heard. See the module documentation.
#[derive(Debug, Default)]
pub struct View {
    nodes: RwLock<HashMap<u64, Node>>,
}

impl View {
    fn read(&self) -> RwLockReadGuard<'_, HashMap<u64, Node>> {
        self.nodes.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, HashMap<u64, Node>> {
        self.nodes.write().unwrap_or_else(|e| e.into_inner())
    }

    fn present(nodes: &HashMap<u64, Node>, channel: &str, user: &str) -> bool {
        nodes.values().any(|n| n.channels.get(channel).is_some_and(|c| c.members.contains_key(user)))
    }

    /// Node `node` was heard from; `false` when it was not known before.
    /// The other nodes heard and not yet forgotten.
    pub fn node_count(&self) -> usize {
        self.read().len()
    }

    pub fn heard(&self, node: u64) -> bool {
        let mut nodes = self.write();
        match nodes.get_mut(&node) {
            Some(n) => {
                n.heard = Instant::now();
                true
            }
            None => {
                nodes.insert(node, Node::new());
                false
            }
        }
    }

    /// `user` came to `channel` on `node`; `true` when no other node had them.
    pub fn join(&self, node: u64, channel: &str, user: &str, info: Option<String>) -> bool {
        let mut nodes = self.write();
        let new = !Self::present(&nodes, channel, user);
        let n = nodes.entry(node).or_insert_with(Node::new);
        n.heard = Instant::now();
        n.channels.entry(channel.to_string()).or_default().members.insert(user.to_string(), info);
        new
    }

    /// `user` left `channel` on `node`; `true` when no other node has them now.
    pub fn leave(&self, node: u64, channel: &str, user: &str) -> bool {
        let mut nodes = self.write();
        if let Some(n) = nodes.get_mut(&node) {
            n.heard = Instant::now();
            if let Some(c) = n.channels.get_mut(channel) {
                c.members.remove(user);
                if c.members.is_empty() && c.subscriptions == 0 {
                    n.channels.remove(channel);
                }
            }
        }
        !Self::present(&nodes, channel, user)
    }

    /// Subscription counts that changed on `node`.
    pub fn counts(&self, node: u64, counts: &[(String, u32)]) {
        let mut nodes = self.write();
        let n = nodes.entry(node).or_insert_with(Node::new);
        n.heard = Instant::now();
        for (channel, count) in counts {
            let c = n.channels.entry(channel.clone()).or_default();
            c.subscriptions = *count;
            if c.subscriptions == 0 && c.members.is_empty() {
                n.channels.remove(channel);
            }
        }
    }

    /// `node`'s whole state replaces what was known of it (`None`: it is gone).
    /// Answers who came to the other nodes as a whole and who left them.
    pub fn replace(&self, node: u64, state: Option<Vec<ChannelState>>) -> (Vec<Came>, Vec<Went>) {
        let mut nodes = self.write();
        let old = nodes.remove(&node);
        let mut came = Vec::new();
        let mut went = Vec::new();
        let mut fresh = Node::new();
        for c in state.iter().flatten() {
            let ch = fresh.channels.entry(c.name.clone()).or_default();
            ch.subscriptions = c.subscriptions;
            for (user, info) in &c.members {
                ch.members.insert(user.clone(), info.clone());
            }
        }
        // Came: in the new state, and on no node before (the old state included).
        for (name, ch) in &fresh.channels {
            for (user, info) in &ch.members {
                let before = old
                    .as_ref()
                    .is_some_and(|o| o.channels.get(name).is_some_and(|c| c.members.contains_key(user)))
                    || Self::present(&nodes, name, user);
                if !before {
                    came.push((name.clone(), user.clone(), info.clone()));
                }
            }
        }
        // Went: in the old state, and on no node now.
        if let Some(old) = &old {
            for (name, ch) in &old.channels {
                for user in ch.members.keys() {
                    let now = fresh.channels.get(name).is_some_and(|c| c.members.contains_key(user))
                        || Self::present(&nodes, name, user);
                    if !now {
                        went.push((name.clone(), user.clone()));
                    }
                }
            }
        }
        if state.is_some() {
            nodes.insert(node, fresh);
        }
        (came, went)
    }

    /// Nodes not heard from for `silence`.
    /// Each other node, with how long since it was last heard (its lag, as this
    /// node sees it: beats come every [`super::BEAT`]).
    pub fn silences(&self) -> Vec<(u64, Duration)> {
        let now = Instant::now();
        self.read().iter().map(|(id, n)| (*id, now.duration_since(n.heard))).collect()
    }

    pub fn silent(&self, silence: Duration) -> Vec<u64> {
        let now = Instant::now();
        self.read().iter().filter(|(_, n)| now.duration_since(n.heard) > silence).map(|(id, _)| *id).collect()
    }

    /// Subscriptions to `channel` on the other nodes.
    pub fn subscriptions(&self, channel: &str) -> usize {
        self.read().values().filter_map(|n| n.channels.get(channel)).map(|c| c.subscriptions as usize).sum()
    }

    /// The user ids on `channel` on the other nodes.
    pub fn member_ids(&self, channel: &str) -> Vec<String> {
        let mut ids: Vec<String> = self
            .read()
            .values()
            .filter_map(|n| n.channels.get(channel))
            .flat_map(|c| c.members.keys().cloned())
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }

    /// The occupied channels on the other nodes whose names start with `prefix`.
    pub fn channel_names(&self, prefix: &str) -> Vec<String> {
        let mut names: Vec<String> = self
            .read()
            .values()
            .flat_map(|n| n.channels.iter().filter(|(_, c)| c.subscriptions > 0).map(|(name, _)| name))
            .filter(|name| name.starts_with(prefix))
            .cloned()
            .collect();
        names.sort();
        names.dedup();
        names
    }
}

impl Elsewhere for View {
    fn has(&self, channel: &str, user: &str) -> bool {
        Self::present(&self.read(), channel, user)
    }

    fn members(&self, channel: &str) -> Vec<(Arc<str>, Option<Box<RawValue>>)> {
        let nodes = self.read();
        let mut out: HashMap<&str, Option<&str>> = HashMap::new();
        for c in nodes.values().filter_map(|n| n.channels.get(channel)) {
            for (user, info) in &c.members {
                out.entry(user).or_insert(info.as_deref());
            }
        }
        out.into_iter()
            .map(|(user, info)| {
                (Arc::from(user), info.and_then(|i| RawValue::from_string(i.to_string()).ok()))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(channel: &str, users: &[&str]) -> Vec<ChannelState> {
        vec![ChannelState {
            name: channel.into(),
            subscriptions: users.len() as u32,
            members: users.iter().map(|u| (u.to_string(), None)).collect(),
        }]
    }

    #[test]
    fn presence_is_the_union_of_the_nodes() {
        let view = View::default();
        assert!(view.join(1, "presence-p", "ann", None), "ann is new to the others");
        assert!(!view.join(2, "presence-p", "ann", None), "and then on a second node too");
        assert!(!view.leave(1, "presence-p", "ann"), "still on node 2");
        assert!(view.leave(2, "presence-p", "ann"), "gone from them all");
        assert!(!Elsewhere::has(&view, "presence-p", "ann"));

        let (came, went) = view.replace(3, Some(state("presence-p", &["bob", "cy"])));
        assert_eq!(came.len(), 2);
        assert!(went.is_empty());
        // Node 3 comes back after a broker outage: cy left meanwhile, dee came.
        let (came, went) = view.replace(3, Some(state("presence-p", &["bob", "dee"])));
        assert_eq!(came, [("presence-p".to_string(), "dee".to_string(), None)]);
        assert_eq!(went, [("presence-p".to_string(), "cy".to_string())]);
        assert_eq!(view.subscriptions("presence-p"), 2);
        assert_eq!(view.member_ids("presence-p"), ["bob", "dee"]);
        // Node 3 dies.
        let (came, went) = view.replace(3, None);
        assert!(came.is_empty());
        assert_eq!(went.len(), 2);
        assert!(view.member_ids("presence-p").is_empty());
    }
}
