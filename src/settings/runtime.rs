//! `[workers]`, `[auth]` and `[idempotency]`: how the service's background work and request
//! bookkeeping behave.

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkerSettings {
    pub recovery_interval_ms: u64,
    pub recovery_stale_after_secs: u32,
    /// How often the mTLS certificate and key files are looked at, and reloaded when they changed.
    pub credentials_check_secs: u64,
}

impl WorkerSettings {
    pub(super) fn problems(&self, out: &mut Vec<String>) {
        if !(50..=3_600_000).contains(&self.recovery_interval_ms) {
            out.push("workers.recovery_interval_ms must be between 50 and 3600000".to_owned());
        }
        if !(1..=86_400).contains(&self.credentials_check_secs) {
            out.push("workers.credentials_check_secs must be between 1 and 86400".to_owned());
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    pub key_cache_secs: u64,
}

impl AuthSettings {
    pub(super) fn problems(&self, out: &mut Vec<String>) {
        if self.key_cache_secs > 300 {
            out.push("auth.key_cache_secs must be at most 300 (0 disables the cache)".to_owned());
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdempotencySettings {
    pub retention_hours: u32,
    pub in_flight_timeout_secs: u32,
}

impl IdempotencySettings {
    pub(super) fn problems(&self, out: &mut Vec<String>) {
        if !(1..=24 * 30).contains(&self.retention_hours) {
            out.push("idempotency.retention_hours must be between 1 and 720".to_owned());
        }
        if !(1..=3600).contains(&self.in_flight_timeout_secs) {
            out.push("idempotency.in_flight_timeout_secs must be between 1 and 3600".to_owned());
        }
    }
}
