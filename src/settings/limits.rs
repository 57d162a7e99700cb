//! `[limits]`.

use super::TrustedProxies;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitSettings {
    pub code_submissions_per_ip_per_minute: u32,
    pub wrong_codes_per_customer_per_day: u32,
    /// Proxies (CIDRs or addresses) whose `Forwarded`/`X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<String>,
    /// Replaced by `trusted_proxies`; refused with a pointer to it.
    #[serde(default)]
    pub trust_forwarded_for: Option<bool>,
}

impl LimitSettings {
    /// The trusted proxies, parsed (checked at start-up).
    pub fn proxies(&self) -> TrustedProxies {
        TrustedProxies::parse(&self.trusted_proxies).unwrap_or_default()
    }

    pub(super) fn problems(&self, out: &mut Vec<String>) {
        if self.trust_forwarded_for.is_some() {
            out.push("limits.trust_forwarded_for is gone: list the proxies whose forwarding headers are believed in limits.trusted_proxies (CIDRs)".to_owned());
        }
        if let Err(bad) = TrustedProxies::parse(&self.trusted_proxies) {
            out.push(format!(
                "limits.trusted_proxies must be CIDRs or IP addresses, got {}",
                bad.join(", ")
            ));
        }
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
