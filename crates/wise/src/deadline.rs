//! How long the link step being served may still spend on Wise. A link request (or one recovery
//! of a link) runs [`within`] its budget; every Wise call made inside — its attempts, backoff and
//! `Retry-After` waits — fits in what is left, and a call that no time is left for is not sent.
//! The budget is shorter than the recovery lease (checked at start-up), so the recovery worker
//! never takes over a link a request is still working on, nor throws away tokens that request is
//! about to store.

use std::future::Future;
use std::time::{Duration, Instant};

tokio::task_local! {
    static DEADLINE: Instant;
}

/// Runs `step` with at most `budget` for all its Wise calls together. Inside another such step,
/// the earlier deadline holds.
pub async fn within<F: Future>(budget: Duration, step: F) -> F::Output {
    let mine = Instant::now() + budget;
    let deadline = DEADLINE
        .try_with(|outer| (*outer).min(mine))
        .unwrap_or(mine);
    DEADLINE.scope(deadline, step).await
}

/// Time left for Wise in the current step; `None` outside any step (no bound but the client's
/// own timeouts).
pub fn remaining() -> Option<Duration> {
    DEADLINE
        .try_with(|d| d.saturating_duration_since(Instant::now()))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_earlier_deadline_holds_and_none_leaks_out() {
        assert_eq!(remaining(), None);
        within(Duration::from_secs(5), async {
            let outer = remaining().unwrap();
            assert!(outer <= Duration::from_secs(5) && outer > Duration::from_secs(4));
            within(Duration::from_secs(60), async {
                assert!(remaining().unwrap() <= outer);
            })
            .await;
            within(Duration::from_millis(10), async {
                assert!(remaining().unwrap() <= Duration::from_millis(10));
            })
            .await;
        })
        .await;
        assert_eq!(remaining(), None);
    }
}
