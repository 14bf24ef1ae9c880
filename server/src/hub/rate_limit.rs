//! A token bucket for client events: steady rate, with a burst of one second's worth.

use tokio::time::Instant;

/// Allows `rate` events per second on average and up to `rate` at once.
#[derive(Debug)]
pub struct TokenBucket {
    rate: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    pub fn new(rate: u32) -> Self {
        Self { rate: f64::from(rate), tokens: f64::from(rate), last: Instant::now() }
    }

    /// Takes one token if there is one.
    pub fn try_take(&mut self) -> bool {
        let now = Instant::now();
        let elapsed = now.duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.rate).min(self.rate);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn burst_then_steady_rate() {
        let mut bucket = TokenBucket::new(10);
        let burst = (0..20).filter(|_| bucket.try_take()).count();
        assert_eq!(burst, 10);
        tokio::time::advance(Duration::from_millis(500)).await;
        let refilled = (0..20).filter(|_| bucket.try_take()).count();
        assert_eq!(refilled, 5);
        tokio::time::advance(Duration::from_secs(60)).await;
        assert_eq!((0..20).filter(|_| bucket.try_take()).count(), 10, "never above the burst");
    }
}
