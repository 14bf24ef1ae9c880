//! Users signed in on connections (`pusher:signin`), as this node holds them:
//! whose connections to end when the app terminates a user, and who watches
//! whom (a signed-in user's `watchlist`), told `online` when a watched user's
//! first connection signs in and `offline` when their last one goes.
//!
//! The registry is this node's: in a cluster, terminating reaches every node
//! (the adapter carries it), while online and offline are of the connections on
//! the watcher's own node.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use kanban_protocol::pusher;

use super::{Ending, Frame, Outbox};

#[derive(Default)]
struct Inner {
    /// Each user's signed-in connections here.
    signed: HashMap<Arc<str>, HashMap<u64, Arc<Outbox>>>,
    /// The connections watching each user.
    watchers: HashMap<Arc<str>, HashMap<u64, Arc<Outbox>>>,
}

/// See the module documentation.
#[derive(Default)]
pub struct Users {
    inner: Mutex<Inner>,
}

impl Users {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Signs connection `conn_id` in as `user`, watching `watchlist`. Answers who
    /// of the watchlist is online now; the user's watchers hear `online` when this
    /// is its first connection.
    pub fn sign_in(
        &self,
        user: &Arc<str>,
        conn_id: u64,
        outbox: &Arc<Outbox>,
        watchlist: &[Arc<str>],
    ) -> Vec<Arc<str>> {
        let mut inner = self.lock();
        let connections = inner.signed.entry(user.clone()).or_default();
        let first = connections.is_empty();
        connections.insert(conn_id, outbox.clone());
        if first {
            tell(inner.watchers.get(user), true, user);
        }
        for watched in watchlist {
            inner.watchers.entry(watched.clone()).or_default().insert(conn_id, outbox.clone());
        }
        watchlist.iter().filter(|w| inner.signed.get(*w).is_some_and(|c| !c.is_empty())).cloned().collect()
    }

    /// Signs connection `conn_id` out; the user's watchers hear `offline` when it
    /// was the user's last connection.
    pub fn sign_out(&self, user: &Arc<str>, conn_id: u64, watchlist: &[Arc<str>]) {
        let mut inner = self.lock();
        for watched in watchlist {
            if let Some(watchers) = inner.watchers.get_mut(watched) {
                watchers.remove(&conn_id);
                if watchers.is_empty() {
                    inner.watchers.remove(watched);
                }
            }
        }
        let Some(connections) = inner.signed.get_mut(user) else { return };
        if connections.remove(&conn_id).is_some() && connections.is_empty() {
            inner.signed.remove(user);
            tell(inner.watchers.get(user), false, user);
        }
    }

    /// Ends every connection signed in as `user` here; how many.
    pub fn terminate(&self, user: &str) -> usize {
        let inner = self.lock();
        let Some(connections) = inner.signed.get(user) else { return 0 };
        for outbox in connections.values() {
            outbox.end(Ending::Terminated);
        }
        connections.len()
    }
}

/// Tells `watchers` that `user` came online or went offline, in one frame for all.
fn tell(watchers: Option<&HashMap<u64, Arc<Outbox>>>, online: bool, user: &str) {
    let Some(watchers) = watchers.filter(|w| !w.is_empty()) else { return };
    let frame = Frame::from(pusher::watchlist_event(online, &[user]));
    for outbox in watchers.values() {
        outbox.push(frame.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(outbox: &Outbox) -> Vec<String> {
        let mut frames = std::collections::VecDeque::new();
        outbox.try_take(&mut frames);
        frames.iter().map(|f| f.to_string()).collect()
    }

    #[test]
    fn watchers_hear_the_first_connection_and_the_last() {
        let users = Users::default();
        let (ann, bob): (Arc<str>, Arc<str>) = ("ann".into(), "bob".into());
        let watcher = Outbox::new(16);
        let online = users.sign_in(&ann, 1, &watcher, std::slice::from_ref(&bob));
        assert!(online.is_empty(), "bob is not here yet");
        let (tab1, tab2) = (Outbox::new(16), Outbox::new(16));
        users.sign_in(&bob, 2, &tab1, &[]);
        users.sign_in(&bob, 3, &tab2, &[]);
        let heard = texts(&watcher);
        assert_eq!(heard.len(), 1, "online once, for the first tab: {heard:?}");
        assert!(heard[0].contains(r#"\"name\":\"online\""#) && heard[0].contains("bob"), "{heard:?}");
        users.sign_out(&bob, 2, &[]);
        assert!(texts(&watcher).is_empty(), "a tab left open");
        assert_eq!(users.terminate("bob"), 1);
        users.sign_out(&bob, 3, &[]);
        let heard = texts(&watcher);
        assert!(heard.len() == 1 && heard[0].contains("offline"), "{heard:?}");
        users.sign_out(&ann, 1, std::slice::from_ref(&bob));
        assert!(users.lock().watchers.is_empty() && users.lock().signed.is_empty(), "nothing kept");
    }
}
