//! `[wise]` and `[simulator]`.

use super::Environment;
use secrecy::ExposeSecret;
use serde::Deserialize;
pub use wiselink_wise::WiseSettings;

/// The client secret the defaults pair with the simulator; refused in production.
pub const DEV_CLIENT_SECRET: &str = "wiselink-dev-secret";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimulatorSettings {
    pub host: String,
    pub port: u16,
}

/// What is wrong with `[wise]` for `environment`, appended to `out`.
pub(super) fn problems(w: &WiseSettings, environment: &Environment, out: &mut Vec<String>) {
    {
        for (key, value) in [
            ("wise.api_url", &w.api_url),
            ("wise.authorize_url", &w.authorize_url),
            ("wise.redirect_uri", &w.redirect_uri),
        ] {
            let ok = url::Url::parse(value)
                .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
            if !ok {
                out.push(format!(
                    "{key} must be an absolute http(s) URL, got {value:?}"
                ));
            }
        }
        if w.api_url.ends_with('/') {
            out.push("wise.api_url must not end with /".to_owned());
        }
        if w.client_id.trim().is_empty() {
            out.push("wise.client_id must not be empty".to_owned());
        }
        if w.client_secret.expose_secret().is_empty() {
            out.push("wise.client_secret must not be empty".to_owned());
        }
        if w.mtls_cert.is_empty() != w.mtls_key.is_empty() {
            out.push("wise.mtls_cert and wise.mtls_key must be set together".to_owned());
        }
        if !(1..=3).contains(&w.max_attempts) {
            out.push("wise.max_attempts must be between 1 and 3".to_owned());
        }
        if !(100..=60_000).contains(&w.connect_timeout_ms)
            || !(100..=300_000).contains(&w.request_timeout_ms)
        {
            out.push(
                "wise.connect_timeout_ms must be 100–60000 and wise.request_timeout_ms 100–300000"
                    .to_owned(),
            );
        }
        if environment.is_production() {
            if w.client_secret.expose_secret() == DEV_CLIENT_SECRET {
                out.push("wise.client_secret is the development default; set WISELINK__WISE__CLIENT_SECRET".to_owned());
            }
            if !w.api_url.starts_with("https://") {
                out.push("wise.api_url must use https when WISELINK_ENV=production".to_owned());
            }
        }
    }
}
