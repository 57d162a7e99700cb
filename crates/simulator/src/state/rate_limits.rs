//! Wise's request limits (`ref/wise-api.md` §9: 100 requests per second and 1,000 per minute by
//! default), enforced when a test or benchmark asks: past either, Wise answers 429 with
//! `Retry-After`. Windows slide over real time (not the simulator's clock, which tests move), and a
//! refused request does not count against them.

use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// The limits, per client application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimits {
    pub per_second: u32,
    pub per_minute: u32,
}

impl RateLimits {
    /// Wise's published defaults.
    pub const WISE: Self = Self {
        per_second: 100,
        per_minute: 1000,
    };

    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !(1..=100_000).contains(&self.per_second) {
            out.push("per_second must be between 1 and 100000".to_owned());
        }
        if !(1..=1_000_000).contains(&self.per_minute) {
            out.push("per_minute must be between 1 and 1000000".to_owned());
        }
        out
    }
}

const SECOND: Duration = Duration::from_secs(1);
const MINUTE: Duration = Duration::from_secs(60);

/// The requests admitted in the last minute, against the limits.
#[derive(Debug)]
pub struct Limiter {
    pub limits: RateLimits,
    admitted: VecDeque<Instant>,
    /// Requests refused since the limits were set.
    pub refused: u64,
    /// Requests admitted since the limits were set.
    pub admitted_total: u64,
    /// The most requests admitted in any one second, and in any one minute (sliding windows).
    pub busiest_second: u32,
    pub busiest_minute: u32,
}

impl Limiter {
    pub fn new(limits: RateLimits) -> Self {
        Self {
            limits,
            admitted: VecDeque::new(),
            refused: 0,
            admitted_total: 0,
            busiest_second: 0,
            busiest_minute: 0,
        }
    }

    /// Admits a request at `now`, or says how many whole seconds to wait (`Retry-After`): until
    /// the oldest request of the full window leaves it.
    pub fn admit(&mut self, now: Instant) -> Result<(), u64> {
        while self
            .admitted
            .front()
            .is_some_and(|t| now.duration_since(*t) >= MINUTE)
        {
            self.admitted.pop_front();
        }
        let in_last_second = self
            .admitted
            .iter()
            .rev()
            .take_while(|t| now.duration_since(**t) < SECOND)
            .count();
        let frees_at = if self.admitted.len() >= self.limits.per_minute as usize {
            Some(self.admitted[self.admitted.len() - self.limits.per_minute as usize] + MINUTE)
        } else if in_last_second >= self.limits.per_second as usize {
            Some(self.admitted[self.admitted.len() - self.limits.per_second as usize] + SECOND)
        } else {
            None
        };
        match frees_at {
            None => {
                self.admitted.push_back(now);
                self.admitted_total += 1;
                let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
                self.busiest_second = self.busiest_second.max(count(in_last_second + 1));
                self.busiest_minute = self.busiest_minute.max(count(self.admitted.len()));
                Ok(())
            }
            Some(at) => {
                self.refused += 1;
                Err(at
                    .saturating_duration_since(now)
                    .as_secs_f64()
                    .ceil()
                    .max(1.0) as u64)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn past_either_limit_requests_are_refused_until_the_window_moves_on() {
        let mut limiter = Limiter::new(RateLimits {
            per_second: 3,
            per_minute: 5,
        });
        let start = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.admit(start), Ok(()));
        }
        // The fourth in the same second waits for the first to leave the second's window.
        assert_eq!(limiter.admit(start + Duration::from_millis(500)), Err(1));
        assert_eq!(limiter.admit(start + Duration::from_secs(1)), Ok(()));
        assert_eq!(limiter.admit(start + Duration::from_secs(2)), Ok(()));
        // Five in the minute: the sixth waits until the first is a minute old (58 s from here).
        assert_eq!(limiter.admit(start + Duration::from_secs(2)), Err(58));
        assert_eq!(limiter.admit(start + Duration::from_secs(59)), Err(1));
        assert_eq!(limiter.admit(start + Duration::from_secs(60)), Ok(()));
        assert_eq!(limiter.refused, 3);
        assert_eq!(limiter.admitted_total, 6);
        assert_eq!((limiter.busiest_second, limiter.busiest_minute), (3, 5));
    }
}
