//! A token bucket: `burst` tokens at most, refilled at `rate` tokens per second.
//!
//! Time is passed in explicitly so the arithmetic is testable without sleeping.

use std::time::Instant;

#[derive(Debug, Clone)]
pub struct TokenBucket {
    rate: f64,
    capacity: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    /// A full bucket. `rate` <= 0 or non-finite means "unlimited" (every take succeeds).
    /// A `burst` below 1 is raised to 1 so that a positive rate can ever admit a request.
    pub fn new(rate: f64, burst: f64, now: Instant) -> TokenBucket {
        let capacity = if burst.is_finite() {
            burst.max(1.0)
        } else {
            1.0
        };
        TokenBucket {
            rate,
            capacity,
            tokens: capacity,
            last: now,
        }
    }

    pub fn unlimited(&self) -> bool {
        !(self.rate.is_finite() && self.rate > 0.0)
    }

    fn refill(&mut self, now: Instant) {
        // `now` earlier than `last` (callers racing on the lock) adds nothing.
        let dt = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + dt * self.rate).min(self.capacity);
        if now > self.last {
            self.last = now;
        }
    }

    /// Takes one token if there is one; false means "over the rate".
    pub fn try_take(&mut self, now: Instant) -> bool {
        if self.unlimited() {
            return true;
        }
        self.refill(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Tokens available at `now` (after refill), for stats and tests.
    pub fn available(&mut self, now: Instant) -> f64 {
        if self.unlimited() {
            return f64::INFINITY;
        }
        self.refill(now);
        self.tokens
    }

    /// Back to a full bucket (the `/__reset` control endpoint).
    pub fn reset(&mut self, now: Instant) {
        self.tokens = self.capacity;
        self.last = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn burst_then_empty() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(20.0, 5.0, t0);
        for _ in 0..5 {
            assert!(b.try_take(t0));
        }
        assert!(
            !b.try_take(t0),
            "the 6th request in the same instant is over the rate"
        );
    }

    #[test]
    fn refills_at_rate() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(20.0, 1.0, t0);
        assert!(b.try_take(t0));
        assert!(
            !b.try_take(t0 + Duration::from_millis(40)),
            "0.8 token after 40 ms at 20/s"
        );
        assert!(
            b.try_take(t0 + Duration::from_millis(50)),
            "1 token after 50 ms at 20/s"
        );
        assert!(!b.try_take(t0 + Duration::from_millis(50)));
    }

    #[test]
    fn never_exceeds_capacity() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(100.0, 3.0, t0);
        let later = t0 + Duration::from_secs(60);
        assert!((b.available(later) - 3.0).abs() < 1e-9);
        let admitted = (0..10).filter(|_| b.try_take(later)).count();
        assert_eq!(admitted, 3);
    }

    #[test]
    fn sustained_rate_matches() {
        // Offer 100 requests/s for 10 s to a 20/s bucket with burst 20: 20 + 200 admitted.
        let t0 = Instant::now();
        let mut b = TokenBucket::new(20.0, 20.0, t0);
        let mut admitted = 0;
        for i in 0..1000u64 {
            if b.try_take(t0 + Duration::from_millis(i * 10)) {
                admitted += 1;
            }
        }
        assert!((218..=221).contains(&admitted), "admitted {admitted}");
    }

    #[test]
    fn zero_rate_is_unlimited_and_time_going_back_is_harmless() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(0.0, 1.0, t0);
        assert!((0..1000).all(|_| b.try_take(t0)));
        let mut b = TokenBucket::new(1.0, 1.0, t0 + Duration::from_secs(1));
        assert!(b.try_take(t0));
        assert!(!b.try_take(t0));
    }

    #[test]
    fn reset_refills() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(1.0, 2.0, t0);
        assert!(b.try_take(t0) && b.try_take(t0) && !b.try_take(t0));
        b.reset(t0);
        assert!(b.try_take(t0));
    }
}
