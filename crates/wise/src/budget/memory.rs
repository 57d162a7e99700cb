//! The budget counted in this process alone: one instance (SQLite), or the fallback while the
//! shared store cannot be reached.

use super::{Grant, Limits, MINUTE_BUCKETS, SECOND_BUCKETS, SlotStore, StoreFuture, Used, Want};
use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[derive(Default)]
struct Windows {
    /// (bucket, calls admitted in it), oldest first, none older than a minute.
    buckets: VecDeque<(i64, u32)>,
    /// No admission before this time (Unix milliseconds).
    paused_until_ms: i64,
}

/// Sliding windows over this process's own admissions.
#[derive(Default)]
pub struct MemoryStore {
    windows: Mutex<Windows>,
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn take_now(&self, limits: Limits, want: Want, now_ms: i64) -> Grant {
        let mut w = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if now_ms < w.paused_until_ms {
            return Grant {
                customer: 0,
                background: 0,
                retry_in: Duration::from_millis((w.paused_until_ms - now_ms) as u64),
            };
        }
        let bucket = now_ms.div_euclid(super::BUCKET_MS);
        while w
            .buckets
            .front()
            .is_some_and(|(b, _)| *b < bucket - MINUTE_BUCKETS)
        {
            w.buckets.pop_front();
        }
        let sum = |from: i64| -> u32 {
            w.buckets
                .iter()
                .filter(|(b, _)| *b >= from)
                .map(|(_, n)| n)
                .sum()
        };
        let used = Used {
            second: sum(bucket - SECOND_BUCKETS),
            minute: sum(bucket - MINUTE_BUCKETS),
        };
        let (customer, background) = limits.decide(used, want);
        let granted = customer + background;
        if granted > 0 {
            match w.buckets.back_mut() {
                Some((b, n)) if *b == bucket => *n += granted,
                _ => w.buckets.push_back((bucket, granted)),
            }
        }
        Grant {
            customer,
            background,
            retry_in: super::until_next_bucket(now_ms),
        }
    }
}

impl SlotStore for MemoryStore {
    fn take(&self, limits: Limits, want: Want) -> StoreFuture<'_, Grant> {
        let grant = self.take_now(limits, want, now_ms());
        Box::pin(async move { Ok(grant) })
    }

    fn pause(&self, wait: Duration) -> StoreFuture<'_, ()> {
        let until = now_ms() + wait.as_millis() as i64;
        let mut w = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        w.paused_until_ms = w.paused_until_ms.max(until);
        Box::pin(async { Ok(()) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::budget::BudgetSettings;

    #[test]
    fn a_window_admits_its_limit_then_frees_as_buckets_age_out() {
        let limits = BudgetSettings {
            per_second: 10,
            per_minute: 25,
            margin_percent: 0,
            ..BudgetSettings::default()
        }
        .limits()
        .unwrap();
        let store = MemoryStore::new();
        let want = Want {
            customer: 100,
            background: 0,
        };
        let t0 = 1_000_000;
        assert_eq!(store.take_now(limits, want, t0).customer, 10);
        // The second's oldest bucket still counts 950 ms later ...
        assert_eq!(store.take_now(limits, want, t0 + 1050).customer, 0);
        // ... and no longer once it is wholly out.
        assert_eq!(store.take_now(limits, want, t0 + 1100).customer, 10);
        assert_eq!(store.take_now(limits, want, t0 + 2200).customer, 5);
        assert_eq!(store.take_now(limits, want, t0 + 59_000).customer, 0);
        assert_eq!(store.take_now(limits, want, t0 + 60_100).customer, 10);
    }

    #[test]
    fn a_pause_admits_nothing_until_it_ends() {
        let limits = BudgetSettings::default().limits().unwrap();
        let store = MemoryStore::new();
        let want = Want {
            customer: 1,
            background: 1,
        };
        let now = now_ms();
        store.windows.lock().unwrap().paused_until_ms = now + 3000;
        let grant = store.take_now(limits, want, now);
        assert_eq!((grant.customer, grant.background), (0, 0));
        assert_eq!(grant.retry_in, Duration::from_millis(3000));
        assert_eq!(store.take_now(limits, want, now + 3000).customer, 1);
    }
}
