//! Wise's connections live on a runtime of their own, for as long as the process.
//!
//! hyper runs each pooled connection as a task on the runtime that opened it, and one pool serves
//! every caller of the client. actix-web gives each HTTP worker its own runtime and, on SIGTERM,
//! stops each one as soon as that worker's own requests are done: with it go the connections it
//! opened, including one that another worker's request is still waiting on. A code exchange cut
//! off that way has reached Wise and lost its answer, so the customer needs a new code. Sending
//! every request from this runtime keeps the connections alive until the process ends.

use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};
use tokio::runtime::Runtime;
use tokio::task::{JoinError, JoinHandle};
use tracing::Instrument;

/// Threads for Wise's connections (TLS included): two keep up with far more than Wise's limits.
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

/// What Wise answered: the status and headers, and the body unless it was cut off.
pub(super) struct Received {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Result<Bytes, reqwest::Error>,
}

/// Sends `request` and reads the whole answer on the connections' runtime. Dropping the returned
/// future (a deadline passed, the caller went away) drops the request there too.
pub(super) async fn send(request: reqwest::RequestBuilder) -> Result<Received, reqwest::Error> {
    let task = runtime().spawn(
        async move {
            let response = request.send().await?;
            let status = response.status();
            let headers = response.headers().clone();
            let body = response.bytes().await;
            Ok(Received {
                status,
                headers,
                body,
            })
        }
        .in_current_span(),
    );
    match AbortOnDrop(task).await {
        Ok(received) => received,
        Err(failed) => std::panic::resume_unwind(failed.into_panic()),
    }
}

/// A task that is aborted when its handle is dropped before it ends.
struct AbortOnDrop<T>(JoinHandle<T>);

impl<T> Future for AbortOnDrop<T> {
    type Output = Result<T, JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx)
    }
}

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}
