//! `[links]`: the link policy an operator may tune.

use super::LimitSettings;
use crate::domain::{LinkPolicy, ResendPolicy};
use chrono::Duration;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkSettings {
    pub max_attempts: i32,
    pub code_window_minutes: i64,
    pub session_grace_minutes: i64,
    /// Moved to `tokens.hand_out_margin_secs`; refused with a pointer to it.
    #[serde(default)]
    pub refresh_margin_secs: Option<i64>,
    pub resend_interval_secs: i64,
    pub resends_per_day: i32,
    pub wise_budget_secs: i64,
    /// Minutes after a link begins waiting for the code that the customer gets one reminder
    /// email, if the code has not been typed; 0 sends none. Less than `code_window_minutes`.
    pub reminder_after_minutes: i64,
    /// Where a redirect-flow link may send the browser back to after Wise's page: a start's
    /// `return_url` must equal one of these exactly (never an open redirect).
    pub return_urls: Vec<String>,
}

/// Time kept between a link request's Wise budget and the recovery lease, for its database work.
pub const LEASE_MARGIN_SECS: i64 = 10;

impl LinkSettings {
    pub(super) fn problems(&self, out: &mut Vec<String>) {
        if self.refresh_margin_secs.is_some() {
            out.push("links.refresh_margin_secs moved to tokens.hand_out_margin_secs (and tokens.refresh_margin_secs is when the refresher renews tokens)".to_owned());
        }
        for raw in &self.return_urls {
            match url::Url::parse(raw) {
                Ok(u) if matches!(u.scheme(), "https" | "http") && u.host().is_some() => {}
                // A native app's own scheme (e.g. `com.example.bank:/linked`) is allowed too.
                Ok(u) if !matches!(u.scheme(), "javascript" | "data" | "file" | "http" | "https") => {}
                _ => out.push(format!(
                    "links.return_urls must hold absolute URLs (https://…, or an app's own scheme), got {raw:?}"
                )),
            }
        }
        let ranges: [(&str, i64, i64, i64); 6] = [
            ("links.max_attempts", self.max_attempts.into(), 1, 10),
            // Wise's codes live 30 minutes: a longer window would only collect dead codes.
            ("links.code_window_minutes", self.code_window_minutes, 1, 30),
            (
                "links.session_grace_minutes",
                self.session_grace_minutes,
                0,
                1440,
            ),
            (
                "links.resend_interval_secs",
                self.resend_interval_secs,
                10,
                3600,
            ),
            ("links.resends_per_day", self.resends_per_day.into(), 1, 50),
            ("links.wise_budget_secs", self.wise_budget_secs, 1, 3600),
        ];
        for (key, value, low, high) in ranges {
            if !(low..=high).contains(&value) {
                out.push(format!(
                    "{key} must be between {low} and {high}, got {value}"
                ));
            }
        }
        if self.reminder_after_minutes != 0
            && !(1..self.code_window_minutes).contains(&self.reminder_after_minutes)
        {
            out.push(format!(
                "links.reminder_after_minutes must be 0 (no reminder) or between 1 and links.code_window_minutes - 1 ({}), so the reminder comes while the code still works; got {}",
                self.code_window_minutes - 1,
                self.reminder_after_minutes
            ));
        }
    }

    /// The Wise budget must end before the recovery worker may take a link over, and must leave
    /// room for at least one whole attempt.
    pub(super) fn fits(&self, request_timeout_ms: u64, lease_secs: u32, out: &mut Vec<String>) {
        if self.wise_budget_secs + LEASE_MARGIN_SECS > i64::from(lease_secs) {
            out.push(format!(
                "links.wise_budget_secs ({}) must be at least {LEASE_MARGIN_SECS} s under workers.recovery_stale_after_secs ({lease_secs}), or recovery could take over a link a request is still working on",
                self.wise_budget_secs
            ));
        }
        if request_timeout_ms > u64::try_from(self.wise_budget_secs).unwrap_or(0) * 1000 {
            out.push(format!(
                "wise.request_timeout_ms ({request_timeout_ms}) must fit in links.wise_budget_secs ({})",
                self.wise_budget_secs
            ));
        }
    }

    /// The policy the link service applies.
    pub fn policy(&self, limits: &LimitSettings) -> LinkPolicy {
        LinkPolicy {
            max_attempts: self.max_attempts,
            code_window: Duration::minutes(self.code_window_minutes),
            session_grace: Duration::minutes(self.session_grace_minutes),
            wrong_codes_per_customer_per_day: limits.wrong_codes_per_customer_per_day.into(),
            wise_budget: Duration::seconds(self.wise_budget_secs),
            resend: ResendPolicy {
                interval: Duration::seconds(self.resend_interval_secs),
                per_window: self.resends_per_day,
                window: Duration::hours(24),
            },
            reminder_after: (self.reminder_after_minutes > 0)
                .then(|| Duration::minutes(self.reminder_after_minutes)),
        }
    }
}
