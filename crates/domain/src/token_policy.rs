//! When an active link's tokens are renewed, and how failures are waited out (`[tokens]`).

use chrono::{Duration, NaiveDateTime};
use rand::Rng;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenPolicy {
    /// Renew when less than this remains of the access token.
    pub refresh_margin: Duration,
    /// Renew before handing a token out when less than this remains.
    pub hand_out_margin: Duration,
    /// Refreshes failing this long flag the link.
    pub failing_after: Duration,
    /// How long a claimed refresh belongs to its worker.
    pub lease: Duration,
    pub retry_base: Duration,
    pub retry_max: Duration,
}

impl Default for TokenPolicy {
    fn default() -> Self {
        Self {
            refresh_margin: Duration::hours(6),
            hand_out_margin: Duration::minutes(5),
            failing_after: Duration::days(3),
            lease: Duration::seconds(45),
            retry_base: Duration::seconds(30),
            retry_max: Duration::hours(1),
        }
    }
}

impl TokenPolicy {
    /// When the refresher should next renew a token expiring at `expires_at`: `refresh_margin`
    /// before it, moved earlier by up to a sixth of the margin at random, so links created
    /// together do not all fall due together ever after.
    pub fn due_at(&self, expires_at: NaiveDateTime) -> NaiveDateTime {
        let spread = self.refresh_margin.num_seconds() / 6;
        let early = rand::rng().random_range(0..=spread.max(0));
        expires_at - self.refresh_margin - Duration::seconds(early)
    }

    /// The wait before retrying after the `failures`-th failure in a row: full jitter over an
    /// exponential ceiling (`retry_base` doubled per failure, at most `retry_max`), and never less
    /// than what Wise asked for with `Retry-After`.
    pub fn retry_in(&self, failures: i32, retry_after: Option<Duration>) -> Duration {
        let doublings = u32::try_from(failures.saturating_sub(1))
            .unwrap_or(0)
            .min(20);
        let ceiling = self
            .retry_base
            .num_milliseconds()
            .saturating_mul(1 << doublings)
            .min(self.retry_max.num_milliseconds())
            .max(1);
        let wait = Duration::milliseconds(rand::rng().random_range(ceiling / 2..=ceiling));
        retry_after.map_or(wait, |asked| wait.max(asked))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_times_are_spread_before_the_margin() {
        let policy = TokenPolicy::default();
        let expires = chrono::DateTime::from_timestamp(1_800_000_000, 0)
            .unwrap()
            .naive_utc();
        let dues: Vec<_> = (0..200).map(|_| policy.due_at(expires)).collect();
        let latest = expires - Duration::hours(6);
        let earliest = latest - Duration::hours(1);
        assert!(dues.iter().all(|d| *d <= latest && *d >= earliest));
        let distinct: std::collections::HashSet<_> = dues.iter().collect();
        assert!(distinct.len() > 100, "due times are spread, not bunched");
    }

    #[test]
    fn waits_double_up_to_the_cap_and_honour_retry_after() {
        let policy = TokenPolicy::default();
        for failures in 1..=30 {
            let ceiling = (30_i64 << (failures - 1).min(20)).min(3_600);
            let wait = policy.retry_in(failures, None).num_milliseconds();
            assert!(
                wait <= ceiling * 1_000 && wait >= ceiling * 500,
                "{failures}: {wait}"
            );
        }
        let asked = Duration::seconds(7_200);
        assert_eq!(policy.retry_in(1, Some(asked)), asked);
    }
}
