//! `[mail]`.

use super::Environment;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MailTransport {
    /// Sent to an SMTP server (`mail.smtp_url`).
    Smtp,
    /// Written as `.eml` files into `mail.file_dir`.
    File,
    /// Kept in the database and shown at `/dev/mailbox`. Refused in production.
    Dev,
}

impl MailTransport {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Smtp => "smtp",
            Self::File => "file",
            Self::Dev => "dev",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailSettings {
    pub transport: MailTransport,
    /// May carry a password; `SecretString` keeps it out of `Debug`.
    pub smtp_url: SecretString,
    pub smtp_timeout_secs: u64,
    pub file_dir: String,
    pub from: String,
    pub relay_interval_ms: u64,
    pub retry_base_ms: u64,
    pub retry_max_secs: u64,
    pub max_attempts: i32,
    pub lease_secs: u64,
}

impl MailSettings {
    pub(super) fn problems(&self, environment: &Environment, out: &mut Vec<String>) {
        if self.from.parse::<lettre::message::Mailbox>().is_err() {
            out.push(format!(
                "mail.from must be an address like \"wiselink <no-reply@example.com>\", got {:?}",
                self.from
            ));
        }
        match self.transport {
            MailTransport::Smtp => {
                let url = self.smtp_url.expose_secret();
                let parsed = url::Url::parse(url);
                if let Ok(u) = &parsed
                    && environment.is_production()
                    && u.scheme() == "smtp"
                    && !u.query_pairs().any(|(k, v)| k == "tls" && v == "required")
                    && !matches!(u.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"))
                {
                    out.push(
                        "mail.smtp_url must use smtps:// or ?tls=required for a remote server when WISELINK_ENV=production"
                            .to_owned(),
                    );
                }
                if !parsed.is_ok_and(|u| matches!(u.scheme(), "smtp" | "smtps") && u.has_host()) {
                    // The URL may hold a password: never echo it.
                    out.push(
                        "mail.smtp_url must look like smtp://host:port or smtps://user:password@host:port when mail.transport = \"smtp\""
                            .to_owned(),
                    );
                }
            }
            MailTransport::File if self.file_dir.trim().is_empty() => {
                out.push("mail.file_dir must be set when mail.transport = \"file\"".to_owned());
            }
            MailTransport::Dev if environment.is_production() => {
                out.push(
                    "mail.transport = \"dev\" keeps mail in the database; use smtp or file when WISELINK_ENV=production"
                        .to_owned(),
                );
            }
            _ => {}
        }
        if !(1..=600).contains(&self.smtp_timeout_secs) {
            out.push("mail.smtp_timeout_secs must be between 1 and 600".to_owned());
        }
        if !(10..=3_600_000).contains(&self.relay_interval_ms) {
            out.push("mail.relay_interval_ms must be between 10 and 3600000".to_owned());
        }
        if !(10..=3_600_000).contains(&self.retry_base_ms)
            || !(1..=86_400).contains(&self.retry_max_secs)
        {
            out.push(
                "mail.retry_base_ms must be 10–3600000 and mail.retry_max_secs 1–86400".to_owned(),
            );
        }
        if !(1..=1000).contains(&self.max_attempts) {
            out.push("mail.max_attempts must be between 1 and 1000".to_owned());
        }
        if !(5..=3600).contains(&self.lease_secs) || self.lease_secs <= 3 * self.smtp_timeout_secs {
            out.push(
                "mail.lease_secs must be 5–3600 and more than three times mail.smtp_timeout_secs (the longest one delivery may take)"
                    .to_owned(),
            );
        }
    }
}
