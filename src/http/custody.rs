//! Middleware: while the keys' custody is lost (the HSM does not vouch for `crypto.keys`), every
//! request that could need a secret is answered 503 before any handler runs — a problem
//! `keys_unavailable` for the API and Wise's webhooks, a page for browsers. Health, readiness,
//! metrics, the stylesheet and the API documentation still answer.

use crate::crypto::Custody;
use crate::http::Problem;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::{Error, HttpResponse};
use futures_util::future::{Either, Ready, ready};
use std::future::Future;

/// Seconds a refused client is told to wait.
const RETRY_AFTER_SECS: u64 = 10;

/// Addresses that answer whatever the keys' custody: none of them opens a secret.
fn needs_no_keys(path: &str) -> bool {
    matches!(
        path,
        "/healthz" | "/readyz" | "/metrics" | "/openapi.json" | "/docs"
    ) || path.starts_with("/docs/")
        || path.starts_with("/assets/")
}

/// What the gate answers: the refusal, or the service's own answer.
type Answer<B> = Result<ServiceResponse<EitherBody<B>>, Error>;

pub fn gate<S, B>(
    custody: &Custody,
    req: ServiceRequest,
    service: &S,
) -> Either<Ready<Answer<B>>, impl Future<Output = Answer<B>> + use<S, B>>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
    S::Future: 'static,
    B: MessageBody,
{
    if custody.lost().is_some() && !needs_no_keys(req.path()) {
        let answer = refusal(req.path());
        return Either::Left(ready(Ok(req.into_response(answer).map_into_right_body())));
    }
    let call = service.call(req);
    Either::Right(async move { Ok(call.await?.map_into_left_body()) })
}

fn refusal(path: &str) -> HttpResponse {
    if path.starts_with("/v1/") || path.starts_with("/wise/") {
        return Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "keys_unavailable",
            "The service cannot open its keys right now",
        )
        .detail("Nothing was read or changed. Try again shortly.")
        .retry_after(RETRY_AFTER_SECS)
        .response();
    }
    let mut page = crate::http::html::page(
        StatusCode::SERVICE_UNAVAILABLE,
        concat!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">",
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
            "<title>Please try again in a moment</title>",
            "<link rel=\"stylesheet\" href=\"/assets/wiselink.css\"></head>",
            "<body><main id=\"content\"><h1>Please try again in a moment</h1>",
            "<p>This service cannot reach what keeps its keys safe right now. Nothing was changed. ",
            "Try again in a few minutes.</p></main></body></html>"
        )
        .to_owned(),
    );
    if let Ok(v) = RETRY_AFTER_SECS.to_string().parse() {
        page.headers_mut()
            .insert(actix_web::http::header::RETRY_AFTER, v);
    }
    page
}
