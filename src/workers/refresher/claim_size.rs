//! How many due links a refresher pass claims: as many as this instance renewed in
//! [`CLAIM_SECS`] seconds in its last pass, never more than its nominal batch.
//!
//! The nominal batch is what background work may renew in that time at the budget's full pace.
//! Instances on one database share that pace (and customers take their part first), so each one
//! renews only a share of it; a claim of the nominal size would leave most of its links waiting
//! for room on their leases, some until the lease ends and the link is put back unsent. A pass's
//! own rate — links finished per second — is that share as the budget measured it, whatever the
//! number of instances or the customers' load; a pass that finishes quickly makes the next claim
//! grow back at once.

use crate::services::links::CLAIM_SECS;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClaimSize {
    nominal: i64,
    next: i64,
}

impl ClaimSize {
    /// Starts at `nominal` (at least 1).
    pub fn new(nominal: i64) -> Self {
        let nominal = nominal.max(1);
        Self {
            nominal,
            next: nominal,
        }
    }

    /// The size of the next claim.
    pub fn next(self) -> i64 {
        self.next
    }

    /// Learns from a pass that finished `finished` links in `elapsed`.
    pub fn after(&mut self, finished: usize, elapsed: Duration) {
        if finished == 0 {
            // Nothing was due: nothing measured.
            return;
        }
        let per_second = finished as f64 / elapsed.as_secs_f64().max(0.001);
        let fits = (per_second * CLAIM_SECS as f64).ceil();
        self.next = (fits.min(self.nominal as f64) as i64).max(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pass_held_back_by_the_budget_shrinks_the_next_claim_to_what_fits() {
        let mut size = ClaimSize::new(60);
        // A third of 12/s: 60 links took 50 s.
        size.after(60, Duration::from_secs(50));
        assert_eq!(size.next(), 6);
        size.after(6, Duration::from_millis(5_200));
        assert_eq!(size.next(), 6);
    }

    #[test]
    fn a_quick_pass_grows_the_claim_back_but_never_past_the_nominal_batch() {
        let mut size = ClaimSize::new(60);
        size.after(60, Duration::from_secs(50));
        size.after(6, Duration::from_millis(400));
        assert_eq!(size.next(), 60);
        size.after(3, Duration::from_millis(100));
        assert_eq!(size.next(), 60);
    }

    #[test]
    fn a_pass_with_nothing_due_changes_nothing_and_a_claim_is_never_empty() {
        let mut size = ClaimSize::new(60);
        size.after(60, Duration::from_secs(50));
        size.after(0, Duration::from_millis(3));
        assert_eq!(size.next(), 6);
        size.after(1, Duration::from_secs(3_600));
        assert_eq!(size.next(), 1);
        assert_eq!(ClaimSize::new(0).next(), 1);
    }
}
