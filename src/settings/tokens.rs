//! `[tokens]`: keeping each active link's Wise tokens alive — when the refresher renews them, how
//! it backs off, and when a link whose refreshes keep failing is flagged.

use crate::domain::TokenPolicy;
use chrono::Duration;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenSettings {
    /// The refresher renews an access token when less than this remains (Wise: about 6 h of 12).
    pub refresh_margin_secs: i64,
    /// Seconds between two looks for due links (each look is jittered by up to a fifth).
    pub refresh_interval_secs: u64,
    /// An access token expiring within this is refreshed before being handed to the partner.
    pub hand_out_margin_secs: i64,
    /// Failing refreshes for this long flag the link `refresh_failing` (it is never re-linked for
    /// failures Wise did not call final).
    pub failing_after_secs: i64,
    /// A refresh claimed by one worker is its own this long; the Wise call must end before.
    pub lease_secs: i64,
    /// First wait after a failed refresh, doubling each time up to `retry_max_secs` (full jitter;
    /// a longer `Retry-After` from Wise wins).
    pub retry_base_secs: i64,
    pub retry_max_secs: i64,
    /// Links claimed per look, and refreshed at once.
    pub batch_size: i64,
    pub concurrency: usize,
}

impl TokenSettings {
    pub(super) fn problems(&self, request_timeout_ms: u64, out: &mut Vec<String>) {
        let ranges: [(&str, i64, i64, i64); 7] = [
            (
                "tokens.refresh_margin_secs",
                self.refresh_margin_secs,
                300,
                39_600,
            ),
            (
                "tokens.hand_out_margin_secs",
                self.hand_out_margin_secs,
                30,
                3_600,
            ),
            (
                "tokens.failing_after_secs",
                self.failing_after_secs,
                60,
                30 * 86_400,
            ),
            ("tokens.lease_secs", self.lease_secs, 5, 600),
            ("tokens.retry_base_secs", self.retry_base_secs, 1, 3_600),
            ("tokens.retry_max_secs", self.retry_max_secs, 1, 86_400),
            ("tokens.batch_size", self.batch_size, 1, 10_000),
        ];
        for (key, value, low, high) in ranges {
            if !(low..=high).contains(&value) {
                out.push(format!(
                    "{key} must be between {low} and {high}, got {value}"
                ));
            }
        }
        if !(1..=3_600).contains(&self.refresh_interval_secs) {
            out.push("tokens.refresh_interval_secs must be between 1 and 3600".to_owned());
        }
        if !(1..=1_024).contains(&self.concurrency) {
            out.push("tokens.concurrency must be between 1 and 1024".to_owned());
        }
        if self.hand_out_margin_secs >= self.refresh_margin_secs {
            out.push(
                "tokens.hand_out_margin_secs must be under tokens.refresh_margin_secs".to_owned(),
            );
        }
        if self.retry_base_secs > self.retry_max_secs {
            out.push("tokens.retry_base_secs must not exceed tokens.retry_max_secs".to_owned());
        }
        // Two Wise calls (a check of the old token, then the refresh) must end inside the lease,
        // or another worker could refresh the same link while the first call is still out.
        let needed_ms = 2 * request_timeout_ms + 2_000;
        if u64::try_from(self.lease_secs).unwrap_or(0) * 1_000 < needed_ms {
            out.push(format!(
                "tokens.lease_secs ({}) must cover two Wise calls: at least {} s with wise.request_timeout_ms = {request_timeout_ms}",
                self.lease_secs,
                needed_ms.div_ceil(1_000)
            ));
        }
    }

    pub fn policy(&self) -> TokenPolicy {
        TokenPolicy {
            refresh_margin: Duration::seconds(self.refresh_margin_secs),
            hand_out_margin: Duration::seconds(self.hand_out_margin_secs),
            failing_after: Duration::seconds(self.failing_after_secs),
            lease: Duration::seconds(self.lease_secs),
            retry_base: Duration::seconds(self.retry_base_secs),
            retry_max: Duration::seconds(self.retry_max_secs),
        }
    }
}
