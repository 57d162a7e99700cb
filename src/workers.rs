//! Background work that runs inside `wiselink serve`, owned by the [`Application`]: each worker
//! runs in a supervised task that logs a panic and starts the worker again, and stops between
//! items when the application shuts down, so no item (a refresh, a delivery) is cut in half and
//! every lease it took is released by finishing it.
//!
//! [`Application`]: crate::startup::Application

pub mod audit_sealer;
pub mod audit_stream;
pub mod credentials;
pub mod event_retention;
pub mod hsm_watch;
pub mod outbox;
pub mod recovery;
pub mod refresher;
pub mod retention;
pub mod stats_folding;
pub mod webhooks;
pub mod wise_events;

use std::future::Future;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Runs `pass` at once and then once an hour by the service's clock (which tests move forward),
/// looking at the clock every second, until shutdown is asked for. For upkeep that deletes or
/// erases what has outlived its period.
pub async fn hourly<F, Fut>(clock: crate::clock::SharedClock, mut stop: Stop, mut pass: F)
where
    F: FnMut(chrono::NaiveDateTime) -> Fut,
    Fut: Future<Output = ()>,
{
    let mut last: Option<chrono::NaiveDateTime> = None;
    loop {
        let now = clock.now();
        if last.is_none_or(|at| now - at >= chrono::Duration::hours(1)) {
            pass(now).await;
            last = Some(now);
        }
        if stop.sleep(Duration::from_secs(1)).await {
            return;
        }
    }
}

/// A worker's view of shutdown: checked between items, awaited beside every wait. It also knows
/// whether the keys' custody holds, for workers that open sealed values.
#[derive(Clone)]
pub struct Stop(watch::Receiver<bool>, crate::crypto::Custody);

impl Stop {
    /// Whether shutdown has been asked for.
    pub fn requested(&self) -> bool {
        *self.0.borrow()
    }

    /// Waits while the keys' custody is lost (nothing would open); returns whether shutdown was
    /// asked for meanwhile. A worker that opens sealed values calls it before each pass.
    pub async fn keys_held(&mut self) -> bool {
        if self.1.lost().is_none() {
            return self.requested();
        }
        let custody = self.1.clone();
        tokio::select! {
            () = custody.held() => self.requested(),
            () = self.asked() => true,
        }
    }

    /// Waits `pause`, or less if shutdown is asked for meanwhile; returns whether it was.
    pub async fn sleep(&mut self, pause: Duration) -> bool {
        tokio::select! {
            () = tokio::time::sleep(pause) => self.requested(),
            () = self.asked() => true,
        }
    }

    /// Completes once shutdown is asked for.
    pub async fn asked(&mut self) {
        // An error means the sender is gone, which is shutdown too.
        let _ = self.0.wait_for(|stop| *stop).await;
    }
}

/// The supervised workers of one application.
pub struct Workers {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    restart_after: Duration,
    custody: crate::crypto::Custody,
}

impl Workers {
    /// Workers started again `restart_after` after a panic.
    pub fn new(restart_after: Duration) -> Self {
        Self {
            stop: watch::channel(false).0,
            tasks: Vec::new(),
            restart_after,
            custody: crate::crypto::Custody::default(),
        }
    }

    /// Workers that wait (in [`Stop::keys_held`]) while `custody` is lost.
    pub fn with_custody(mut self, custody: crate::crypto::Custody) -> Self {
        self.custody = custody;
        self
    }

    /// Runs `start(stop)` under supervision: a panic is logged (and counted in
    /// `wiselink_worker_restarts_total`) and the worker started again; a worker that returns
    /// has seen shutdown and is done.
    pub fn spawn<F, Fut>(&mut self, name: &'static str, start: F)
    where
        F: Fn(Stop) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let mut stop = Stop(self.stop.subscribe(), self.custody.clone());
        let restart_after = self.restart_after;
        self.tasks.push(tokio::spawn(async move {
            loop {
                match tokio::spawn(start(stop.clone())).await {
                    Ok(()) => return,
                    Err(e) if e.is_panic() => {
                        tracing::error!(worker = name, "worker panicked; starting it again");
                        metrics::counter!("wiselink_worker_restarts_total", "worker" => name)
                            .increment(1);
                        if stop.sleep(restart_after).await {
                            return;
                        }
                    }
                    Err(_) => return,
                }
            }
        }));
    }

    /// Asks every worker to stop and waits until each has finished the item it was on.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn a_panicking_worker_is_started_again() {
        let starts = Arc::new(AtomicUsize::new(0));
        let mut workers = Workers::new(Duration::from_millis(10));
        let counted = starts.clone();
        workers.spawn("test", move |mut stop| {
            let starts = counted.clone();
            async move {
                if starts.fetch_add(1, Ordering::SeqCst) < 2 {
                    panic!("planted");
                }
                stop.asked().await;
            }
        });
        for _ in 0..200 {
            if starts.load(Ordering::SeqCst) >= 3 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(starts.load(Ordering::SeqCst), 3, "two panics, three starts");
        workers.stop().await;
    }

    #[tokio::test]
    async fn stopping_lets_the_current_item_finish_and_starts_no_other() {
        let (started, finished) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let mut workers = Workers::new(Duration::from_millis(10));
        let (s, f) = (started.clone(), finished.clone());
        workers.spawn("test", move |stop| {
            let (started, finished) = (s.clone(), f.clone());
            async move {
                while !stop.requested() {
                    started.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    finished.fetch_add(1, Ordering::SeqCst);
                }
            }
        });
        while started.load(Ordering::SeqCst) == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        workers.stop().await;
        let (s, f) = (
            started.load(Ordering::SeqCst),
            finished.load(Ordering::SeqCst),
        );
        assert!(s >= 1);
        assert_eq!(s, f, "every item started was finished");
    }

    #[tokio::test]
    async fn a_worker_that_needs_keys_waits_while_custody_is_lost_and_still_stops() {
        let custody = crate::crypto::Custody::default();
        custody.lose("token gone");
        let passes = Arc::new(AtomicUsize::new(0));
        let mut workers = Workers::new(Duration::from_millis(10)).with_custody(custody.clone());
        let counted = passes.clone();
        workers.spawn("needs-keys", move |mut stop| {
            let passes = counted.clone();
            async move {
                while !stop.keys_held().await {
                    passes.fetch_add(1, Ordering::SeqCst);
                    if stop.sleep(Duration::from_millis(5)).await {
                        return;
                    }
                }
            }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(
            passes.load(Ordering::SeqCst),
            0,
            "no pass while custody is lost"
        );
        custody.regain();
        for _ in 0..100 {
            if passes.load(Ordering::SeqCst) > 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert!(
            passes.load(Ordering::SeqCst) > 0,
            "passes once custody holds"
        );
        custody.lose("gone again");
        // Shutdown ends a worker waiting for custody.
        tokio::time::timeout(Duration::from_secs(2), workers.stop())
            .await
            .expect("a waiting worker stops");
    }
}
