//! When a failed delivery is tried again: Standard Webhooks' kind of schedule, about three days.

use chrono::Duration;
use rand::Rng;

/// The waits before the second, third, … attempt (each ±10 % at random): twelve attempts over
/// about three days and three hours, then the delivery is failed.
pub const RETRY_SCHEDULE_SECS: [i64; 11] = [
    5,
    60,
    5 * 60,
    30 * 60,
    3600,
    2 * 3600,
    4 * 3600,
    8 * 3600,
    12 * 3600,
    24 * 3600,
    24 * 3600,
];

/// The wait after failed attempt number `attempts`, or `None` when it was the last.
pub fn retry_wait(attempts: i32) -> Option<Duration> {
    let base = *RETRY_SCHEDULE_SECS.get(usize::try_from(attempts).ok()?.checked_sub(1)?)?;
    let millis = base * 1000;
    let jitter = rand::rng().random_range(-millis / 10..=millis / 10);
    Some(Duration::milliseconds(millis + jitter))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_spans_about_three_days_and_then_gives_up() {
        let total: i64 = RETRY_SCHEDULE_SECS.iter().sum();
        assert!((70 * 3600..80 * 3600).contains(&total), "{total}");
        for attempt in 1..=11 {
            let wait = retry_wait(attempt).unwrap().num_milliseconds();
            let base = RETRY_SCHEDULE_SECS[attempt as usize - 1] * 1000;
            assert!(
                (base * 9 / 10..=base * 11 / 10).contains(&wait),
                "{attempt}: {wait}"
            );
        }
        assert_eq!(retry_wait(12), None);
        assert_eq!(retry_wait(0), None);
    }
}
