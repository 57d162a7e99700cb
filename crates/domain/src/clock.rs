//! The one clock wiselink and its simulator read time from: real time plus an offset that only
//! moves forward. In production the offset stays zero; tests share one clock between the service
//! and the simulator and move it forward instead of rewriting timestamps or sleeping.

use chrono::{DateTime, Duration, NaiveDateTime, Timelike, Utc};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

#[derive(Debug, Default)]
pub struct Clock {
    offset_micros: AtomicI64,
}

/// A clock shared by everything that reads time in one process.
pub type SharedClock = Arc<Clock>;

impl Clock {
    /// Real time, unshifted.
    pub fn system() -> SharedClock {
        Arc::new(Self::default())
    }

    pub fn now_utc(&self) -> DateTime<Utc> {
        Utc::now() + Duration::microseconds(self.offset_micros.load(Ordering::Relaxed))
    }

    /// The current time as stored: UTC, truncated to microseconds so both backends keep it alike
    /// (PostgreSQL keeps microseconds, SQLite nanoseconds).
    pub fn now(&self) -> NaiveDateTime {
        stored(self.now_utc())
    }

    /// Moves the clock forward by `by` (never back: a negative step is ignored) and returns the
    /// new time.
    pub fn advance(&self, by: Duration) -> DateTime<Utc> {
        let micros = by.num_microseconds().unwrap_or(i64::MAX).max(0);
        self.offset_micros.fetch_add(micros, Ordering::Relaxed);
        self.now_utc()
    }
}

/// A timestamp as stored: UTC, whole microseconds.
pub fn stored(t: DateTime<Utc>) -> NaiveDateTime {
    let naive = t.naive_utc();
    // Dropping sub-microsecond digits keeps the value in range, so this never falls back.
    naive
        .with_nanosecond(naive.nanosecond() / 1_000 * 1_000)
        .unwrap_or(naive)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_forward_only_and_keeps_whole_microseconds() {
        let clock = Clock::default();
        let before = clock.now();
        let later = clock.advance(Duration::hours(2));
        assert!(later.naive_utc() - before >= Duration::hours(2));
        let again = clock.advance(Duration::hours(-5));
        assert!(
            again >= later,
            "a negative step does not move the clock back"
        );
        assert_eq!(clock.now().nanosecond() % 1_000, 0);
    }
}
