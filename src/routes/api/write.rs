//! The one pipeline every API write goes through, as an extractor: the caller is authenticated,
//! an app's or browser's request is counted against its address's limit, the JSON body is read
//! within `server.body_limit_bytes` and `server.request_read_timeout_secs`, and the use case then
//! runs at most once per `Idempotency-Key` in the caller's scope. A handler is its use case:
//!
//! ```ignore
//! pub async fn submit_code(write: Write<LinkCaller>, path: web::Path<String>, links: …) -> … {
//!     write.run(take_code(&links, &write.caller, &path, write.body())).await
//! }
//! ```

use super::auth::{ApiKeyAuth, LinkCaller, TestKeyAuth};
use crate::http::RequestError;
use crate::http::body;
use crate::http::idempotency::Idempotency;
use crate::http::rate_limit::IpLimiter;
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::web::Bytes;
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError, web};
use futures_util::future::LocalBoxFuture;
use std::future::Future;
use std::marker::PhantomData;

/// A caller that may write.
pub trait Writer: FromRequest<Error = RequestError> + 'static {
    /// Whose `Idempotency-Key`s the caller's are.
    fn idempotency_scope(&self) -> String;

    /// Whether the caller's requests count against its address's limit: an app's or browser's
    /// do; the partner's backend calls from its own servers and is not counted.
    fn counted_per_address(&self) -> bool;
}

impl Writer for ApiKeyAuth {
    fn idempotency_scope(&self) -> String {
        ApiKeyAuth::idempotency_scope(self)
    }

    fn counted_per_address(&self) -> bool {
        false
    }
}

impl Writer for TestKeyAuth {
    fn idempotency_scope(&self) -> String {
        self.0.idempotency_scope()
    }

    fn counted_per_address(&self) -> bool {
        false
    }
}

impl Writer for LinkCaller {
    fn idempotency_scope(&self) -> String {
        LinkCaller::idempotency_scope(self)
    }

    fn counted_per_address(&self) -> bool {
        matches!(self, LinkCaller::Session { .. })
    }
}

/// What a write's body is.
pub trait BodyKind: 'static {
    /// Whether the body is read (as JSON); a bodiless write ignores any body sent.
    const READ: bool;
}

/// A JSON object body.
pub struct Json;

impl BodyKind for Json {
    const READ: bool = true;
}

/// No body.
pub struct Bodiless;

impl BodyKind for Bodiless {
    const READ: bool = false;
}

/// A write that passed the pipeline up to its use case.
pub struct Write<C, B = Json> {
    pub caller: C,
    req: HttpRequest,
    body: Bytes,
    idempotency: web::Data<Idempotency>,
    kind: PhantomData<B>,
}

impl<C: Writer, B: BodyKind> Write<C, B> {
    /// The body as read (empty for a bodiless write).
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// Runs `use_case` at most once for this request's `Idempotency-Key`, replaying the stored
    /// answer to a repeat; its error is answered (and stored) like any other response.
    pub async fn run<Fut, E>(&self, use_case: Fut) -> Result<HttpResponse, RequestError>
    where
        Fut: Future<Output = Result<HttpResponse, E>>,
        E: ResponseError,
    {
        let scope = self.caller.idempotency_scope();
        self.idempotency
            .run(&scope, &self.req, &self.body, use_case)
            .await
    }
}

impl<C: Writer, B: BodyKind> FromRequest for Write<C, B> {
    type Error = RequestError;
    type Future = LocalBoxFuture<'static, Result<Self, RequestError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let caller = C::from_request(&req, payload);
        let payload = web::Payload::from_request(&req, payload).into_inner();
        Box::pin(async move {
            let caller = caller.await?;
            if caller.counted_per_address() {
                wired::<IpLimiter>(&req, "the per-address limiter")?
                    .check_request(&req)
                    .await
                    .map_err(|retry_after_secs| RequestError::IpLimited { retry_after_secs })?;
            }
            let body = match (B::READ, payload) {
                (true, Ok(payload)) => {
                    let state = wired::<AppState>(&req, "the app state")?;
                    body::read_json(&req, payload, &state.settings.server).await?
                }
                (true, Err(_)) => return Err(RequestError::BodyUnreadable),
                (false, _) => Bytes::new(),
            };
            let idempotency = wired::<Idempotency>(&req, "idempotency")?;
            Ok(Self {
                caller,
                req,
                body,
                idempotency,
                kind: PhantomData,
            })
        })
    }
}

/// The app's `T`, which startup always registers.
fn wired<T: 'static>(req: &HttpRequest, what: &'static str) -> Result<web::Data<T>, RequestError> {
    req.app_data::<web::Data<T>>()
        .cloned()
        .ok_or(RequestError::NotWired(what))
}
