//! Client events (`client-*`), from a WebSocket or an SSH session alike: the
//! checks each passes, the budgets it spends, and its relay, encoded once, to the
//! channel's other subscribers (with the sender's `user_id` on presence channels).
//!
//! Two budgets hold a sender back: its connection's, and on a presence channel
//! its person's, shared by every connection that person has on that channel (ten
//! tabs of one person get one person's rate, not ten). A board's presence channel
//! relays only the board's own events, each in its shape
//! ([`kanban_protocol::client_event`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, Weak};

use kanban_protocol::channel::{self, ChannelKind};
use kanban_protocol::pusher::{self, code};
use serde_json::value::RawValue;

use super::rate_limit::TokenBucket;
use super::{Frame, Hub};
use crate::metrics::Metrics;

type Key = (Arc<str>, Arc<str>);
type Registry = Mutex<HashMap<Key, Weak<Budget>>>;

/// The people's budgets, one per person per presence channel while any of their
/// connections is subscribed there.
pub struct Budgets {
    rate: u32,
    map: Arc<Registry>,
}

/// One person's budget on one channel.
pub struct Budget {
    bucket: Mutex<TokenBucket>,
    key: Key,
    registry: Weak<Registry>,
}

impl Budgets {
    /// Budgets of `rate` events per second (a burst of one second's worth).
    pub fn new(rate: u32) -> Budgets {
        Budgets { rate, map: Arc::new(Mutex::new(HashMap::new())) }
    }

    /// The budget of `user_id` on `channel`, shared with that person's other
    /// connections there.
    pub fn of(&self, channel: &str, user_id: &str) -> Arc<Budget> {
        let key: Key = (channel.into(), user_id.into());
        let mut map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(budget) = map.get(&key).and_then(Weak::upgrade) {
            return budget;
        }
        let budget = Arc::new(Budget {
            bucket: Mutex::new(TokenBucket::new(self.rate)),
            key: key.clone(),
            registry: Arc::downgrade(&self.map),
        });
        map.insert(key, Arc::downgrade(&budget));
        budget
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.map.lock().unwrap_or_else(PoisonError::into_inner).len()
    }
}

impl Budget {
    fn try_take(&self) -> bool {
        self.bucket.lock().unwrap_or_else(PoisonError::into_inner).try_take()
    }
}

impl Drop for Budget {
    /// The person's last connection on the channel left: the entry goes (unless
    /// a new connection of theirs made a new budget meanwhile).
    fn drop(&mut self) {
        let Some(registry) = self.registry.upgrade() else { return };
        let mut map = registry.lock().unwrap_or_else(PoisonError::into_inner);
        if map.get(&self.key).is_some_and(|weak| weak.upgrade().is_none()) {
            map.remove(&self.key);
        }
    }
}

/// A presence member's place on a channel: who, and their budget there.
#[derive(Clone)]
pub struct Member {
    pub user_id: Arc<str>,
    pub budget: Arc<Budget>,
}

/// Who sends a client event, on a channel it is subscribed to.
pub struct Sender<'a> {
    pub socket_id: &'a str,
    /// On a presence channel, the person.
    pub member: Option<&'a Member>,
    /// The connection's own budget.
    pub limiter: &'a mut TokenBucket,
}

/// Why a client event was not relayed: the `pusher:error` its sender gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    Rejected(String),
    RateLimited,
}

impl Refused {
    pub fn frame(&self) -> String {
        match self {
            Refused::Rejected(message) => pusher::error(Some(code::REJECTED), message),
            Refused::RateLimited => {
                pusher::error(Some(code::CLIENT_EVENT_RATE_LIMIT), "Client event rejected due to rate limit")
            }
        }
    }
}

/// Checks client event `event` with `data` on `channel` (which the sender is
/// subscribed to), spends the budgets, and publishes it to the others.
pub fn relay(
    hub: &Hub,
    channel: &str,
    event: &str,
    data: &RawValue,
    sender: Sender<'_>,
) -> Result<(), Refused> {
    let reject = |message: String| Err(Refused::Rejected(message));
    let kind = ChannelKind::of(channel);
    if kind == ChannelKind::Public {
        return reject("Client events are only allowed on private and presence channels".into());
    }
    let board = channel::project_of(channel).is_some();
    if board && kind == ChannelKind::Private {
        // The board channel carries the server's authority: what arrives on it
        // is a committed change, so no client may publish there.
        return reject(
            "The board channel carries only the server's events: client events go on the presence channel"
                .into(),
        );
    }
    let max = hub.limits().max_event_bytes;
    if data.get().len() > max {
        return reject(format!("Client event data is larger than {max} bytes"));
    }
    if pusher::json_depth(data.get()) > pusher::MAX_DATA_DEPTH {
        return reject(format!("Client event data nests deeper than {} levels", pusher::MAX_DATA_DEPTH));
    }
    if board {
        kanban_protocol::client_event::check(event, data.get()).or_else(reject)?;
    }
    if !sender.limiter.try_take() || sender.member.is_some_and(|m| !m.budget.try_take()) {
        Metrics::add(&hub.metrics().client_events_limited, 1);
        return Err(Refused::RateLimited);
    }
    let user_id = sender.member.map(|m| &*m.user_id);
    let out = Frame::from(pusher::client_event(event, channel, data, user_id));
    hub.adapter().publish(channel, out, Some(sender.socket_id));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_persons_connections_share_one_budget_per_channel() {
        let budgets = Budgets::new(5);
        let (tab1, tab2) = (budgets.of("presence-a", "7"), budgets.of("presence-a", "7"));
        let other_channel = budgets.of("presence-b", "7");
        let taken = (0..10).filter(|i| if i % 2 == 0 { tab1.try_take() } else { tab2.try_take() }).count();
        assert_eq!(taken, 5, "one budget for both tabs");
        assert!(other_channel.try_take(), "another channel, another budget");
        assert_eq!(budgets.len(), 2);
        drop((tab1, tab2));
        assert_eq!(budgets.len(), 1, "gone with the person's last connection there");
        let again = budgets.of("presence-a", "7");
        assert!(again.try_take(), "a fresh budget");
    }
}
