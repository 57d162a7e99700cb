use chrono::{DateTime, Duration, Utc};
use std::sync::atomic::{AtomicI64, Ordering};

/// The simulator's clock: real time plus an offset that tests move forward to expire codes and
/// tokens without sleeping.
#[derive(Debug, Default)]
pub struct SimClock {
    offset_secs: AtomicI64,
}

impl SimClock {
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + Duration::seconds(self.offset_secs.load(Ordering::Relaxed))
    }

    pub fn advance(&self, secs: i64) -> DateTime<Utc> {
        self.offset_secs.fetch_add(secs, Ordering::Relaxed);
        self.now()
    }
}
