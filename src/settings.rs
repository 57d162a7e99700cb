//! Typed configuration: compiled-in defaults → `config/$WISELINK_ENV.toml` → `WISELINK__…` variables.
//! One file per section, each with its own `problems()`; [`Settings::load`] reports them all, one
//! line each.

mod audit;
mod audit_stream;
mod branding;
mod crypto;
mod database;
mod database_url;
mod environment;
mod limits;
mod links;
mod mail;
mod proxies;
mod retention;
mod runtime;
mod server;
mod sso;
mod staff;
mod tokens;
mod traces;
mod webhooks;
mod wise;
mod wise_webhooks;

pub use crate::crypto::hsm::HsmSettings;
pub use audit::AuditSettings;
pub use audit_stream::AuditStreamSettings;
pub use branding::{BrandingSettings, EXAMPLE_PARTNER, logo_type as branding_logo_type};
pub use crypto::{CryptoSettings, DEV_KEY_ID};
pub use database::DatabaseSettings;
pub use database_url::DatabaseUrl;
pub use environment::Environment;
pub use limits::LimitSettings;
pub use links::LinkSettings;
pub use mail::{MailSettings, MailTransport};
pub use proxies::TrustedProxies;
pub use retention::RetentionSettings;
pub use runtime::{AuthSettings, IdempotencySettings, WorkerSettings};
pub use server::{LogFormat, LogSettings, ServerSettings};
pub use sso::SsoSettings;
pub use staff::StaffSettings;
pub use tokens::TokenSettings;
pub use traces::TraceSettings;
pub use webhooks::{MAX_ROTATION_OVERLAP_SECS, WebhookSettings};
pub use wise::{DEV_CLIENT_SECRET, SimulatorSettings, WiseSettings};
pub use wise_webhooks::{SIMULATOR_KEY, WiseWebhookSettings};

use config::{Config, Environment as EnvSource, File, FileFormat};
use serde::Deserialize;
use std::path::{Path, PathBuf};

const DEFAULTS: &str = include_str!("../config/default.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub log: LogSettings,
    pub traces: TraceSettings,
    pub wise: WiseSettings,
    pub simulator: SimulatorSettings,
    pub crypto: CryptoSettings,
    pub audit: AuditSettings,
    pub workers: WorkerSettings,
    pub auth: AuthSettings,
    pub idempotency: IdempotencySettings,
    pub mail: MailSettings,
    pub limits: LimitSettings,
    pub links: LinkSettings,
    pub staff: StaffSettings,
    pub tokens: TokenSettings,
    pub branding: BrandingSettings,
    pub webhooks: WebhookSettings,
    pub retention: RetentionSettings,
    pub wise_webhooks: WiseWebhookSettings,
}

/// Where settings come from, so that tests and the CLI can point at other files and variables.
#[derive(Debug, Clone)]
pub struct Sources {
    pub environment: Environment,
    pub config_dir: PathBuf,
    /// `(key, value)` pairs in `WISELINK__SECTION__KEY` form.
    pub env_vars: Vec<(String, String)>,
    /// A file read in place of `config_dir/<environment>.toml` (`serve --config`); it must exist.
    pub config_file: Option<PathBuf>,
}

impl Sources {
    /// Reads `WISELINK_ENV`, `WISELINK_CONFIG_DIR` and every `WISELINK__…` variable of this process.
    pub fn from_process() -> Self {
        Self {
            environment: Environment::parse(
                &std::env::var("WISELINK_ENV").unwrap_or_else(|_| "local".to_owned()),
            ),
            config_dir: std::env::var_os("WISELINK_CONFIG_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("config")),
            env_vars: std::env::vars()
                .filter(|(k, _)| k.starts_with("WISELINK__"))
                .collect(),
            config_file: None,
        }
    }

    /// Compiled-in defaults only (plus the given overrides): what tests start from.
    pub fn defaults_with(env_vars: Vec<(String, String)>) -> Self {
        Self {
            environment: Environment::Development("test".to_owned()),
            config_dir: PathBuf::from("/nonexistent"),
            env_vars,
            config_file: None,
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
        let env_file = sources
            .config_file
            .clone()
            .unwrap_or_else(|| environment_file(&sources.config_dir, sources.environment.name()));
        if sources.config_file.is_none()
            && let Some(problem) = sources.environment.problem(env_file.is_file())
        {
            return Err(ConfigErrors(vec![problem]));
        }
        let env_source = EnvSource::with_prefix("WISELINK")
            .prefix_separator("__")
            .separator("__")
            .try_parsing(true)
            .list_separator(",")
            .with_list_parse_key("crypto.keys")
            .with_list_parse_key("audit.signing_keys")
            .with_list_parse_key("limits.trusted_proxies")
            .with_list_parse_key("links.return_urls")
            .with_list_parse_key("wise_webhooks.public_keys")
            .with_list_parse_key("staff.sso.scopes")
            .with_list_parse_key("staff.sso.admin_groups")
            .with_list_parse_key("staff.sso.reviewer_groups")
            .with_list_parse_key("staff.sso.viewer_groups")
            .source(Some(sources.env_vars.iter().cloned().collect()));
        let mut settings: Settings = Config::builder()
            .add_source(File::from_str(DEFAULTS, FileFormat::Toml))
            .add_source(
                File::from(env_file)
                    .format(FileFormat::Toml)
                    .required(sources.config_file.is_some()),
            )
            .add_source(env_source)
            .build()
            .and_then(Config::try_deserialize)
            .map_err(|e| ConfigErrors(vec![e.to_string()]))?;
        settings.webhooks.production = sources.environment.is_production();
        let problems = settings.problems(&sources.environment);
        if problems.is_empty() {
            Ok(settings)
        } else {
            Err(ConfigErrors(problems))
        }
    }

    /// Checks that each value makes sense alone and with the others, section by section.
    fn problems(&self, environment: &Environment) -> Vec<String> {
        let mut out = Vec::new();
        self.server.problems(environment, &mut out);
        self.database.problems(&mut out);
        self.log.problems(&mut out);
        self.traces.problems(&mut out);
        wise::problems(&self.wise, environment, &mut out);
        self.crypto.problems(environment, &mut out);
        self.audit.problems(environment, &mut out);
        self.workers.problems(&mut out);
        self.auth.problems(&mut out);
        self.idempotency.problems(&mut out);
        self.mail.problems(environment, &mut out);
        self.limits.problems(&mut out);
        self.links.problems(&mut out);
        self.staff.problems(&mut out);
        self.staff.sso.problems(environment, &mut out);
        self.branding.problems(environment, &mut out);
        self.webhooks.problems(environment, &mut out);
        self.retention.problems(&mut out);
        self.wise_webhooks.problems(environment, &mut out);
        self.tokens.problems(self.wise.request_timeout_ms, &mut out);
        self.links.fits(
            self.wise.request_timeout_ms,
            self.workers.recovery_stale_after_secs,
            &mut out,
        );
        out
    }
}

fn environment_file(dir: &Path, environment: &str) -> PathBuf {
    dir.join(format!("{environment}.toml"))
}

#[cfg(test)]
mod tests;
