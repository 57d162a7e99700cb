//! `[webhooks]`: how events reach the partner's endpoints.

use super::Environment;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookSettings {
    /// How often the delivery worker looks for events to fan out and deliveries that are due. It
    /// also wakes at once when a change publishes an event.
    pub delivery_interval_ms: u64,
    /// One attempt's limit: connecting, sending and reading the answer.
    pub timeout_secs: u64,
    /// How long a worker holds a delivery it is attempting; a worker that dies mid-way delays
    /// the delivery by at most this.
    pub lease_secs: u64,
    /// Attempts in flight at once, per instance.
    pub concurrency: usize,
    /// An endpoint whose attempts have failed (with nothing delivered) for this long is disabled.
    pub disable_after_hours: u32,
    /// After a secret rotation, how long the previous secret keeps signing beside the new one,
    /// unless the rotation names its own overlap.
    pub rotation_overlap_secs: u32,
    /// Hosts (names or addresses) an endpoint may use even though they resolve to a private,
    /// loopback or link-local address: the operator's own receivers.
    pub allowed_hosts: Vec<String>,
    /// The DNS server (`address:port`) endpoint host names are looked up at, at registration and
    /// at every connection; unset, the system's resolver.
    #[serde(default)]
    pub dns_server: Option<String>,
    /// How long events stay in the feed (and their deliveries in the log), in days.
    pub retention_days: u32,
    /// Whether production's rules apply to endpoint URLs: from `WISELINK_ENV`, not a setting.
    #[serde(skip)]
    pub production: bool,
}

/// The longest overlap a rotation may ask for.
pub const MAX_ROTATION_OVERLAP_SECS: u32 = 7 * 24 * 3600;

impl WebhookSettings {
    pub(super) fn problems(&self, _environment: &Environment, out: &mut Vec<String>) {
        if !(50..=60_000).contains(&self.delivery_interval_ms) {
            out.push("webhooks.delivery_interval_ms must be between 50 and 60000".to_owned());
        }
        if !(1..=30).contains(&self.timeout_secs) {
            out.push("webhooks.timeout_secs must be between 1 and 30".to_owned());
        }
        if self.lease_secs < self.timeout_secs * 2 {
            out.push("webhooks.lease_secs must be at least twice webhooks.timeout_secs".to_owned());
        }
        if !(1..=256).contains(&self.concurrency) {
            out.push("webhooks.concurrency must be between 1 and 256".to_owned());
        }
        if self.disable_after_hours == 0 {
            out.push("webhooks.disable_after_hours must be at least 1".to_owned());
        }
        if self.rotation_overlap_secs > MAX_ROTATION_OVERLAP_SECS {
            out.push(format!(
                "webhooks.rotation_overlap_secs must be at most {MAX_ROTATION_OVERLAP_SECS}"
            ));
        }
        if !(7..=3650).contains(&self.retention_days) {
            out.push("webhooks.retention_days must be between 7 and 3650".to_owned());
        }
        if let Some(server) = &self.dns_server
            && server.parse::<std::net::SocketAddr>().is_err()
        {
            out.push(format!(
                "webhooks.dns_server: {server:?} is not an address and port, like \"10.0.0.2:53\""
            ));
        }
        for host in &self.allowed_hosts {
            if host.trim().is_empty() || host.contains(['/', ' ']) {
                out.push(format!(
                    "webhooks.allowed_hosts: {host:?} is not a host name or address"
                ));
            }
        }
    }
}
