//! The Wise simulator's signing key, for `wise_webhooks.public_keys = ["simulator"]`: the simulator
//! makes a new key each time it starts, so wiselink asks it for the public half
//! (`/__sim/webhooks/public-key` at `wise.api_url`) when a delivery first needs it, and again when
//! a signature does not verify (the simulator may have restarted). Production refuses the setting.

use aws_lc_rs::signature::{ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256};
use rustls_pki_types::{SubjectPublicKeyInfoDer, pem::PemObject};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// A key fetched this recently is not fetched again for a signature it does not verify: a forged
/// delivery costs the simulator at most one request per this.
const REFETCH_AFTER: Duration = Duration::from_secs(5);

pub struct SimulatorKey {
    url: String,
    http: reqwest::Client,
    cached: Mutex<Option<(ParsedPublicKey, Instant)>>,
}

impl SimulatorKey {
    pub fn new(api_url: &str) -> Self {
        Self {
            url: format!(
                "{}/__sim/webhooks/public-key",
                api_url.trim_end_matches('/')
            ),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(2))
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("an HTTP client"),
            cached: Mutex::new(None),
        }
    }

    /// Whether the simulator's key made `signature` over `body`.
    pub async fn verifies(&self, body: &[u8], signature: &[u8]) -> bool {
        let mut cached = self.cached.lock().await;
        if let Some((key, fetched)) = cached.as_ref() {
            if key.verify_sig(body, signature).is_ok() {
                return true;
            }
            if fetched.elapsed() < REFETCH_AFTER {
                return false;
            }
        }
        match self.fetch().await {
            Ok(key) => {
                let verified = key.verify_sig(body, signature).is_ok();
                *cached = Some((key, Instant::now()));
                verified
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot fetch the Wise simulator's public key");
                false
            }
        }
    }

    async fn fetch(&self) -> anyhow::Result<ParsedPublicKey> {
        let pem = self
            .http
            .get(&self.url)
            .send()
            .await?
            .error_for_status()?
            .text()
            .await?;
        let der = SubjectPublicKeyInfoDer::from_pem_slice(pem.as_bytes())
            .map_err(|_| anyhow::anyhow!("not a PEM public key"))?;
        ParsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, der.as_ref())
            .map_err(|_| anyhow::anyhow!("not an RSA public key"))
    }
}
