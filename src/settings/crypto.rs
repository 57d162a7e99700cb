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
            .finish()
    }
}

impl CryptoSettings {
    pub(super) fn problems(&self, environment: &Environment, out: &mut Vec<String>) {
        if let Err(problems) = crate::crypto::KeyRing::parse(&self.keys) {
            out.extend(problems);
        }
        if environment.is_production() && self.keys.iter().any(|k| k.starts_with("dev:")) {
            out.push(format!(
                "crypto.keys holds the development key {DEV_KEY_ID:?}; set WISELINK__CRYPTO__KEYS"
            ));
        }
    }
}
