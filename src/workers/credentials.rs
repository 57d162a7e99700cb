//! When the credentials wiselink holds for Wise run out: the mTLS client certificate's `notAfter`
//! and the date the operator set for rotating the client secret (`wise.client_secret_rotate_by`).
//! Both are exported once as Unix timestamps (`wiselink_wise_client_certificate_expiry_timestamp_seconds`,
//! `wiselink_wise_client_secret_rotate_by_timestamp_seconds`: an alert compares them with `time()`),
//! and logged as a warning at start-up and every day from [`WARN_DAYS`] before.

use super::Stop;
use crate::clock::SharedClock;
use crate::settings::WiseSettings;
use anyhow::Context;
use chrono::{DateTime, NaiveDateTime, Utc};
use std::time::Duration;

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

/// Warns now and then once a day about what is due; runs until `stop`.
pub async fn run(expiries: Expiries, clock: SharedClock, mut stop: Stop) {
    loop {
        for (what, days) in expiries.due(clock.now()) {
            if days < 0 {
                tracing::error!(days_ago = -days, "{what}: the date has passed");
            } else {
                tracing::warn!(days_left = days, "{what} soon");
            }
        }
        if stop.sleep(Duration::from_secs(24 * 3600)).await {
            return;
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
