//! The interface between connections and channel state: subscribe, unsubscribe,
//! publish, and the queries of the HTTP API.
//!
//! Every method is synchronous and non-blocking: delivery means queueing a shared
//! frame on each recipient's bounded outbox. A multi-node adapter would deliver to
//! its local subscribers the same way, forward publishes to its broker from a
//! background task, and answer queries from a view it keeps of the other nodes.

use std::sync::Arc;

use serde_json::value::RawValue;

use kanban_protocol::sign::Grant;

use super::{Ending, Frame, Outbox, Subscriber};

/// A presence channel's member, as `channel_data` declared it.
#[derive(Debug, Clone)]
pub struct PresenceMember {
    pub user_id: String,
    pub user_info: Option<Box<RawValue>>,
}

/// Why a subscription was refused by the channel itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubscribeError {
    /// The presence channel holds its maximum of distinct users.
    #[error("presence channel is full ({max} members)")]
    PresenceFull { max: usize },
}

/// What the HTTP API tells of one channel.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChannelInfo {
    /// Connections subscribed.
    pub subscription_count: usize,
    /// Distinct users (presence channels only, else 0).
    pub user_count: usize,
}

/// Channel state and fan-out. See the module documentation.
pub trait Adapter: Send + Sync + 'static {
    /// Adds `sub` to `channel` (as `member` on presence channels) and queues, in
    /// order: `subscription_succeeded` to `sub`, then `member_added` to the others
    /// when this is the user's first connection. Subscribing again only repeats the
    /// success. `at_rev`: for a board channel, the project's revision when access
    /// was checked (the subscriber's events are those after it).
    fn subscribe(
        &self,
        channel: &str,
        sub: Subscriber,
        member: Option<PresenceMember>,
        at_rev: Option<u64>,
    ) -> Result<(), SubscribeError>;

    /// Removes connection `conn_id` from `channel`, queueing `member_removed` to the
    /// others when it was its user's last connection there. Returns whether it was
    /// subscribed.
    fn unsubscribe(&self, channel: &str, conn_id: u64) -> bool;

    /// Queues `frame` to every subscriber of `channel` but the socket `except`.
    /// Returns how many it was queued to.
    fn publish(&self, channel: &str, frame: Frame, except: Option<&str>) -> usize;

    /// Publishes a committed board change's event, revision `rev` of `project_id`,
    /// on its board channel. In one process the writer publishes in revision order
    /// already; an adapter of several nodes puts every node's events in order.
    fn publish_board(&self, project_id: i64, rev: u64, channel: &str, frame: Frame) -> usize {
        let _ = (project_id, rev);
        self.publish(channel, frame, None)
    }

    /// Queues `frame` to this node's subscribers of `channel` only: news that every
    /// node makes for itself (the access watcher's, which each node runs).
    fn publish_here(&self, channel: &str, frame: Frame) -> usize {
        self.publish(channel, frame, None)
    }

    /// Whether the adapter can do its work now (a broker that answers).
    fn ready(&self) -> bool {
        true
    }

    /// Records `sub` signed in as `user` (`pusher:signin`), watching
    /// `watchlist` (see [`super::users`]).
    fn sign_in(&self, user: &Arc<str>, sub: &Subscriber, grant: Option<Grant>, watchlist: &[Arc<str>]);

    /// This node's connections signed in by the board's endpoint, with their
    /// grants (checked again when access changes).
    fn granted_signins(&self) -> Vec<(Arc<Outbox>, Grant)>;

    /// Forgets connection `conn_id`'s sign-in as `user`.
    fn sign_out(&self, user: &Arc<str>, conn_id: u64, watchlist: &[Arc<str>]);

    /// Ends every connection signed in as `user`, on every node; how many here.
    fn terminate_user(&self, user: &str) -> usize;

    /// A cache channel's last event, if one is kept (see [`super::cache`]).
    fn cached(&self, channel: &str) -> Option<Frame> {
        let _ = channel;
        None
    }

    /// Asks every connection subscribed to `channel` to end, for `why`. Returns how
    /// many were asked.
    fn end_subscribers(&self, channel: &str, why: Ending) -> usize;

    /// One channel's counts, or `None` when nobody is subscribed.
    fn channel_info(&self, channel: &str) -> Option<ChannelInfo>;

    /// The occupied channels whose names start with `prefix`.
    fn channels(&self, prefix: &str) -> Vec<(String, ChannelInfo)>;

    /// The user ids present on a presence channel.
    fn members(&self, channel: &str) -> Vec<String>;

    /// How many channels are occupied.
    fn channel_count(&self) -> usize;

    /// The cluster's state for `/metrics`, where this is a node of one.
    fn cluster_gauges(&self) -> Option<crate::metrics::ClusterGauges> {
        None
    }
}
