//! When a customer may ask Wise for another code: at least `interval` after the last email, and
//! at most `per_window` times in a rolling `window` (by default a minute, five, and 24 hours).

use chrono::{Duration, NaiveDateTime};

/// How often a customer may ask Wise for a new code (`[links]` in the configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResendPolicy {
    pub interval: Duration,
    pub per_window: i32,
    pub window: Duration,
}

impl Default for ResendPolicy {
    fn default() -> Self {
        Self {
            interval: Duration::seconds(60),
            per_window: 5,
            window: Duration::hours(24),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResendDecision {
    /// Go ahead; record this window start and count.
    Allowed {
        window_start: NaiveDateTime,
        resends_in_window: i32,
    },
    TooSoon {
        retry_after_secs: i64,
    },
    LimitReached {
        retry_after_secs: i64,
    },
}

/// `last_email_at` is the last resend, or when the link started (Wise's first email).
pub fn resend_decision(
    policy: &ResendPolicy,
    now: NaiveDateTime,
    last_email_at: NaiveDateTime,
    window_start: Option<NaiveDateTime>,
    resends_in_window: i32,
) -> ResendDecision {
    let ready_at = policy.resend_available_at(last_email_at);
    if now < ready_at {
        return ResendDecision::TooSoon {
            retry_after_secs: seconds_until(now, ready_at),
        };
    }
    let (start, count) = match window_start {
        Some(start) if now - start < policy.window => (start, resends_in_window),
        _ => (now, 0),
    };
    if count >= policy.per_window {
        return ResendDecision::LimitReached {
            retry_after_secs: seconds_until(now, start + policy.window),
        };
    }
    ResendDecision::Allowed {
        window_start: start,
        resends_in_window: count + 1,
    }
}

impl ResendPolicy {
    /// When the next resend may happen, for `next_action.resend_available_at`.
    pub fn resend_available_at(&self, last_email_at: NaiveDateTime) -> NaiveDateTime {
        last_email_at + self.interval
    }
}

fn seconds_until(now: NaiveDateTime, then: NaiveDateTime) -> i64 {
    let ms = (then - now).num_milliseconds();
    ((ms + 999) / 1000).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(secs: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_763_800_000 + secs, 0)
            .unwrap()
            .naive_utc()
    }

    #[test]
    fn table() {
        use ResendDecision::*;
        let policy = ResendPolicy::default();
        let day = policy.window.num_seconds();
        let cases = [
            (
                "too soon after the first email",
                t(30),
                t(0),
                None,
                0,
                TooSoon {
                    retry_after_secs: 30,
                },
            ),
            (
                "a minute later: first resend opens a window",
                t(60),
                t(0),
                None,
                0,
                Allowed {
                    window_start: t(60),
                    resends_in_window: 1,
                },
            ),
            (
                "third in the window",
                t(500),
                t(400),
                Some(t(60)),
                2,
                Allowed {
                    window_start: t(60),
                    resends_in_window: 3,
                },
            ),
            (
                "sixth in the window",
                t(1000),
                t(900),
                Some(t(60)),
                5,
                LimitReached {
                    retry_after_secs: day - 940,
                },
            ),
            (
                "window over: counting restarts",
                t(60 + day),
                t(900),
                Some(t(60)),
                5,
                Allowed {
                    window_start: t(60 + day),
                    resends_in_window: 1,
                },
            ),
        ];
        for (name, now, last, start, count, expected) in cases {
            assert_eq!(
                resend_decision(&policy, now, last, start, count),
                expected,
                "{name}"
            );
        }
    }
}
