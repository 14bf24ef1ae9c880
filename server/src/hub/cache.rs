//! Cache channels (`cache-*`, `private-cache-*`, `presence-cache-*`,
//! `private-encrypted-cache-*`), as Pusher has them: the last event published on
//! one (by the HTTP API or a client) is kept for [`TTL`] and given to each new
//! subscriber right after its subscription succeeds; a subscriber to a channel
//! with nothing kept is told `pusher:cache_miss`. The frame is kept as it was
//! encoded for the channel's subscribers and shared, never encoded again.
//!
//! In a cluster every node hears every publish, so each node keeps the same
//! last event: the cache is the cluster's. A node that starts late knows only
//! what was published since.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::Frame;

/// How long an event is kept (Pusher's 30 minutes).
pub const TTL: Duration = Duration::from_secs(30 * 60);
/// The most channels kept at once: past it, expired ones are dropped, and a new
/// channel is not kept until there is room (memory stays bounded whatever the
/// number of channels published to).
pub const MAX_CHANNELS: usize = 50_000;

/// The last event of each cache channel.
#[derive(Default)]
pub struct Cache {
    kept: Mutex<HashMap<Box<str>, (Frame, Instant)>>,
}

impl Cache {
    /// Keeps `frame` as `channel`'s last event.
    pub fn keep(&self, channel: &str, frame: &Frame) {
        let mut kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        if let Some(entry) = kept.get_mut(channel) {
            *entry = (frame.clone(), now);
            return;
        }
        if kept.len() >= MAX_CHANNELS {
            kept.retain(|_, (_, at)| now.duration_since(*at) < TTL);
            if kept.len() >= MAX_CHANNELS {
                tracing::debug!(channel, "the cache channels are full: this one's event is not kept");
                return;
            }
        }
        kept.insert(channel.into(), (frame.clone(), now));
    }

    /// `channel`'s last event, if one was published less than [`TTL`] ago.
    pub fn last(&self, channel: &str) -> Option<Frame> {
        let mut kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        match kept.get(channel) {
            Some((frame, at)) if at.elapsed() < TTL => Some(frame.clone()),
            Some(_) => {
                kept.remove(channel);
                None
            }
            None => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_event_is_kept_and_replaced() {
        let cache = Cache::default();
        assert!(cache.last("cache-a").is_none());
        cache.keep("cache-a", &Frame::from("one"));
        cache.keep("cache-a", &Frame::from("two"));
        assert_eq!(cache.last("cache-a").as_deref(), Some("two"));
        assert!(cache.last("cache-b").is_none());
    }

    #[test]
    fn a_full_cache_keeps_what_it_has() {
        let cache = Cache::default();
        for i in 0..MAX_CHANNELS {
            cache.keep(&format!("cache-{i}"), &Frame::from("x"));
        }
        cache.keep("cache-new", &Frame::from("y"));
        assert!(cache.last("cache-new").is_none(), "no room for a new channel");
        cache.keep("cache-7", &Frame::from("z"));
        assert_eq!(cache.last("cache-7").as_deref(), Some("z"), "a kept channel is still updated");
    }
}
