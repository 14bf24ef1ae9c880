//! Reconnect delays: doubling from half a second to a ceiling of three, so that a
//! server back from a restart is found within a few seconds, each delay drawn
//! between half and all of its step ("equal jitter"), so that a room full of
//! clients does not come back in one instant.

use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Backoff {
    attempt: u32,
}

const FIRST_MS: u64 = 500;
const MAX_MS: u64 = 3_000;

impl Backoff {
    pub fn new() -> Self {
        Backoff { attempt: 0 }
    }

    pub fn reset(&mut self) {
        self.attempt = 0;
    }

    /// The next delay: the `n`th step is `500ms × 2ⁿ`, at most 3 s, and the delay
    /// is drawn from its upper half.
    pub fn next_delay(&mut self) -> Duration {
        let step = FIRST_MS.saturating_mul(1 << self.attempt.min(10)).min(MAX_MS);
        self.attempt = self.attempt.saturating_add(1);
        Duration::from_millis(rand::random_range(step / 2..=step))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_a_ceiling_of_a_few_seconds() {
        let mut b = Backoff::new();
        let delays: Vec<u64> = (0..20).map(|_| b.next_delay().as_millis() as u64).collect();
        assert!((250..=500).contains(&delays[0]), "{delays:?}");
        assert!((500..=1000).contains(&delays[1]), "{delays:?}");
        assert!(delays[3..].iter().all(|d| (1500..=3000).contains(d)), "{delays:?}");
        b.reset();
        assert!(b.next_delay().as_millis() <= 500);
    }

    #[test]
    fn a_crowd_is_spread_out() {
        // A hundred clients at their ceiling: not one instant, but over a second
        // and a half.
        let delays: Vec<u64> = (0..100)
            .map(|_| {
                let mut b = Backoff::new();
                (0..5).map(|_| b.next_delay()).last().unwrap().as_millis() as u64
            })
            .collect();
        let (min, max) = (delays.iter().min().unwrap(), delays.iter().max().unwrap());
        assert!(max - min >= 750, "{min}..{max}");
        let mut distinct = delays.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert!(distinct.len() > 50, "{} distinct delays of 100", distinct.len());
    }
}
