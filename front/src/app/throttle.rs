//! The cursor throttle: selection changes become `client-cursor-move` events at
//! most once per frame, only when the position changed, and the last position is
//! always sent (trailing edge). A held-down arrow key thus costs one event per
//! frame, not one per key repeat. Opening and closing a card's form changes the
//! pointer too (its `editing`), under the same throttle.

use kanban_protocol::model::Pointer;
use std::time::Duration;
use tokio::time::Instant;

/// What the throttle wants now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// Send this position now.
    Send(Pointer),
    /// Something is waiting: ask again at this instant.
    At(Instant),
    /// Nothing to send.
    Idle,
}

/// How often the position goes again for those who ask where everyone points.
const ANSWER_EVERY: Duration = Duration::from_secs(1);

#[derive(Debug, Clone)]
pub struct CursorThrottle {
    interval: Duration,
    last_sent: Option<Pointer>,
    last_sent_at: Option<Instant>,
    wanted: Option<Pointer>,
    /// When the position last went again for someone who asked.
    answered_at: Option<Instant>,
    /// An ask that came within [`ANSWER_EVERY`] of the last answer: answered then.
    answer_due: Option<Instant>,
}

impl CursorThrottle {
    /// At most one event per `1/fps` seconds.
    pub fn new(fps: u32) -> Self {
        let interval = Duration::from_secs_f64(1.0 / f64::from(fps.max(1)));
        Self {
            interval,
            last_sent: None,
            last_sent_at: None,
            wanted: None,
            answered_at: None,
            answer_due: None,
        }
    }

    /// Records where the user points now.
    pub fn set(&mut self, pos: Pointer) {
        self.wanted = Some(pos);
    }

    /// Forgets what was sent, so that the current position goes out again (for a
    /// newcomer, or after a reconnect).
    pub fn resend(&mut self) {
        if self.wanted.is_none() {
            self.wanted = self.last_sent;
        }
        self.last_sent = None;
    }

    /// Someone asked where everyone points (a newcomer): the position goes again,
    /// at most once a second however often it is asked, so that one member asking
    /// in a loop cannot make every other client send at its frame rate; an ask
    /// within the second is answered when the second is over.
    pub fn answer(&mut self, now: Instant) {
        match self.answered_at {
            Some(at) if now < at + ANSWER_EVERY => self.answer_due = Some(at + ANSWER_EVERY),
            _ => {
                self.answered_at = Some(now);
                self.answer_due = None;
                self.resend();
            }
        }
    }

    /// What to do at `now`.
    pub fn poll(&mut self, now: Instant) -> Due {
        if self.answer_due.is_some_and(|due| now >= due) {
            self.answer_due = None;
            self.answered_at = Some(now);
            self.resend();
        }
        match (self.poll_move(now), self.answer_due) {
            (Due::Idle, Some(due)) => Due::At(due),
            (Due::At(at), Some(due)) => Due::At(at.min(due)),
            (due, _) => due,
        }
    }

    fn poll_move(&mut self, now: Instant) -> Due {
        let Some(wanted) = self.wanted else { return Due::Idle };
        if self.last_sent == Some(wanted) {
            self.wanted = None;
            return Due::Idle;
        }
        match self.last_sent_at {
            Some(at) if now < at + self.interval => Due::At(at + self.interval),
            _ => {
                self.last_sent = Some(wanted);
                self.last_sent_at = Some(now);
                self.wanted = None;
                Due::Send(wanted)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(task: i64) -> Pointer {
        Pointer { status_id: 1, task_id: Some(task), editing: false }
    }

    #[tokio::test(start_paused = true)]
    async fn coalesces_to_one_per_frame_with_a_trailing_edge() {
        let mut t = CursorThrottle::new(50); // 20 ms frames
        let start = Instant::now();
        t.set(pos(1));
        assert_eq!(t.poll(start), Due::Send(pos(1)), "the first move goes at once");
        // A held key: 10 moves within one frame.
        for i in 2..12 {
            t.set(pos(i));
            assert_eq!(
                t.poll(start + Duration::from_millis(i as u64)),
                Due::At(start + Duration::from_millis(20))
            );
        }
        // At the frame boundary, only the last position goes.
        tokio::time::advance(Duration::from_millis(20)).await;
        assert_eq!(t.poll(Instant::now()), Due::Send(pos(11)));
        assert_eq!(t.poll(Instant::now()), Due::Idle);
    }

    #[tokio::test(start_paused = true)]
    async fn unchanged_positions_are_not_sent() {
        let mut t = CursorThrottle::new(60);
        t.set(pos(1));
        assert_eq!(t.poll(Instant::now()), Due::Send(pos(1)));
        tokio::time::advance(Duration::from_secs(1)).await;
        t.set(pos(1));
        assert_eq!(t.poll(Instant::now()), Due::Idle);
        // Away and back within one frame: nothing changed by the time it is due.
        t.set(pos(2));
        t.set(pos(1));
        assert_eq!(t.poll(Instant::now()), Due::Idle);
    }

    #[tokio::test(start_paused = true)]
    async fn resend_repeats_the_last_position() {
        let mut t = CursorThrottle::new(60);
        t.set(pos(3));
        assert_eq!(t.poll(Instant::now()), Due::Send(pos(3)));
        tokio::time::advance(Duration::from_secs(1)).await;
        t.resend();
        assert_eq!(t.poll(Instant::now()), Due::Send(pos(3)));
    }

    #[tokio::test(start_paused = true)]
    async fn asks_are_answered_at_most_once_a_second() {
        let mut t = CursorThrottle::new(60);
        t.set(pos(3));
        assert_eq!(t.poll(Instant::now()), Due::Send(pos(3)));
        tokio::time::advance(Duration::from_secs(1)).await;
        let start = Instant::now();
        t.answer(start);
        assert_eq!(t.poll(start), Due::Send(pos(3)), "the first ask is answered at once");
        // A thousand asks in the next second cost one more answer, at its end.
        let mut sent = 0;
        for _ in 0..1000 {
            tokio::time::advance(Duration::from_millis(1)).await;
            t.answer(Instant::now());
            match t.poll(Instant::now()) {
                Due::Send(_) => sent += 1,
                Due::At(at) => assert!(at <= start + ANSWER_EVERY),
                Due::Idle => panic!("an ask waits to be answered"),
            }
        }
        assert!(sent <= 1, "{sent}");
        tokio::time::advance(Duration::from_millis(10)).await;
        let late = t.poll(Instant::now());
        assert!(sent == 1 || late == Due::Send(pos(3)), "the last ask is answered: {late:?}");
        assert_eq!(t.poll(Instant::now()), Due::Idle);
    }

    #[tokio::test(start_paused = true)]
    async fn a_minute_of_held_keys_costs_one_event_per_frame() {
        let mut t = CursorThrottle::new(60);
        let mut sent = 0;
        // 1000 key repeats per second for a minute.
        for i in 0..60_000u64 {
            t.set(pos((i % 7) as i64));
            if let Due::Send(_) = t.poll(Instant::now()) {
                sent += 1;
            }
            tokio::time::advance(Duration::from_millis(1)).await;
        }
        assert!(sent <= 60 * 60 + 1, "{sent} events in a minute at 60 fps");
        // A frame is 16.7 ms, so with 1 ms ticks a send falls every 17 ms.
        assert!(sent >= 60_000 / 17 - 10, "and still one per frame: {sent}");
    }
}
