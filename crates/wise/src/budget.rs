//! The Wise call budget: Wise takes at most `per_second` and `per_minute` requests from one API
//! client (100 and 1,000 by default) and answers 429 beyond them, whatever the caller. Every
//! attempt the client sends is first admitted here, against one budget shared by every process
//! that uses the same [`SlotStore`] (PostgreSQL for a fleet, memory for one process).
//!
//! Calls someone is waiting for ([`CallClass::Customer`], the default) come first and may use the
//! whole budget; background work ([`CallClass::Background`], code run inside [`background`]) is
//! paced at what the minute allows less a reserve kept for customers, and gets nothing while the
//! windows are that full. A 429 from Wise pauses every admission, fleet-wide, for its
//! `Retry-After`.
//!
//! Windows are counted in 100 ms buckets; a bucket still partly inside a window counts whole, so
//! the count errs on the safe side.

mod admission;
mod memory;

pub use admission::Budget;
pub use memory::MemoryStore;

use serde::Deserialize;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// Width of one counting bucket, in milliseconds.
pub const BUCKET_MS: i64 = 100;
/// Buckets looked at for the one-second window (the oldest one partly).
pub const SECOND_BUCKETS: i64 = 1000 / BUCKET_MS;
/// Buckets looked at for the one-minute window.
pub const MINUTE_BUCKETS: i64 = 60_000 / BUCKET_MS;

/// Who is waiting for a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallClass {
    /// A customer, a partner's request or a page: goes first.
    Customer,
    /// The refresher, recovery, Wise's events: takes what customers leave.
    Background,
}

impl CallClass {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Customer => "customer",
            Self::Background => "background",
        }
    }
}

tokio::task_local! {
    static CLASS: CallClass;
}

/// Runs `work` with its Wise calls admitted as background work.
pub async fn background<F: Future>(work: F) -> F::Output {
    CLASS.scope(CallClass::Background, work).await
}

/// The class of the calls made here: background inside [`background`], customer elsewhere.
pub fn current_class() -> CallClass {
    CLASS.try_with(|c| *c).unwrap_or(CallClass::Customer)
}

/// `[wise.budget]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BudgetSettings {
    /// Wise's limit per second for this API client; 0 turns the budget off.
    pub per_second: u32,
    /// Wise's limit per minute; 0 turns the budget off.
    pub per_minute: u32,
    /// Kept unused below both limits, for clocks, retries and calls in flight.
    pub margin_percent: u32,
    /// Of what the margin leaves, the share background work never takes.
    pub customer_reserve_percent: u32,
    /// The longest a customer's call waits for the budget before its request is answered 503
    /// (`wise_unavailable`, with `Retry-After`).
    pub customer_max_wait_ms: u64,
}

impl Default for BudgetSettings {
    fn default() -> Self {
        Self {
            per_second: 100,
            per_minute: 1000,
            margin_percent: 10,
            customer_reserve_percent: 25,
            customer_max_wait_ms: 5000,
        }
    }
}

impl BudgetSettings {
    /// The limits admissions are held to, or `None` when the budget is off.
    pub fn limits(&self) -> Option<Limits> {
        if self.per_second == 0 || self.per_minute == 0 {
            return None;
        }
        let keep = |n: u32, percent: u32| {
            (u64::from(n) * u64::from(100 - percent.min(99)) / 100).max(1) as u32
        };
        let per_second = keep(self.per_second, self.margin_percent);
        let per_minute = keep(self.per_minute, self.margin_percent);
        let background_per_minute = keep(per_minute, self.customer_reserve_percent);
        // Paced: a backlog takes the minute's share evenly, never in one burst that would leave
        // customers nothing for the rest of the minute.
        let background_per_second =
            keep(per_second, self.customer_reserve_percent).min(background_per_minute.div_ceil(60));
        Some(Limits {
            per_second,
            per_minute,
            background_per_second,
            background_per_minute,
        })
    }
}

/// The numbers admissions are held to (margin applied).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub per_second: u32,
    pub per_minute: u32,
    pub background_per_second: u32,
    pub background_per_minute: u32,
}

/// Calls admitted, fleet-wide, in the windows ending now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Used {
    pub second: u32,
    pub minute: u32,
}

/// How many calls of each class are waiting to be admitted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Want {
    pub customer: u32,
    pub background: u32,
}

/// What a store admitted, and when to ask again for the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grant {
    pub customer: u32,
    pub background: u32,
    pub retry_in: Duration,
}

impl Limits {
    /// How many of `want` fit beside `used`: customers first, up to the limits; background work
    /// after them, up to its own lower limits counted against everyone's calls.
    pub fn decide(&self, used: Used, want: Want) -> (u32, u32) {
        let room = |limit: u32, used: u32| limit.saturating_sub(used);
        let customer = want
            .customer
            .min(room(self.per_second, used.second))
            .min(room(self.per_minute, used.minute));
        let background = want
            .background
            .min(room(self.background_per_second, used.second + customer))
            .min(room(self.background_per_minute, used.minute + customer));
        (customer, background)
    }
}

/// Time until the next bucket starts, when the windows move on (at least 1 ms).
pub fn until_next_bucket(now_ms: i64) -> Duration {
    Duration::from_millis((BUCKET_MS - now_ms.rem_euclid(BUCKET_MS)).max(1) as u64)
}

pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, String>> + Send + 'a>>;

/// Where admissions are counted. Implementations decide atomically with [`Limits::decide`].
pub trait SlotStore: Send + Sync + 'static {
    /// Admits what fits of `want` now and records it.
    fn take(&self, limits: Limits, want: Want) -> StoreFuture<'_, Grant>;
    /// Admits nothing for `wait` from now (Wise answered 429); a longer pause already set stays.
    fn pause(&self, wait: Duration) -> StoreFuture<'_, ()>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        BudgetSettings::default().limits().unwrap()
    }

    #[test]
    fn wise_defaults_leave_a_margin_and_pace_background_work() {
        assert_eq!(
            limits(),
            Limits {
                per_second: 90,
                per_minute: 900,
                background_per_second: 12,
                background_per_minute: 675,
            }
        );
        let off = BudgetSettings {
            per_second: 0,
            ..BudgetSettings::default()
        };
        assert_eq!(off.limits(), None);
    }

    #[test]
    fn customers_come_first_and_background_stops_at_its_share() {
        let l = limits();
        let want = Want {
            customer: 50,
            background: 50,
        };
        assert_eq!(l.decide(Used::default(), want), (50, 0));
        assert_eq!(
            l.decide(
                Used::default(),
                Want {
                    customer: 0,
                    background: 50
                }
            ),
            (0, 12)
        );
        assert_eq!(
            l.decide(
                Used {
                    second: 85,
                    minute: 100
                },
                want
            ),
            (5, 0)
        );
        assert_eq!(
            l.decide(
                Used {
                    second: 0,
                    minute: 670
                },
                Want {
                    customer: 3,
                    background: 9
                }
            ),
            (3, 2)
        );
        assert_eq!(
            l.decide(
                Used {
                    second: 0,
                    minute: 899
                },
                want
            ),
            (1, 0)
        );
    }
}
