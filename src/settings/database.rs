//! `[database]`.

use super::DatabaseUrl;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    pub url: DatabaseUrl,
    pub pool_size: u32,
    /// PostgreSQL only: the async pool the hot reads use, besides `pool_size`.
    pub read_pool_size: u32,
    pub connect_timeout_secs: u64,
    pub migrate_on_start: bool,
}

impl DatabaseSettings {
    pub(super) fn problems(&self, out: &mut Vec<String>) {
        if !(1..=256).contains(&self.pool_size) {
            out.push("database.pool_size must be between 1 and 256".to_owned());
        }
        if !(1..=256).contains(&self.read_pool_size) {
            out.push("database.read_pool_size must be between 1 and 256".to_owned());
        }
        if !(1..=300).contains(&self.connect_timeout_secs) {
            out.push("database.connect_timeout_secs must be between 1 and 300".to_owned());
        }
    }
}
