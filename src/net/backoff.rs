//! Reconnect delays: doubling from half a second to thirty, with jitter so that a
//! room full of clients does not reconnect in step after a server restart.

use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Backoff {
    attempt: u32,
}

const FIRST_MS: u64 = 500;
const MAX_MS: u64 = 30_000;

impl Backoff {
    pub fn new() -> Self {
        Backoff { attempt: 0 }
    }

    pub fn reset(&mut self) {
        self.attempt = 0;
    }

    /// The next delay: the `n`th is about `500ms × 2ⁿ`, at most 30 s, ±20 %.
    pub fn next_delay(&mut self) -> Duration {
        let base = FIRST_MS.saturating_mul(1 << self.attempt.min(10)).min(MAX_MS);
        self.attempt += 1;
        let jitter = rand::random_range(0.8..1.2);
        Duration::from_millis((base as f64 * jitter) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_a_ceiling() {
        let mut b = Backoff::new();
        let delays: Vec<u64> = (0..10).map(|_| b.next_delay().as_millis() as u64).collect();
        assert!(delays[0] >= 400 && delays[0] <= 600, "{delays:?}");
        assert!(delays[3] >= 3200 && delays[3] <= 4800, "{delays:?}");
        assert!(delays.iter().all(|d| *d <= 36_000), "{delays:?}");
        b.reset();
        assert!(b.next_delay().as_millis() <= 600);
    }
}
