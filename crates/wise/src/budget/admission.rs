//! Waiting for the budget. Callers queue in this process by class; one task at a time asks the
//! store for as many calls as are queued (one round trip admits many) and hands out what it got,
//! customers first, sleeping until the windows move on when it got less than it asked for.

use super::{CallClass, Limits, MemoryStore, SlotStore, Want};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{oneshot, watch};

#[derive(Default)]
struct Queue {
    customer: VecDeque<oneshot::Sender<()>>,
    background: VecDeque<oneshot::Sender<()>>,
    /// A task is asking the store for this queue.
    asking: bool,
}

impl Queue {
    fn of(&mut self, class: CallClass) -> &mut VecDeque<oneshot::Sender<()>> {
        match class {
            CallClass::Customer => &mut self.customer,
            CallClass::Background => &mut self.background,
        }
    }

    /// Wakes up to `n` callers still waiting in `class`; returns how many.
    fn admit(&mut self, class: CallClass, n: u32) -> u32 {
        let mut admitted = 0;
        while admitted < n {
            let Some(waiter) = self.of(class).pop_front() else {
                break;
            };
            if waiter.send(()).is_ok() {
                admitted += 1;
            }
        }
        admitted
    }

    fn want(&mut self) -> Want {
        self.customer.retain(|w| !w.is_closed());
        self.background.retain(|w| !w.is_closed());
        Want {
            customer: self.customer.len() as u32,
            background: self.background.len() as u32,
        }
    }
}

/// The budget one client's calls are admitted by.
pub struct Budget {
    limits: Option<Limits>,
    store: Arc<dyn SlotStore>,
    /// Counts alone while `store` fails, so a broken store neither stops calls nor lets them run
    /// unbounded.
    fallback: MemoryStore,
    queue: Mutex<Queue>,
    /// The earliest the store expects room, while callers are left waiting; `None` when the last
    /// round admitted everyone. A caller who cannot wait that long gives up at once.
    room_at: watch::Sender<Option<Instant>>,
}

/// Why a call was not admitted: it could not wait long enough.
#[derive(Debug, Clone, Copy)]
pub struct NotAdmitted {
    pub waited: Duration,
    /// How long until the budget expects room (at least a second: what a client is told).
    pub retry_in: Duration,
}

impl Budget {
    /// `limits` `None`: every call is admitted at once.
    pub fn new(limits: Option<Limits>, store: Arc<dyn SlotStore>) -> Arc<Self> {
        Arc::new(Self {
            limits,
            store,
            fallback: MemoryStore::new(),
            queue: Mutex::new(Queue::default()),
            room_at: watch::Sender::new(None),
        })
    }

    pub fn limits(&self) -> Option<Limits> {
        self.limits
    }

    /// Waits until a call of `class` is admitted, or at most `patience`.
    pub async fn admit(
        self: &Arc<Self>,
        class: CallClass,
        patience: Duration,
    ) -> Result<(), NotAdmitted> {
        if self.limits.is_none() {
            return Ok(());
        }
        let started = Instant::now();
        let give_up = started + patience;
        let mut room_at = self.room_at.subscribe();
        let (tx, mut rx) = oneshot::channel();
        {
            let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
            queue.of(class).push_back(tx);
            if !queue.asking {
                queue.asking = true;
                // Not on the caller's runtime: an HTTP worker's stops with it (crate::runtime).
                crate::runtime::spawn(self.clone().hand_out());
            }
        }
        let label = class.as_str();
        metrics::gauge!("wiselink_wise_budget_waiting", "class" => label).increment(1.0);
        let outcome = loop {
            let expected = *room_at.borrow_and_update();
            if let Some(at) = expected.filter(|at| *at > give_up) {
                break Err(at);
            }
            tokio::select! {
                admitted = &mut rx => break admitted.map_err(|_| give_up),
                changed = room_at.changed() => if changed.is_err() { break Err(give_up) },
                () = tokio::time::sleep_until(give_up.into()) => break Err(give_up),
            }
        };
        metrics::gauge!("wiselink_wise_budget_waiting", "class" => label).decrement(1.0);
        let waited = started.elapsed();
        metrics::histogram!("wiselink_wise_budget_wait_seconds", "class" => label)
            .record(waited.as_secs_f64());
        match outcome {
            Ok(()) => {
                metrics::counter!("wiselink_wise_budget_admitted_total", "class" => label)
                    .increment(1);
                Ok(())
            }
            Err(room_at) => {
                metrics::counter!("wiselink_wise_budget_refused_total", "class" => label)
                    .increment(1);
                let retry_in = room_at.saturating_duration_since(Instant::now());
                Err(NotAdmitted {
                    waited,
                    retry_in: Duration::from_secs(retry_in.as_secs_f64().ceil().max(1.0) as u64),
                })
            }
        }
    }

    /// Wise answered 429: nothing is admitted, anywhere the store reaches, for `wait`.
    pub async fn pause(&self, wait: Duration) {
        metrics::counter!("wiselink_wise_budget_pauses_total").increment(1);
        tracing::warn!(
            wait_ms = wait.as_millis() as u64,
            "Wise rate-limited a call; pausing every Wise call"
        );
        if let Err(e) = self.store.pause(wait).await {
            tracing::warn!(error = %e, "cannot share the pause; pausing this process only");
        }
        let _ = self.fallback.pause(wait).await;
    }

    /// Asks the store for whatever is queued until the queue is empty. However it ends (its
    /// runtime shutting down included), the next caller starts another.
    async fn hand_out(self: Arc<Self>) {
        let Some(limits) = self.limits else { return };
        let mut asking = Asking {
            budget: &self,
            done: false,
        };
        loop {
            let want = {
                let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
                let want = queue.want();
                if want == Want::default() {
                    // In the same hold of the lock as the check: a caller queued after it starts
                    // the next task.
                    queue.asking = false;
                    asking.done = true;
                    self.room_at.send_replace(None);
                    return;
                }
                want
            };
            let grant = match self.store.take(limits, want).await {
                Ok(grant) => grant,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot reach the shared Wise call budget; counting this process's calls alone");
                    self.fallback
                        .take(limits, want)
                        .await
                        .expect("the memory store does not fail")
                }
            };
            let short = {
                let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
                let customers = queue.admit(CallClass::Customer, grant.customer);
                queue.admit(CallClass::Background, grant.background);
                customers < want.customer || grant.background < want.background
            };
            if short || grant.customer + grant.background == 0 {
                self.room_at
                    .send_replace(Some(Instant::now() + grant.retry_in));
                tokio::time::sleep(grant.retry_in).await;
            }
        }
    }
}

/// The asking task, which, dropped before it is `done` (a panic, its runtime shutting down),
/// lets the next caller start another.
struct Asking<'a> {
    budget: &'a Budget,
    done: bool,
}

impl Drop for Asking<'_> {
    fn drop(&mut self) {
        if !self.done {
            let mut queue = self.budget.queue.lock().unwrap_or_else(|e| e.into_inner());
            queue.asking = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::budget::BudgetSettings;

    #[tokio::test]
    async fn waiting_callers_are_admitted_as_the_second_moves_on_customers_first() {
        let limits = BudgetSettings {
            per_second: 5,
            per_minute: 1000,
            margin_percent: 0,
            customer_reserve_percent: 0,
            ..BudgetSettings::default()
        }
        .limits();
        let budget = Budget::new(limits, Arc::new(MemoryStore::new()));
        // This second's room is used up first, so every caller below is waiting when the next
        // second brings room (the asking task runs on a runtime of its own, at once).
        for _ in 0..5 {
            budget
                .admit(CallClass::Customer, Duration::from_secs(1))
                .await
                .unwrap();
        }
        let started = Instant::now();
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut calls = Vec::new();
        for (i, class) in [CallClass::Background; 6]
            .into_iter()
            .chain([CallClass::Customer; 6])
            .enumerate()
        {
            let (budget, order) = (budget.clone(), order.clone());
            calls.push(tokio::spawn(async move {
                budget.admit(class, Duration::from_secs(5)).await.unwrap();
                order.lock().unwrap().push((i, class, started.elapsed()));
            }));
        }
        for call in calls {
            call.await.unwrap();
        }
        let mut order = order.lock().unwrap().clone();
        order.sort_by_key(|o| o.2);
        assert_eq!(order.len(), 12);
        // 5 a second: the first five wait for the next second, the last two for the one after.
        assert!(order[0].2 >= Duration::from_millis(500), "{order:?}");
        assert!(order[11].2 >= Duration::from_millis(1500), "{order:?}");
        // The six customers, though they queued after the six background calls, go first: the
        // next second's five are all customers.
        assert!(
            order[..5].iter().all(|o| o.1 == CallClass::Customer),
            "{order:?}"
        );
    }

    #[tokio::test]
    async fn a_caller_that_cannot_wait_long_enough_is_not_admitted() {
        let limits = BudgetSettings {
            per_second: 2,
            per_minute: 1000,
            margin_percent: 0,
            ..BudgetSettings::default()
        }
        .limits();
        let budget = Budget::new(limits, Arc::new(MemoryStore::new()));
        for _ in 0..2 {
            budget
                .admit(CallClass::Customer, Duration::from_secs(1))
                .await
                .unwrap();
        }
        // The second is full: no room within 50 ms (at best when its oldest bucket leaves it).
        let refused = budget
            .admit(CallClass::Customer, Duration::from_millis(50))
            .await
            .unwrap_err();
        assert!(refused.waited <= Duration::from_millis(100), "{refused:?}");
        assert_eq!(refused.retry_in, Duration::from_secs(1));
        budget
            .admit(CallClass::Customer, Duration::from_secs(2))
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn a_pause_longer_than_a_caller_can_wait_refuses_it_at_once() {
        let budget = Budget::new(
            BudgetSettings::default().limits(),
            Arc::new(MemoryStore::new()),
        );
        budget.pause(Duration::from_secs(30)).await;
        let started = Instant::now();
        let refused = budget
            .admit(CallClass::Customer, Duration::from_secs(5))
            .await
            .unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(1), "{refused:?}");
        assert!(
            (29..=30).contains(&refused.retry_in.as_secs()),
            "{refused:?}"
        );
    }

    /// A store that takes its time to answer, as a database does under load.
    struct SlowStore(MemoryStore);

    impl SlotStore for SlowStore {
        fn take(
            &self,
            limits: Limits,
            want: Want,
        ) -> crate::budget::StoreFuture<'_, crate::budget::Grant> {
            Box::pin(async move {
                tokio::time::sleep(Duration::from_millis(300)).await;
                self.0.take(limits, want).await
            })
        }

        fn pause(&self, wait: Duration) -> crate::budget::StoreFuture<'_, ()> {
            self.0.pause(wait)
        }
    }

    #[tokio::test]
    async fn a_caller_whose_runtime_stops_strands_no_caller_on_another() {
        let budget = Budget::new(
            BudgetSettings::default().limits(),
            Arc::new(SlowStore(MemoryStore::new())),
        );
        // An HTTP worker's runtime: its caller starts the asking task, and the worker stops
        // while the store is still answering.
        let stopping = budget.clone();
        std::thread::spawn(move || {
            let worker = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            worker.block_on(async {
                let admit = stopping.admit(CallClass::Customer, Duration::from_secs(5));
                tokio::select! {
                    _ = admit => panic!("the slow store answered first"),
                    () = tokio::time::sleep(Duration::from_millis(100)) => {}
                }
            });
        })
        .join()
        .unwrap();
        let started = Instant::now();
        budget
            .admit(CallClass::Customer, Duration::from_secs(3))
            .await
            .expect("admitted: the asking task did not stop with the other runtime");
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
    }
}
