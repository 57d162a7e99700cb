//! `[server]` and `[log]`.

use super::Environment;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub host: String,
    pub port: u16,
    pub public_url: String,
    pub body_limit_bytes: usize,
    pub request_read_timeout_secs: u64,
    pub shutdown_timeout_secs: u64,
    /// How long an idle keep-alive connection stays open.
    pub keep_alive_secs: u64,
    pub workers: usize,
}

impl ServerSettings {
    pub(super) fn problems(&self, environment: &Environment, out: &mut Vec<String>) {
        if !(1..=3600).contains(&self.keep_alive_secs) {
            out.push("server.keep_alive_secs must be between 1 and 3600".to_owned());
        }
        if !(1..=300).contains(&self.request_read_timeout_secs) {
            out.push("server.request_read_timeout_secs must be between 1 and 300".to_owned());
        }
        if self.host.trim().is_empty() {
            out.push("server.host must not be empty".to_owned());
        }
        match url::Url::parse(&self.public_url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {
                if environment.is_production() && u.scheme() != "https" {
                    out.push(
                        "server.public_url must use https when WISELINK_ENV=production".into(),
                    );
                }
            }
            _ => out.push(format!(
                "server.public_url must be an absolute http(s) URL, got {:?}",
                self.public_url
            )),
        }
        if !(1024..=16 * 1024 * 1024).contains(&self.body_limit_bytes) {
            out.push("server.body_limit_bytes must be between 1024 and 16777216".to_owned());
        }
        if self.workers > 1024 {
            out.push("server.workers must be at most 1024 (0 means one per core)".to_owned());
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    pub format: LogFormat,
    pub filter: String,
}

impl LogSettings {
    pub(super) fn problems(&self, out: &mut Vec<String>) {
        if let Err(e) = tracing_subscriber::EnvFilter::try_new(&self.filter) {
            out.push(format!("log.filter is not a valid filter: {e}"));
        }
    }
}
