//! `[audit]`.

use super::Environment;
use serde::Deserialize;

/// Key entries are secret; `Debug` shows only their ids.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditSettings {
    pub signing_keys: Vec<String>,
    /// How often the sealer signs the chain's head as a checkpoint.
    pub checkpoint_every_secs: u64,
    pub stream: super::AuditStreamSettings,
}

impl std::fmt::Debug for AuditSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditSettings")
            .field(
                "signing_key_ids",
                &super::crypto::key_ids(&self.signing_keys),
            )
            .field("checkpoint_every_secs", &self.checkpoint_every_secs)
            .field("stream", &self.stream)
            .finish()
    }
}

impl AuditSettings {
    pub(super) fn problems(&self, environment: &Environment, out: &mut Vec<String>) {
        if let Err(problems) = crate::audit::SigningKeys::parse(&self.signing_keys) {
            out.extend(problems);
        }
        self.stream.problems(environment, out);
        if self.checkpoint_every_secs == 0 {
            out.push("audit.checkpoint_every_secs must be at least 1".to_owned());
        }
        if environment.is_production() && self.signing_keys.iter().any(|k| k.starts_with("dev:")) {
            out.push(
                "audit.signing_keys holds the development key \"dev\"; set \
                 WISELINK__AUDIT__SIGNING_KEYS"
                    .to_owned(),
            );
        }
    }
}
