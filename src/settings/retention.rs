//! `[retention]`: how long personal data outlives what it was for.

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionSettings {
    /// Days a final link (`rejected`, `unlinked`, `expired`) keeps its personal data after its
    /// last change; then the retention worker erases it, keeping the link and its audit trail.
    pub final_link_days: u32,
}

impl RetentionSettings {
    pub(super) fn problems(&self, out: &mut Vec<String>) {
        if !(1..=3650).contains(&self.final_link_days) {
            out.push("retention.final_link_days must be between 1 and 3650".to_owned());
        }
    }
}
