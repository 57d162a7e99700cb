//! `[crypto]`.

use super::Environment;
use serde::Deserialize;

/// The id of the key the defaults ship with; refused in production.
pub const DEV_KEY_ID: &str = "dev";

/// Key entries are secret; `Debug` shows only their ids.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CryptoSettings {
    pub keys: Vec<String>,
    pub hsm: crate::crypto::hsm::HsmSettings,
}

/// The ids of `ID:SECRET` key entries, for `Debug`: never the secrets.
pub(super) fn key_ids(entries: &[String]) -> Vec<&str> {
    entries
        .iter()
        .map(|k| k.split(':').next().unwrap_or(""))
        .collect()
}

impl std::fmt::Debug for CryptoSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CryptoSettings")
            .field("key_ids", &key_ids(&self.keys))
            .field("hsm", &self.hsm)
            .finish()
    }
}

impl CryptoSettings {
    /// The key ring: `keys`, wrapped entries opened by the HSM. Fails when the HSM cannot open
    /// them (nothing falls back to a key in the clear).
    pub fn key_ring(&self) -> anyhow::Result<crate::crypto::KeyRing> {
        crate::crypto::hsm::key_ring(&self.keys, &self.hsm)
    }

    pub(super) fn problems(&self, environment: &Environment, out: &mut Vec<String>) {
        use crate::crypto::hsm::WrappedEntry;
        // Wrapped entries are opened at start-up; here each stands in as a well-formed key.
        let standing_in: Vec<String> = self
            .keys
            .iter()
            .map(|entry| match WrappedEntry::parse(entry) {
                Some(wrapped) => format!("{}:{}", wrapped.id, crate::crypto::PLACEHOLDER_KEY),
                None => entry.clone(),
            })
            .collect();
        if let Err(problems) = crate::crypto::KeyRing::parse(&standing_in) {
            out.extend(problems);
        }
        let wrapped = self.keys.iter().filter_map(|e| WrappedEntry::parse(e));
        for entry in wrapped {
            if !self.hsm.enabled() {
                out.push(format!(
                    "crypto.keys entry {:?} is wrapped by an HSM key; set crypto.hsm.module",
                    entry.id
                ));
            }
            if entry.kek_label.is_empty() {
                out.push(format!("crypto.keys entry {:?} names no HSM key", entry.id));
            }
        }
        if !(1..=300).contains(&self.hsm.check_every_secs) {
            out.push("crypto.hsm.check_every_secs must be between 1 and 300".to_owned());
        }
        if self.hsm.enabled() && self.hsm.token_label.is_empty() {
            out.push("crypto.hsm.token_label must be set with crypto.hsm.module".to_owned());
        }
        if environment.is_production() && self.keys.iter().any(|k| k.starts_with("dev:")) {
            out.push(format!(
                "crypto.keys holds the development key {DEV_KEY_ID:?}; set WISELINK__CRYPTO__KEYS"
            ));
        }
    }
}
