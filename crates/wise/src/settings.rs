//! How to reach Wise: the `[wise]` configuration the client is built from.

use secrecy::SecretString;
use serde::Deserialize;

/// `[wise]`: Wise's URLs, this partner's API client, mTLS, timeouts and retries.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WiseSettings {
    pub api_url: String,
    pub authorize_url: String,
    pub client_id: String,
    pub client_secret: SecretString,
    pub redirect_uri: String,
    pub mtls_cert: String,
    pub mtls_key: String,
    /// A PEM CA trusted for `api_url` instead of the system's roots; empty for the system's.
    #[serde(default)]
    pub ca_cert: String,
    pub connect_timeout_ms: u64,
    pub request_timeout_ms: u64,
    pub max_attempts: u32,
    pub retry_base_ms: u64,
    pub retry_after_cap_secs: u64,
    pub token_refresh_margin_secs: u64,
    /// The date by which the operator plans to rotate `client_secret` (their own policy; Wise
    /// secrets do not expire by themselves). Shown as a metric and warned about as it nears.
    #[serde(default)]
    pub client_secret_rotate_by: Option<chrono::NaiveDate>,
    /// `[wise.budget]`: Wise's rate limits, shared by every instance.
    #[serde(default)]
    pub budget: crate::budget::BudgetSettings,
}
