//! A token bucket: a steady rate, with a burst (client events: one second's
//! worth; a person's board changes: a few seconds' worth).

use std::time::Duration;

use tokio::time::Instant;

/// Allows `rate` events per second on average and up to `burst` at once.
#[derive(Debug)]
pub struct TokenBucket {
    rate: f64,
    burst: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    /// `rate` a second, a burst of one second's worth.
    pub fn new(rate: u32) -> Self {
        Self::with_burst(rate, rate)
    }

    pub fn with_burst(rate: u32, burst: u32) -> Self {
        let burst = f64::from(burst.max(1));
        Self { rate: f64::from(rate), burst, tokens: burst, last: Instant::now() }
    }

    fn refill(&mut self) {
        let now = Instant::now();
        let elapsed = now.duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
    }

    /// Takes one token if there is one.
    pub fn try_take(&mut self) -> bool {
        self.take().is_ok()
    }

    /// Takes one token, or says how long until there is one.
    pub fn take(&mut self) -> Result<(), Duration> {
        self.refill();
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else if self.rate > 0.0 {
            Err(Duration::from_secs_f64((1.0 - self.tokens) / self.rate))
        } else {
            Err(Duration::MAX)
        }
    }

    /// Whether the bucket is full: nothing taken lately (it can be forgotten).
    pub fn is_full(&mut self) -> bool {
        self.refill();
        self.tokens >= self.burst
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

    #[tokio::test(start_paused = true)]
    async fn a_burst_of_seconds_and_the_wait_for_the_next() {
        let mut bucket = TokenBucket::with_burst(2, 10);
        assert_eq!((0..20).filter(|_| bucket.try_take()).count(), 10);
        assert_eq!(bucket.take(), Err(Duration::from_millis(500)), "one token is half a second away");
        tokio::time::advance(Duration::from_millis(500)).await;
        assert_eq!(bucket.take(), Ok(()));
        assert!(!bucket.is_full());
        tokio::time::advance(Duration::from_secs(5)).await;
        assert!(bucket.is_full());
    }
}
