//! When the credentials wiselink holds for Wise run out: the mTLS client certificate's `notAfter`
//! and the date the operator set for rotating the client secret (`wise.client_secret_rotate_by`).
//! Both are exported once as Unix timestamps (`wiselink_wise_client_certificate_expiry_timestamp_seconds`,
//! `wiselink_wise_client_secret_rotate_by_timestamp_seconds`: an alert compares them with `time()`),
//! and logged as a warning at start-up and every day from [`WARN_DAYS`] before. When the
//! certificate or key file changes, the Wise client reloads them: a renewed certificate takes
//! effect without a restart.

use super::Stop;
use crate::clock::SharedClock;
use crate::settings::WiseSettings;
use crate::wise::WiseClient;
use anyhow::Context;
use chrono::{DateTime, NaiveDateTime, Utc};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// Warnings start this many days before a credential runs out.
pub const WARN_DAYS: i64 = 30;

/// When each credential runs out, where one is configured.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expiries {
    pub certificate: Option<DateTime<Utc>>,
    pub secret_rotate_by: Option<DateTime<Utc>>,
}

impl Expiries {
    /// Reads the certificate's `notAfter` from `wise.mtls_cert` (the first certificate of the
    /// PEM file, the client's own).
    pub fn from_settings(wise: &WiseSettings) -> anyhow::Result<Self> {
        let certificate = if wise.mtls_cert.is_empty() {
            None
        } else {
            let pem = std::fs::read(&wise.mtls_cert)
                .with_context(|| format!("cannot read wise.mtls_cert {}", wise.mtls_cert))?;
            Some(not_after(&pem).with_context(|| {
                format!(
                    "wise.mtls_cert {} holds no readable certificate",
                    wise.mtls_cert
                )
            })?)
        };
        Ok(Self {
            certificate,
            secret_rotate_by: wise
                .client_secret_rotate_by
                .map(|d| d.and_time(chrono::NaiveTime::MIN).and_utc()),
        })
    }

    /// Sets the gauges.
    pub fn export(&self) {
        if let Some(t) = self.certificate {
            metrics::gauge!("wiselink_wise_client_certificate_expiry_timestamp_seconds")
                .set(t.timestamp() as f64);
        }
        if let Some(t) = self.secret_rotate_by {
            metrics::gauge!("wiselink_wise_client_secret_rotate_by_timestamp_seconds")
                .set(t.timestamp() as f64);
        }
    }

    /// What is due within [`WARN_DAYS`] of `now` (or overdue): (which, days left, negative when
    /// past).
    pub fn due(&self, now: NaiveDateTime) -> Vec<(&'static str, i64)> {
        [
            (
                "the Wise mTLS client certificate (wise.mtls_cert) expires",
                self.certificate,
            ),
            (
                "the Wise client secret is due for rotation (wise.client_secret_rotate_by)",
                self.secret_rotate_by,
            ),
        ]
        .into_iter()
        .filter_map(|(what, at)| {
            let days = (at?.naive_utc() - now).num_days();
            (days <= WARN_DAYS).then_some((what, days))
        })
        .collect()
    }
}

/// The `notAfter` of the first certificate in `pem`.
fn not_after(pem: &[u8]) -> anyhow::Result<DateTime<Utc>> {
    let (_, block) =
        x509_parser::pem::parse_x509_pem(pem).map_err(|e| anyhow::anyhow!("not PEM: {e}"))?;
    let cert = block
        .parse_x509()
        .map_err(|e| anyhow::anyhow!("not an X.509 certificate: {e}"))?;
    DateTime::from_timestamp(cert.validity().not_after.timestamp(), 0)
        .context("notAfter out of range")
}

/// What the worker watches.
pub struct Watch {
    pub wise: Arc<WiseClient>,
    /// Where the certificate and key are (`[wise]`).
    pub settings: WiseSettings,
    pub clock: SharedClock,
    /// How often the files are looked at (`workers.credentials_check_secs`).
    pub every: Duration,
}

/// Each file's modification time and length, to see a replaced file.
type Seen = Vec<Option<(SystemTime, u64)>>;

fn seen(settings: &WiseSettings) -> Seen {
    [&settings.mtls_cert, &settings.mtls_key]
        .into_iter()
        .filter(|path| !path.is_empty())
        .map(|path| {
            let meta = std::fs::metadata(path).ok()?;
            Some((meta.modified().ok()?, meta.len()))
        })
        .collect()
}

/// Warns about what is due once a day, and reloads the certificate and key when their files
/// change; runs until `stop`.
pub async fn run(watch: Arc<Watch>, mut stop: Stop) {
    let mut files = seen(&watch.settings);
    let mut expiries = Expiries::from_settings(&watch.settings).unwrap_or_default();
    let mut warned_on = None;
    loop {
        let now = watch.clock.now();
        if warned_on != Some(now.date()) {
            warned_on = Some(now.date());
            for (what, days) in expiries.due(now) {
                if days < 0 {
                    tracing::error!(days_ago = -days, "{what}: the date has passed");
                } else {
                    tracing::warn!(days_left = days, "{what} soon");
                }
            }
        }
        if stop.sleep(watch.every).await {
            return;
        }
        let now_seen = seen(&watch.settings);
        if now_seen == files {
            continue;
        }
        files = now_seen;
        let reloaded = Expiries::from_settings(&watch.settings).and_then(|fresh| {
            watch.wise.reload_identity()?;
            Ok(fresh)
        });
        match reloaded {
            Ok(fresh) => {
                expiries = fresh;
                expiries.export();
                warned_on = None;
                tracing::info!(
                    not_after = ?expiries.certificate,
                    "reloaded the Wise mTLS certificate and key"
                );
            }
            // Half-written files, or a key that does not match yet: the client keeps the old
            // pair, and the next change is tried again.
            Err(e) => {
                tracing::error!(error = %e, "the changed Wise mTLS certificate or key cannot be used; keeping the previous ones")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn what_is_due_within_thirty_days_or_overdue_is_named() {
        let day = |d| {
            NaiveDate::from_ymd_opt(2027, 1, d)
                .unwrap()
                .and_time(chrono::NaiveTime::MIN)
        };
        let expiries = Expiries {
            certificate: Some(day(31).and_utc()),
            secret_rotate_by: Some(day(1).and_utc()),
        };
        let due = expiries.due(day(10));
        assert_eq!(due.len(), 2);
        assert_eq!(due[0].1, 21);
        assert_eq!(due[1].1, -9);
        let quiet = Expiries {
            certificate: Some(day(31).and_utc() + chrono::Duration::days(60)),
            secret_rotate_by: None,
        };
        assert!(quiet.due(day(10)).is_empty());
    }
}
