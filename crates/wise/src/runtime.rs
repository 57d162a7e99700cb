//! The runtime Wise's shared work lives on, for as long as the process: the connections to Wise
//! and the task that asks the call budget for room.
//!
//! actix-web gives each HTTP worker its own runtime and, on SIGTERM, stops each one as soon as
//! that worker's own requests are done, and every task spawned there goes with it. Work that
//! serves callers on every worker cannot live there:
//! - hyper runs each pooled connection as a task on the runtime that opened it. A code exchange
//!   whose connection went that way has reached Wise and lost its answer, so the customer needs
//!   a new code.
//! - One task at a time asks the budget's store for room for every waiting caller. Had it gone
//!   with a stopping worker, the callers on the others would wait for it until their patience
//!   ran out, and a request mid-way through a link would fail for want of room that was there.

use std::future::Future;
use std::sync::OnceLock;
use tokio::runtime::Runtime;
use tokio::task::JoinHandle;

/// Threads for Wise's connections (TLS included) and the budget: two keep up with far more than
/// Wise's limits.
const THREADS: usize = 2;

fn runtime() -> &'static Runtime {
    static IO: OnceLock<Runtime> = OnceLock::new();
    IO.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(THREADS)
            .thread_name("wise-io")
            .enable_all()
            .build()
            .expect("the runtime for Wise's connections starts")
    })
}

/// Runs `task` on the process-long runtime.
pub(crate) fn spawn<F>(task: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    runtime().spawn(task)
}
