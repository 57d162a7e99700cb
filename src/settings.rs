//! Typed configuration: compiled-in defaults → `config/$WISELINK_ENV.toml` → `WISELINK__…` variables.

mod database_url;
mod links;
mod mail;

pub use database_url::DatabaseUrl;
pub use links::LinkSettings;
pub use mail::{LimitSettings, MailSettings, MailTransport};

use config::{Config, Environment, File, FileFormat};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::path::{Path, PathBuf};

const DEFAULTS: &str = include_str!("../config/default.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub log: LogSettings,
    pub wise: WiseSettings,
    pub simulator: SimulatorSettings,
    pub crypto: CryptoSettings,
    pub workers: WorkerSettings,
    pub auth: AuthSettings,
    pub idempotency: IdempotencySettings,
    pub mail: MailSettings,
    pub limits: LimitSettings,
    pub links: LinkSettings,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub host: String,
    pub port: u16,
    pub public_url: String,
    pub body_limit_bytes: usize,
    pub shutdown_timeout_secs: u64,
    pub workers: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    pub url: DatabaseUrl,
    pub pool_size: u32,
    pub connect_timeout_secs: u64,
    pub migrate_on_start: bool,
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
    pub connect_timeout_ms: u64,
    pub request_timeout_ms: u64,
    pub max_attempts: u32,
    pub retry_base_ms: u64,
    pub retry_after_cap_secs: u64,
    pub token_refresh_margin_secs: u64,
}

/// The client secret the defaults pair with the simulator; refused in production.
pub const DEV_CLIENT_SECRET: &str = "wiselink-dev-secret";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimulatorSettings {
    pub host: String,
    pub port: u16,
}

/// Key entries are secret; `Debug` shows only their ids.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CryptoSettings {
    pub keys: Vec<String>,
}

impl std::fmt::Debug for CryptoSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<&str> = self
            .keys
            .iter()
            .map(|k| k.split(':').next().unwrap_or(""))
            .collect();
        f.debug_struct("CryptoSettings")
            .field("key_ids", &ids)
            .finish()
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkerSettings {
    pub recovery_interval_ms: u64,
    pub recovery_stale_after_secs: u32,
}

/// The id of the key the defaults ship with; refused in production.
pub const DEV_KEY_ID: &str = "dev";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    pub key_cache_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdempotencySettings {
    pub retention_hours: u32,
    pub in_flight_timeout_secs: u32,
}

/// Where settings come from, so that tests and the CLI can point at other files and variables.
#[derive(Debug, Clone)]
pub struct Sources {
    pub environment: String,
    pub config_dir: PathBuf,
    /// `(key, value)` pairs in `WISELINK__SECTION__KEY` form.
    pub env_vars: Vec<(String, String)>,
}

impl Sources {
    /// Reads `WISELINK_ENV`, `WISELINK_CONFIG_DIR` and every `WISELINK__…` variable of this process.
    pub fn from_process() -> Self {
        Self {
            environment: std::env::var("WISELINK_ENV").unwrap_or_else(|_| "local".to_owned()),
            config_dir: std::env::var_os("WISELINK_CONFIG_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("config")),
            env_vars: std::env::vars()
                .filter(|(k, _)| k.starts_with("WISELINK__"))
                .collect(),
        }
    }

    /// Compiled-in defaults only (plus the given overrides): what tests start from.
    pub fn defaults_with(env_vars: Vec<(String, String)>) -> Self {
        Self {
            environment: "test".to_owned(),
            config_dir: PathBuf::from("/nonexistent"),
            env_vars,
        }
    }
}

/// Every problem found in a configuration, one line each.
#[derive(Debug)]
pub struct ConfigErrors(pub Vec<String>);

impl std::fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, line) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "configuration error: {line}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

impl Settings {
    pub fn load(sources: &Sources) -> Result<Self, ConfigErrors> {
        let env_file = environment_file(&sources.config_dir, &sources.environment);
        let env_source = Environment::with_prefix("WISELINK")
            .prefix_separator("__")
            .separator("__")
            .try_parsing(true)
            .list_separator(",")
            .with_list_parse_key("crypto.keys")
            .source(Some(sources.env_vars.iter().cloned().collect()));
        let settings: Settings = Config::builder()
            .add_source(File::from_str(DEFAULTS, FileFormat::Toml))
            .add_source(
                File::from(env_file)
                    .format(FileFormat::Toml)
                    .required(false),
            )
            .add_source(env_source)
            .build()
            .and_then(Config::try_deserialize)
            .map_err(|e| ConfigErrors(vec![e.to_string()]))?;
        let problems = settings.problems(&sources.environment);
        if problems.is_empty() {
            Ok(settings)
        } else {
            Err(ConfigErrors(problems))
        }
    }

    /// Checks that each value makes sense alone and with the others.
    fn problems(&self, environment: &str) -> Vec<String> {
        let mut out = Vec::new();
        let s = &self.server;
        if s.host.trim().is_empty() {
            out.push("server.host must not be empty".to_owned());
        }
        match url::Url::parse(&s.public_url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {
                if environment == "production" && u.scheme() != "https" {
                    out.push(
                        "server.public_url must use https when WISELINK_ENV=production".into(),
                    );
                }
            }
            _ => out.push(format!(
                "server.public_url must be an absolute http(s) URL, got {:?}",
                s.public_url
            )),
        }
        if !(1024..=16 * 1024 * 1024).contains(&s.body_limit_bytes) {
            out.push("server.body_limit_bytes must be between 1024 and 16777216".to_owned());
        }
        if s.workers > 1024 {
            out.push("server.workers must be at most 1024 (0 means one per core)".to_owned());
        }
        let d = &self.database;
        if !(1..=256).contains(&d.pool_size) {
            out.push("database.pool_size must be between 1 and 256".to_owned());
        }
        if !(1..=300).contains(&d.connect_timeout_secs) {
            out.push("database.connect_timeout_secs must be between 1 and 300".to_owned());
        }
        if let Err(e) = tracing_subscriber::EnvFilter::try_new(&self.log.filter) {
            out.push(format!("log.filter is not a valid filter: {e}"));
        }
        self.wise_problems(environment, &mut out);
        if let Err(problems) = crate::crypto::KeyRing::parse(&self.crypto.keys) {
            out.extend(problems);
        }
        if environment == "production" && self.crypto.keys.iter().any(|k| k.starts_with("dev:")) {
            out.push(format!(
                "crypto.keys holds the development key {DEV_KEY_ID:?}; set WISELINK__CRYPTO__KEYS"
            ));
        }
        if !(50..=3_600_000).contains(&self.workers.recovery_interval_ms) {
            out.push("workers.recovery_interval_ms must be between 50 and 3600000".to_owned());
        }
        if self.auth.key_cache_secs > 300 {
            out.push("auth.key_cache_secs must be at most 300 (0 disables the cache)".to_owned());
        }
        if !(1..=24 * 30).contains(&self.idempotency.retention_hours) {
            out.push("idempotency.retention_hours must be between 1 and 720".to_owned());
        }
        if !(1..=3600).contains(&self.idempotency.in_flight_timeout_secs) {
            out.push("idempotency.in_flight_timeout_secs must be between 1 and 3600".to_owned());
        }
        self.mail.problems(environment, &mut out);
        self.limits.problems(&mut out);
        self.links.problems(&mut out);
        out
    }
}

impl Settings {
    fn wise_problems(&self, environment: &str, out: &mut Vec<String>) {
        let w = &self.wise;
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
        if environment == "production" {
            if w.client_secret.expose_secret() == DEV_CLIENT_SECRET {
                out.push("wise.client_secret is the development default; set WISELINK__WISE__CLIENT_SECRET".to_owned());
            }
            if !w.api_url.starts_with("https://") {
                out.push("wise.api_url must use https when WISELINK_ENV=production".to_owned());
            }
        }
    }
}

fn environment_file(dir: &Path, environment: &str) -> PathBuf {
    dir.join(format!("{environment}.toml"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(vars: &[(&str, &str)]) -> Result<Settings, ConfigErrors> {
        let vars = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::load(&Sources::defaults_with(vars))
    }

    #[test]
    fn defaults_are_valid_and_use_sqlite() {
        let s = load(&[]).unwrap();
        assert_eq!(s.server.port, 8080);
        assert!(matches!(s.database.url, DatabaseUrl::Sqlite(_)));
        assert_eq!(s.log.format, LogFormat::Pretty);
    }

    #[test]
    fn environment_variables_override() {
        let s = load(&[
            ("WISELINK__SERVER__PORT", "9090"),
            ("WISELINK__LOG__FORMAT", "json"),
            (
                "WISELINK__DATABASE__URL",
                "postgres://u@db.internal:5433/wiselink",
            ),
        ])
        .unwrap();
        assert_eq!(s.server.port, 9090);
        assert_eq!(s.log.format, LogFormat::Json);
        assert!(matches!(s.database.url, DatabaseUrl::Postgres(_)));
    }

    #[test]
    fn every_problem_is_reported_on_its_own_line() {
        let err = load(&[
            ("WISELINK__SERVER__PUBLIC_URL", "not a url"),
            ("WISELINK__DATABASE__POOL_SIZE", "0"),
            ("WISELINK__IDEMPOTENCY__RETENTION_HOURS", "0"),
        ])
        .unwrap_err();
        assert_eq!(err.0.len(), 3, "{err}");
        assert!(err.0[0].contains("server.public_url"));
        assert!(err.0[1].contains("database.pool_size"));
        assert!(err.0[2].contains("idempotency.retention_hours"));
        assert_eq!(err.to_string().lines().count(), 3);
    }

    #[test]
    fn type_errors_and_unknown_keys_are_refused() {
        let err = load(&[("WISELINK__SERVER__PORT", "eighty")]).unwrap_err();
        assert!(err.to_string().contains("port"), "{err}");
        let err = load(&[("WISELINK__SERVER__PROT", "1")]).unwrap_err();
        assert!(err.to_string().contains("prot"), "{err}");
    }

    #[test]
    fn bad_database_scheme_is_refused() {
        let err = load(&[("WISELINK__DATABASE__URL", "mysql://x/y")]).unwrap_err();
        assert!(err.to_string().contains("sqlite://"), "{err}");
    }

    #[test]
    fn production_refuses_development_defaults() {
        let mut sources = Sources::defaults_with(vec![]);
        sources.environment = "production".into();
        let err = Settings::load(&sources).unwrap_err().to_string();
        assert!(err.contains("server.public_url must use https"), "{err}");
        assert!(
            err.contains("wise.client_secret is the development default"),
            "{err}"
        );
        assert!(err.contains("wise.api_url must use https"), "{err}");
        assert!(
            err.contains("crypto.keys holds the development key"),
            "{err}"
        );
        assert!(err.contains("mail.transport = \"dev\""), "{err}");
    }

    #[test]
    fn mail_transports_need_their_settings_and_never_echo_the_smtp_password() {
        let err = load(&[
            ("WISELINK__MAIL__TRANSPORT", "smtp"),
            ("WISELINK__MAIL__SMTP_URL", "http://user:hunter2@mail"),
            ("WISELINK__MAIL__FROM", "not an address"),
        ])
        .unwrap_err()
        .to_string();
        assert!(err.contains("mail.smtp_url must look like"), "{err}");
        assert!(err.contains("mail.from must be an address"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
        let s = load(&[
            ("WISELINK__MAIL__TRANSPORT", "smtp"),
            (
                "WISELINK__MAIL__SMTP_URL",
                "smtps://u:hunter2@mail.example.com:465",
            ),
        ])
        .unwrap();
        assert_eq!(s.mail.transport, MailTransport::Smtp);
        assert!(!format!("{:?}", s.mail).contains("hunter2"));
        let err = load(&[
            ("WISELINK__MAIL__TRANSPORT", "file"),
            ("WISELINK__MAIL__FILE_DIR", " "),
        ])
        .unwrap_err();
        assert!(err.to_string().contains("mail.file_dir"), "{err}");
    }

    #[test]
    fn crypto_keys_come_from_the_environment_as_a_list_and_are_checked() {
        let a = crate::crypto::KeyRing::generate_entry("a");
        let b = crate::crypto::KeyRing::generate_entry("b");
        let s = load(&[("WISELINK__CRYPTO__KEYS", &format!("{a},{b}"))]).unwrap();
        assert_eq!(s.crypto.keys, [a.clone(), b]);
        assert!(
            !format!("{:?}", s.crypto).contains(a.split(':').nth(1).unwrap()),
            "Debug hides key material"
        );
        let err = load(&[("WISELINK__CRYPTO__KEYS", "broken")]).unwrap_err();
        assert!(
            err.to_string()
                .contains("crypto.keys[0] must look like ID:BASE64KEY"),
            "{err}"
        );
    }

    #[test]
    fn the_link_policy_comes_from_links_and_is_checked() {
        let s = load(&[
            ("WISELINK__LINKS__MAX_ATTEMPTS", "3"),
            ("WISELINK__LINKS__CODE_WINDOW_MINUTES", "10"),
        ])
        .unwrap();
        let policy = s.links.policy(&s.limits);
        assert_eq!(policy.max_attempts, 3);
        assert_eq!(policy.code_window, chrono::Duration::minutes(10));
        assert_eq!(policy.resend, crate::domain::ResendPolicy::default());
        let err = load(&[
            ("WISELINK__LINKS__CODE_WINDOW_MINUTES", "45"),
            ("WISELINK__LINKS__MAX_ATTEMPTS", "0"),
        ])
        .unwrap_err();
        assert_eq!(err.0.len(), 2, "{err}");
        assert!(err.0[0].contains("links.max_attempts"), "{err}");
        assert!(
            err.0[1].contains("links.code_window_minutes must be between 1 and 30"),
            "{err}"
        );
    }

    #[test]
    fn mtls_files_come_in_pairs() {
        let err = load(&[("WISELINK__WISE__MTLS_CERT", "/etc/wiselink/cert.pem")]).unwrap_err();
        assert!(
            err.to_string().contains("mtls_cert and wise.mtls_key"),
            "{err}"
        );
    }
}
