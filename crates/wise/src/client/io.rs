//! Every request to Wise is sent, and its answer read, on the process-long runtime
//! ([`crate::runtime`]), where the connection pool's tasks live.

use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::task::{JoinError, JoinHandle};
use tracing::Instrument;

/// What Wise answered: the status and headers, and the body unless it was cut off.
pub(super) struct Received {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Result<Bytes, reqwest::Error>,
}

/// Sends `request` and reads the whole answer on the connections' runtime. Dropping the returned
/// future (a deadline passed, the caller went away) drops the request there too.
pub(super) async fn send(request: reqwest::RequestBuilder) -> Result<Received, reqwest::Error> {
    let task = crate::runtime::spawn(
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
