//! Test mode: test API keys (`wiselink api-key create --test`, `wl_test_…`) work only while
//! `wise.api_url` is the simulator, and they alone may pull the triggers (`triggers.rs`) a
//! partner's CI uses to make the unhappy paths happen on demand.
//!
//! Whether `wise.api_url` is the simulator is asked of it (`GET /__sim/about`), once per process;
//! a URL on one of Wise's own domains is never asked, it is Wise. `serve` refuses to start while
//! the database holds a test key and the answer is no, and `api-key create --test` refuses to
//! make one.

mod triggers;

pub use triggers::{Pulled, SWAPPED_DATE_OF_BIRTH, Trigger, TriggerError, Triggers, UserChange};

use crate::wise::WiseClient;
use std::time::Duration;
use tokio::sync::OnceCell;

/// Wise's own domains: an `api_url` on one of them is Wise, whatever it would answer.
const WISE_DOMAINS: [&str; 3] = ["wise.com", "transferwise.com", "transferwise.tech"];

/// Whether this process talks to the simulator, found out once.
pub struct TestMode {
    api_url: String,
    http: reqwest::Client,
    simulator: OnceCell<bool>,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot tell whether {url} is the simulator: {reason}")]
pub struct Unanswered {
    url: String,
    reason: String,
}

impl TestMode {
    pub fn new(wise: &WiseClient) -> Self {
        Self {
            api_url: wise.settings().api_url.clone(),
            http: wise.unbudgeted_http(),
            simulator: OnceCell::new(),
        }
    }

    /// The simulator's control API, `path` beginning with `/`.
    pub(crate) fn control_url(&self, path: &str) -> String {
        format!("{}/__sim{path}", self.api_url.trim_end_matches('/'))
    }

    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Whether `wise.api_url` is the simulator. A definite answer is kept for the process's
    /// life; one that could not be had is asked again next time.
    pub async fn is_simulator(&self) -> Result<bool, Unanswered> {
        self.simulator
            .get_or_try_init(|| async {
                if on_wise_domain(&self.api_url) {
                    return Ok(false);
                }
                self.ask().await
            })
            .await
            .copied()
    }

    async fn ask(&self) -> Result<bool, Unanswered> {
        let unanswered = |reason: String| Unanswered {
            url: self.api_url.clone(),
            reason,
        };
        let answer = self
            .http
            .get(self.control_url("/about"))
            .timeout(Duration::from_secs(5))
            .send()
            .await
            .map_err(|e| unanswered(e.without_url().to_string()))?;
        if !answer.status().is_success() {
            return Ok(false);
        }
        let about: serde_json::Value = answer.json().await.unwrap_or_default();
        Ok(about["simulator"] == "wiselink-simulator")
    }

    /// Start-up's check: `Ok` when no test key is live or `wise.api_url` is the simulator.
    pub async fn permits(&self, test_keys: &[String]) -> anyhow::Result<()> {
        if test_keys.is_empty() || self.is_simulator().await? {
            return Ok(());
        }
        anyhow::bail!(
            "the database holds test API keys ({}), which work only against the simulator, but wise.api_url ({}) is not the simulator; revoke them (wiselink api-key revoke ID) or point wise.api_url at `wiselink sim`",
            test_keys.join(", "),
            self.api_url
        )
    }
}

/// Whether `url`'s host is one of Wise's domains or below one.
fn on_wise_domain(url: &str) -> bool {
    let Some(host) = url::Url::parse(url).ok().and_then(|u| {
        u.host_str()
            .map(|h| h.trim_end_matches('.').to_ascii_lowercase())
    }) else {
        return false;
    };
    WISE_DOMAINS
        .iter()
        .any(|d| host == *d || host.ends_with(&format!(".{d}")))
}

#[cfg(test)]
mod tests {
    use super::on_wise_domain;

    #[test]
    fn wise_domains_are_known_without_asking() {
        for url in [
            "https://api.wise.com",
            "https://api.sandbox.transferwise.tech",
            "https://API.TransferWise.com.",
            "https://wise.com/",
        ] {
            assert!(on_wise_domain(url), "{url}");
        }
        for url in [
            "http://127.0.0.1:8081",
            "https://notwise.com",
            "https://wise.com.example.org",
            "not a url",
        ] {
            assert!(!on_wise_domain(url), "{url}");
        }
    }
}
