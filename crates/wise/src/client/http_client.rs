//! The HTTP half of the client: rustls, explicit timeouts, no redirects, the mTLS identity and a
//! private CA read from their files.

use crate::WiseSettings;
use crate::error::WiseError;
use std::time::Duration;

/// How long an idle connection to Wise stays in the pool.
const POOL_IDLE_SECS: u64 = 50;

/// The HTTP client for `settings`, with the mTLS identity read from its files now.
pub(super) fn http_client(settings: &WiseSettings) -> Result<reqwest::Client, WiseError> {
    let mut builder = reqwest::Client::builder()
        .connect_timeout(Duration::from_millis(settings.connect_timeout_ms))
        .timeout(Duration::from_millis(settings.request_timeout_ms))
        .redirect(reqwest::redirect::Policy::none())
        // An idle connection is dropped before a server's keep-alive would end it (50 s is
        // shorter than most), so a request is never sent on a connection being closed.
        .pool_idle_timeout(Duration::from_secs(POOL_IDLE_SECS))
        .user_agent(concat!("wiselink/", env!("CARGO_PKG_VERSION")));
    if !settings.mtls_cert.is_empty() {
        let mut pem = std::fs::read(&settings.mtls_cert).map_err(|e| {
            WiseError::Config(format!(
                "cannot read wise.mtls_cert {}: {e}",
                settings.mtls_cert
            ))
        })?;
        pem.push(b'\n');
        pem.extend(std::fs::read(&settings.mtls_key).map_err(|e| {
            WiseError::Config(format!(
                "cannot read wise.mtls_key {}: {e}",
                settings.mtls_key
            ))
        })?);
        let identity = reqwest::Identity::from_pem(&pem).map_err(|e| {
            WiseError::Config(format!(
                "wise.mtls_cert/mtls_key are not a PEM certificate and PKCS#8 key: {e}"
            ))
        })?;
        builder = builder.identity(identity);
    }
    if !settings.ca_cert.is_empty() {
        let pem = std::fs::read(&settings.ca_cert).map_err(|e| {
            WiseError::Config(format!(
                "cannot read wise.ca_cert {}: {e}",
                settings.ca_cert
            ))
        })?;
        let ca = reqwest::Certificate::from_pem(&pem).map_err(|e| {
            WiseError::Config(format!("wise.ca_cert is not a PEM certificate: {e}"))
        })?;
        builder = builder.tls_certs_only([ca]);
    }
    builder
        .build()
        .map_err(|e| WiseError::Config(e.to_string()))
}
