//! `[limits]`.

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitSettings {
    pub code_submissions_per_ip_per_minute: u32,
    pub wrong_codes_per_customer_per_day: u32,
    pub trust_forwarded_for: bool,
}

impl LimitSettings {
    pub(super) fn problems(&self, out: &mut Vec<String>) {
        if !(1..=100_000).contains(&self.code_submissions_per_ip_per_minute) {
            out.push(
                "limits.code_submissions_per_ip_per_minute must be between 1 and 100000".to_owned(),
            );
        }
        if !(5..=1000).contains(&self.wrong_codes_per_customer_per_day) {
            out.push(
                "limits.wrong_codes_per_customer_per_day must be between 5 and 1000".to_owned(),
            );
        }
    }
}
