//! What `wiselink demo` shows: its sample customers and how they are seeded over the API, and
//! what the demo's own pages need. The command itself is `commands/demo.rs`; this module imports
//! nothing of wiselink's, so pages and routes can read it.

mod seed;

pub use seed::{
    SAMPLES, Sample, WiseAccount, everyone as seed_everyone, password as sample_password,
};

use secrecy::SecretString;
use std::future::Future;

tokio::task_local! {
    /// Set around each request an application serving the demo handles.
    static LABELLED: bool;
}

/// Whether the page being rendered belongs to the demo: it then carries the DEMO label. Read by
/// the page templates; false outside a request of a demo application.
pub fn active() -> bool {
    LABELLED.try_with(|on| *on).unwrap_or(false)
}

/// Handles one request (`handling`) with the DEMO label on or off for the pages it renders. The
/// application wraps every request in it, `on` when it was built with the demo's [`DemoInfo`], so
/// the label belongs to that application, not to the process.
pub async fn pages<F: Future>(on: bool, handling: F) -> F::Output {
    LABELLED.scope(on, handling).await
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

#[cfg(test)]
mod tests {
    use super::{active, pages};

    #[tokio::test]
    async fn the_label_is_on_only_inside_a_demo_applications_requests() {
        assert!(!active(), "outside any request");
        assert!(pages(true, async { active() }).await);
        assert!(!pages(false, async { active() }).await);
        // A request of another application running at the same time is not labelled.
        let (demo, other) = tokio::join!(
            pages(true, async {
                tokio::task::yield_now().await;
                active()
            }),
            pages(false, async {
                tokio::task::yield_now().await;
                active()
            }),
        );
        assert!(demo && !other);
        assert!(!active(), "and nothing stays on after it");
    }
}
