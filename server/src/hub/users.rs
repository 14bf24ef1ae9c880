//! Users signed in on connections (`pusher:signin`), as this node holds them:
//! whose connections to end when the app terminates a user, and who watches
//! whom (a signed-in user's `watchlist`).
//!
//! Whether a user is online is presence on a channel of their own,
//! `presence-#online-<id>` (a name no client can subscribe to), which each of their
//! signed-in connections joins as them through a subscriber that is never read:
//! so the presence machinery decides it, once for a whole cluster (a user's
//! first connection anywhere, their last one gone, a killed node's users
//! removed), and where it would tell the channel's subscribers of a member
//! added or removed, the user's watchers here are told `online` or `offline`.
//! Terminating a user reaches every node (the adapter carries it).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use kanban_protocol::pusher;
use kanban_protocol::sign::Grant;

use super::{Ending, Frame, Outbox};

/// The presence channel whose member a signed-in user is while online: a
/// presence channel by its prefix, and one no client can name ('#' is not in
/// the channel alphabet).
pub const ONLINE: &str = "presence-#online-";

/// `#online-<user>`.
pub fn online_channel(user: &str) -> String {
    format!("{ONLINE}{user}")
}

/// The queue of the subscriber that holds a connection's place in its user's
/// `#online-` channel: closed, so what the channel would send it is dropped.
pub fn nobody() -> Arc<Outbox> {
    static NOBODY: OnceLock<Arc<Outbox>> = OnceLock::new();
    NOBODY
        .get_or_init(|| {
            let outbox = Outbox::new(0);
            outbox.close();
            outbox
        })
        .clone()
}

/// A signed-in connection's queue, and the grant of a sign-in the board's
/// endpoint signed.
type Signed = (Arc<Outbox>, Option<Grant>);

#[derive(Default)]
struct Inner {
    /// Each user's signed-in connections here, with the grant of those the
    /// board's endpoint signed.
    signed: HashMap<Arc<str>, HashMap<u64, Signed>>,
    /// The connections here watching each user.
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

    /// Records connection `conn_id` signed in as `user` (with `grant`, when the
    /// board's endpoint signed it), watching `watchlist`.
    pub fn sign_in(
        &self,
        user: &Arc<str>,
        conn_id: u64,
        outbox: &Arc<Outbox>,
        grant: Option<Grant>,
        watchlist: &[Arc<str>],
    ) {
        let mut inner = self.lock();
        inner.signed.entry(user.clone()).or_default().insert(conn_id, (outbox.clone(), grant));
        for watched in watchlist {
            inner.watchers.entry(watched.clone()).or_default().insert(conn_id, outbox.clone());
        }
    }

    /// Forgets connection `conn_id`'s sign-in.
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
        if let Some(connections) = inner.signed.get_mut(user) {
            connections.remove(&conn_id);
            if connections.is_empty() {
                inner.signed.remove(user);
            }
        }
    }

    /// Tells the watchers here that `user` came online or went offline (for the
    /// whole cluster), in one frame for all.
    pub fn tell(&self, user: &str, online: bool) {
        let inner = self.lock();
        let Some(watchers) = inner.watchers.get(user).filter(|w| !w.is_empty()) else { return };
        let frame = Frame::from(pusher::watchlist_event(online, &[user]));
        for outbox in watchers.values() {
            outbox.push(frame.clone());
        }
    }

    /// Ends every connection signed in as `user` here; how many.
    pub fn terminate(&self, user: &str) -> usize {
        let inner = self.lock();
        let Some(connections) = inner.signed.get(user) else { return 0 };
        for (outbox, _) in connections.values() {
            outbox.end(Ending::Terminated);
        }
        connections.len()
    }

    /// The connections signed in by the board's endpoint, with their grants.
    pub fn granted(&self) -> Vec<(Arc<Outbox>, Grant)> {
        let inner = self.lock();
        inner
            .signed
            .values()
            .flat_map(|c| c.values())
            .filter_map(|(outbox, grant)| Some((outbox.clone(), (*grant)?)))
            .collect()
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
    fn watchers_are_told_and_signed_in_connections_terminated() {
        let users = Users::default();
        let (ann, bob): (Arc<str>, Arc<str>) = ("ann".into(), "bob".into());
        let watcher = Outbox::new(16);
        users.sign_in(&ann, 1, &watcher, None, std::slice::from_ref(&bob));
        users.tell("bob", true);
        let heard = texts(&watcher);
        assert!(heard.len() == 1 && heard[0].contains("online") && heard[0].contains("bob"), "{heard:?}");
        users.tell("cy", true);
        assert!(texts(&watcher).is_empty(), "cy is watched by nobody");
        let (tab1, tab2) = (Outbox::new(16), Outbox::new(16));
        users.sign_in(&bob, 2, &tab1, None, &[]);
        users.sign_in(&bob, 3, &tab2, Some(Grant { token_id: 7, user_id: 2 }), &[]);
        assert_eq!(users.granted().len(), 1, "the board's sign-in alone");
        assert_eq!(users.terminate("bob"), 2);
        users.sign_out(&bob, 2, &[]);
        users.sign_out(&bob, 3, &[]);
        users.sign_out(&ann, 1, std::slice::from_ref(&bob));
        users.tell("bob", false);
        assert!(texts(&watcher).is_empty(), "ann no longer watches");
        assert!(users.lock().watchers.is_empty() && users.lock().signed.is_empty(), "nothing kept");
        assert!(!nobody().push(Frame::from("x")), "nobody's queue takes nothing");
    }
}
