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
    pub refresh_margin_secs: i64,
    pub resend_interval_secs: i64,
    pub resends_per_day: i32,
}

impl LinkSettings {
    pub(super) fn problems(&self, out: &mut Vec<String>) {
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
                "links.refresh_margin_secs",
                self.refresh_margin_secs,
                60,
                21_600,
            ),
            (
                "links.resend_interval_secs",
                self.resend_interval_secs,
                10,
                3600,
            ),
            ("links.resends_per_day", self.resends_per_day.into(), 1, 50),
        ];
        for (key, value, low, high) in ranges {
            if !(low..=high).contains(&value) {
                out.push(format!(
                    "{key} must be between {low} and {high}, got {value}"
                ));
            }
        }
    }

    /// The policy the link service applies.
    pub fn policy(&self, limits: &LimitSettings) -> LinkPolicy {
        LinkPolicy {
            max_attempts: self.max_attempts,
            code_window: Duration::minutes(self.code_window_minutes),
            session_grace: Duration::minutes(self.session_grace_minutes),
            refresh_margin: Duration::seconds(self.refresh_margin_secs),
            wrong_codes_per_customer_per_day: limits.wrong_codes_per_customer_per_day.into(),
            resend: ResendPolicy {
                interval: Duration::seconds(self.resend_interval_secs),
                per_window: self.resends_per_day,
                window: Duration::hours(24),
            },
        }
    }
}
