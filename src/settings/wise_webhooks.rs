//! `[wise_webhooks]`: hearing Wise's application webhooks (`POST /wise/webhooks`).

use super::Environment;
use rustls_pki_types::{SubjectPublicKeyInfoDer, pem::PemObject};
use serde::Deserialize;

/// The word that names the simulator's signing key in `public_keys`.
pub const SIMULATOR_KEY: &str = "simulator";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WiseWebhookSettings {
    /// Wise's public keys deliveries are verified with, each a PEM `PUBLIC KEY` or a path to a
    /// file holding one; `simulator` names the key of the simulator at `wise.api_url`, fetched
    /// from it. Several during Wise's key rotation.
    pub public_keys: Vec<String>,
    /// How often the worker looks for deliveries to apply (it also wakes when one arrives).
    pub process_interval_ms: u64,
    /// Days between Wise's withdraw-only and its deactivation (Wise's guide: 90).
    pub withdraw_only_days: u32,
    /// How long an applied delivery's id is kept to recognise a repeat (Wise retries for about
    /// two weeks).
    pub retention_days: u32,
}

impl WiseWebhookSettings {
    /// Whether `public_keys` names the simulator's key, which is fetched from the simulator.
    pub fn trusts_simulator(&self) -> bool {
        self.public_keys.iter().any(|k| k.trim() == SIMULATOR_KEY)
    }

    /// The keys given here (not the simulator's), parsed for verifying, or one line per key that
    /// cannot be used.
    pub fn keys(&self) -> Result<Vec<aws_lc_rs::signature::ParsedPublicKey>, Vec<String>> {
        let mut keys = Vec::new();
        let mut problems = Vec::new();
        for (n, entry) in self.public_keys.iter().enumerate() {
            if entry.trim() == SIMULATOR_KEY {
                continue;
            }
            match parse_key(entry.trim()) {
                Ok(key) => keys.push(key),
                Err(why) => problems.push(format!("wise_webhooks.public_keys[{n}]: {why}")),
            }
        }
        if problems.is_empty() {
            Ok(keys)
        } else {
            Err(problems)
        }
    }

    pub(super) fn problems(&self, environment: &Environment, out: &mut Vec<String>) {
        if let Err(problems) = self.keys() {
            out.extend(problems);
        }
        if environment.is_production() && self.trusts_simulator() {
            out.push(
                "wise_webhooks.public_keys names the simulator's key in production; name Wise's public key"
                    .to_owned(),
            );
        }
        if !(50..=60_000).contains(&self.process_interval_ms) {
            out.push("wise_webhooks.process_interval_ms must be between 50 and 60000".to_owned());
        }
        if !(1..=365).contains(&self.withdraw_only_days) {
            out.push("wise_webhooks.withdraw_only_days must be between 1 and 365".to_owned());
        }
        if !(14..=365).contains(&self.retention_days) {
            out.push("wise_webhooks.retention_days must be between 14 and 365".to_owned());
        }
    }
}

fn parse_key(entry: &str) -> Result<aws_lc_rs::signature::ParsedPublicKey, String> {
    let pem = if entry.starts_with("-----BEGIN") {
        entry.to_owned()
    } else {
        std::fs::read_to_string(entry).map_err(|e| format!("cannot read {entry}: {e}"))?
    };
    let der = SubjectPublicKeyInfoDer::from_pem_slice(pem.as_bytes())
        .map_err(|_| "not a PEM PUBLIC KEY".to_owned())?;
    let refused = || "not an RSA public key of 2048 bits or more".to_owned();
    let bits = aws_lc_rs::rsa::PublicEncryptingKey::from_der(der.as_ref())
        .map_err(|_| refused())?
        .key_size_bits();
    if bits < 2048 {
        return Err(refused());
    }
    aws_lc_rs::signature::ParsedPublicKey::new(
        &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
        der.as_ref(),
    )
    .map_err(|_| refused())
}
