//! Board events in revision order on every node. Every node commits changes of a
//! project and sends their events through the broker, so a node may hear revision
//! 12 before 11 (each sender's messages keep their order; two senders' need not).
//! For each project with subscribers here, events are delivered in revision order
//! from the one after the revision their subscriber's access was checked at; one
//! that comes early waits for those before it, and a gap that stays (a node that
//! died between its commit and its send) is filled from the event log.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::hub::Frame;

/// How long an early event waits for those before it before the log is asked.
pub const GAP_WAIT: Duration = Duration::from_millis(250);
/// Most events held for a gap: past this (the log unreadable for long), what waits
/// goes as it is, rather than the node's memory growing without end.
pub const MAX_EARLY: usize = 4096;

#[derive(Debug)]
struct Project {
    /// The next revision to deliver.
    next: u64,
    /// Events that came before their turn.
    early: BTreeMap<u64, Frame>,
    /// Since when the first of them has waited.
    waiting_since: Option<Instant>,
}

/// The projects followed here. See the module documentation.
#[derive(Debug, Default)]
pub struct Sequencer {
    projects: Mutex<HashMap<i64, Project>>,
}

impl Sequencer {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, Project>> {
        self.projects.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A subscriber here whose access was checked at revision `at`: followed from
    /// the next one on, unless the project is followed already.
    pub fn follow(&self, project: i64, at: u64) {
        self.lock().entry(project).or_insert(Project {
            next: at + 1,
            early: BTreeMap::new(),
            waiting_since: None,
        });
    }

    /// Nobody here subscribes to the project any more.
    pub fn forget(&self, project: i64) {
        self.lock().remove(&project);
    }

    /// Revision `rev` of `project` arrived (from here or another node): delivered
    /// with every one it lets through, in order, by `deliver`.
    pub fn offer(&self, project: i64, rev: u64, frame: Frame, deliver: impl Fn(Frame)) {
        let mut projects = self.lock();
        let Some(p) = projects.get_mut(&project) else { return };
        if rev < p.next || p.early.contains_key(&rev) {
            return;
        }
        if rev > p.next {
            p.early.insert(rev, frame);
            p.waiting_since.get_or_insert_with(Instant::now);
            if p.early.len() > MAX_EARLY {
                tracing::warn!(
                    project,
                    missing = p.next,
                    "a gap stayed unfilled too long: going on without it"
                );
                while let Some((rev, frame)) = p.early.pop_first() {
                    deliver(frame);
                    p.next = rev + 1;
                }
                p.waiting_since = None;
            }
            return;
        }
        deliver(frame);
        p.next += 1;
        while let Some(frame) = p.early.remove(&p.next) {
            deliver(frame);
            p.next += 1;
        }
        p.waiting_since = if p.early.is_empty() { None } else { Some(Instant::now()) };
    }

    /// Projects whose early events have waited longer than [`GAP_WAIT`] at `now`,
    /// with the revision after which the log is to be read. Each is then given
    /// another [`GAP_WAIT`] for the read to fill the gap before it is told again.
    pub fn gaps(&self, now: Instant) -> Vec<(i64, u64)> {
        self.lock()
            .iter_mut()
            .filter(|(_, p)| p.waiting_since.is_some_and(|at| now.duration_since(at) > GAP_WAIT))
            .map(|(id, p)| {
                p.waiting_since = Some(now);
                (*id, p.next - 1)
            })
            .collect()
    }

    /// Every project followed here, with the last revision delivered: after the
    /// broker was away, what came meanwhile is read from the log.
    pub fn followed(&self) -> Vec<(i64, u64)> {
        self.lock().iter().map(|(id, p)| (*id, p.next - 1)).collect()
    }

    /// The log no longer has what was missed: what is waiting goes as it is.
    pub fn skip(&self, project: i64, deliver: impl Fn(Frame)) {
        let mut projects = self.lock();
        let Some(p) = projects.get_mut(&project) else { return };
        while let Some((rev, frame)) = p.early.pop_first() {
            deliver(frame);
            p.next = rev + 1;
        }
        p.waiting_since = None;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    #[test]
    fn events_go_in_revision_order_from_where_the_subscriber_began() {
        let s = Sequencer::default();
        let got = Mutex::new(Vec::new());
        let deliver = |f: Frame| got.lock().unwrap().push(f.to_string());
        s.offer(1, 3, Frame::from("3"), deliver);
        assert!(got.lock().unwrap().is_empty(), "nobody follows the project yet");
        s.follow(1, 4);
        s.offer(1, 4, Frame::from("4"), deliver); // before the subscriber: not theirs
        s.offer(1, 7, Frame::from("7"), deliver);
        s.offer(1, 6, Frame::from("6"), deliver);
        assert!(got.lock().unwrap().is_empty(), "6 and 7 wait for 5");
        s.offer(1, 5, Frame::from("5"), deliver);
        s.offer(1, 6, Frame::from("6"), deliver); // twice: once
        assert_eq!(*got.lock().unwrap(), ["5", "6", "7"]);
        s.offer(1, 9, Frame::from("9"), deliver);
        assert!(s.gaps(Instant::now()).is_empty(), "not waited long enough");
        let later = Instant::now() + GAP_WAIT + Duration::from_millis(1);
        assert_eq!(s.gaps(later), [(1, 7)], "8 is to be read from the log");
        assert!(s.gaps(later).is_empty(), "the read is given its time");
        assert_eq!(s.followed(), [(1, 7)]);
        s.skip(1, deliver);
        assert_eq!(got.lock().unwrap().last().unwrap(), "9");
        s.forget(1);
        s.offer(1, 10, Frame::from("10"), deliver);
        assert_eq!(got.lock().unwrap().len(), 4);
    }

    #[test]
    fn a_gap_that_stays_holds_no_more_than_the_bound() {
        let s = Sequencer::default();
        let got = Mutex::new(0usize);
        let deliver = |_: Frame| *got.lock().unwrap() += 1;
        s.follow(1, 0);
        for rev in 2..2 + MAX_EARLY as u64 {
            s.offer(1, rev, Frame::from("x"), deliver);
        }
        assert_eq!(*got.lock().unwrap(), 0, "held for revision 1");
        s.offer(1, 2 + MAX_EARLY as u64, Frame::from("x"), deliver);
        assert_eq!(*got.lock().unwrap(), MAX_EARLY + 1, "past the bound, what waits goes");
        s.offer(1, 3 + MAX_EARLY as u64, Frame::from("x"), deliver);
        assert_eq!(*got.lock().unwrap(), MAX_EARLY + 2, "and what follows goes on in order");
    }
}
