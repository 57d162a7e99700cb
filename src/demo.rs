//! What `wiselink demo` shows: its sample customers and how they are seeded over the API, and
//! what the demo's own pages need. The command itself is `commands/demo.rs`; this module imports
//! nothing of wiselink's, so pages and routes can read it.

mod seed;

pub use seed::{
    SAMPLES, Sample, WiseAccount, everyone as seed_everyone, password as sample_password,
};

use secrecy::SecretString;
use std::sync::atomic::{AtomicBool, Ordering};

static ACTIVE: AtomicBool = AtomicBool::new(false);

/// Whether this process runs the demo: every page then carries the DEMO label.
pub fn active() -> bool {
    ACTIVE.load(Ordering::Relaxed)
}

/// Marks this process as running the demo (once, before the server starts).
pub fn mark_active() {
    ACTIVE.store(true, Ordering::Relaxed);
}

/// What the demo's own pages need: the API key they call wiselink's API with, and where the
/// simulated Wise is (for its mailbox).
pub struct DemoInfo {
    pub api_key: SecretString,
    pub sim_url: String,
}

impl std::fmt::Debug for DemoInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoInfo")
            .field("sim_url", &self.sim_url)
            .finish_non_exhaustive()
    }
}
