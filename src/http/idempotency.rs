//! `Idempotency-Key` for every mutating request: the same key with the same request replays the
//! stored response; the same key with another request is refused (422); a key whose first request
//! is still running is refused (409). Responses of 5xx are not stored, so a retry runs again.
//!
//! Keys belong to a scope: the API key, or the link a session token opens. Stored bodies are
//! sealed with the key ring (a link's session token is in one), and replays, like every answer
//! they stand for, say `Cache-Control: no-store`.

use super::RequestError;
use crate::clock::SharedClock;
use crate::crypto::KeyRing;
use crate::db::{Db, idempotency as store};
use crate::settings::IdempotencySettings;
use actix_web::body::to_bytes;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use chrono::Duration;
use sha2::{Digest, Sha256};
use std::future::Future;
use std::sync::Arc;

pub const HEADER: &str = "idempotency-key";
pub const REPLAYED_HEADER: &str = "idempotent-replayed";

/// A well-formed `Idempotency-Key` header value: 1–255 visible ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(raw: &str) -> Result<Self, RequestError> {
        let ok = (1..=255).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_graphic());
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(RequestError::InvalidIdempotencyKey)
        }
    }

    /// The key the request carries, if any.
    pub fn from_request(req: &HttpRequest) -> Result<Option<Self>, RequestError> {
        match req.headers().get(HEADER) {
            None => Ok(None),
            Some(v) => {
                let s = v
                    .to_str()
                    .map_err(|_| RequestError::InvalidIdempotencyKey)?;
                Self::parse(s).map(Some)
            }
        }
    }
}

/// What replaying needs: where responses are stored, the keys that seal them, how long they last.
pub struct Idempotency {
    pub db: Db,
    pub keys: Arc<KeyRing>,
    pub settings: IdempotencySettings,
    pub clock: SharedClock,
}

impl Idempotency {
    /// Runs `handler` at most once per (scope, Idempotency-Key), replaying its stored response to
    /// repeats of the same request. Without a key the handler simply runs. `scope` is the caller
    /// (an API key's or a link session's scope, from the API's authentication); `body` is the
    /// request body as read (empty for bodiless requests). A handler's error is answered
    /// (and stored) like any other response.
    pub async fn run<Fut, E>(
        &self,
        scope: &str,
        req: &HttpRequest,
        body: &[u8],
        handler: Fut,
    ) -> Result<HttpResponse, RequestError>
    where
        Fut: Future<Output = Result<HttpResponse, E>>,
        E: ResponseError,
    {
        let handler = async { handler.await.unwrap_or_else(|e| e.error_response()) };
        let Some(key) = IdempotencyKey::from_request(req)? else {
            return Ok(handler.await);
        };
        let fingerprint = fingerprint(req.method(), req.path(), body);
        let subject = subject_of(req, body);
        let claim = Claim {
            db: self.db.clone(),
            keys: self.keys.clone(),
            clock: self.clock.clone(),
            scope: scope.to_owned(),
            key: key.0,
        };
        if let Some(stored) = claim
            .begin(
                fingerprint,
                subject,
                Duration::hours(i64::from(self.settings.retention_hours)),
                Duration::seconds(i64::from(self.settings.in_flight_timeout_secs)),
            )
            .await?
        {
            return Ok(stored);
        }
        let response = handler.await;
        claim.finish(response).await
    }
}

struct Claim {
    db: Db,
    keys: Arc<KeyRing>,
    clock: SharedClock,
    scope: String,
    key: String,
}

impl Claim {
    /// Claims the key. Returns a stored response to replay, or `None` when the handler should run.
    async fn begin(
        &self,
        fingerprint: Vec<u8>,
        subject: Option<String>,
        retention: Duration,
        in_flight_timeout: Duration,
    ) -> Result<Option<HttpResponse>, RequestError> {
        let (scope, key) = (self.scope.clone(), self.key.clone());
        let now = self.clock.now();
        let outcome = self
            .db
            .run(move |conn| {
                let Some(existing) =
                    store::claim(conn, &scope, &key, &fingerprint, subject.as_deref(), now)?
                else {
                    return Ok(Begin::Run);
                };
                let expired = existing.created_at < now - retention;
                let abandoned = existing.state == store::IN_FLIGHT
                    && existing.updated_at < now - in_flight_timeout;
                if expired || (abandoned && existing.request_fingerprint == fingerprint) {
                    return Ok(
                        if store::take_over(conn, &existing, &fingerprint, subject.as_deref(), now)?
                        {
                            Begin::Run
                        } else {
                            Begin::InProgress
                        },
                    );
                }
                if existing.request_fingerprint != fingerprint {
                    return Ok(Begin::Mismatch);
                }
                match (
                    existing.state.as_str(),
                    existing.response_status,
                    existing.response_body,
                ) {
                    (store::COMPLETED, Some(status), Some(body)) => Ok(Begin::Replay {
                        status,
                        content_type: existing.response_content_type.unwrap_or_default(),
                        body,
                    }),
                    _ => Ok(Begin::InProgress),
                }
            })
            .await?;
        match outcome {
            Begin::Run => Ok(None),
            Begin::InProgress => Err(RequestError::IdempotencyInProgress),
            Begin::Mismatch => Err(RequestError::IdempotencyKeyReused),
            Begin::Replay {
                status,
                content_type,
                body,
            } => {
                let status = u16::try_from(status)
                    .ok()
                    .and_then(|s| StatusCode::from_u16(s).ok())
                    .unwrap_or(StatusCode::OK);
                let body = self
                    .keys
                    .open(&body, store::aad(&store::row_name(&self.scope, &self.key)))
                    .map_err(|e| RequestError::StoredResponseUnreadable(e.to_string()))?;
                let mut response = HttpResponse::build(status);
                response.insert_header((header::CACHE_CONTROL, "no-store"));
                if !content_type.is_empty() {
                    response.insert_header((header::CONTENT_TYPE, content_type));
                }
                response.insert_header((
                    HeaderName::from_static(REPLAYED_HEADER),
                    HeaderValue::from_static("true"),
                ));
                Ok(Some(response.body(body)))
            }
        }
    }

    /// Stores a final (non-5xx) response for replay, or frees the key after a server-side failure.
    async fn finish(self, response: HttpResponse) -> Result<HttpResponse, RequestError> {
        let status = response.status();
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let (head, body) = response.into_parts();
        let bytes = to_bytes(body)
            .await
            .map_err(|_| RequestError::BodyUnreadable)?;
        let sealed = self
            .keys
            .seal(&bytes, store::aad(&store::row_name(&self.scope, &self.key)));
        let (scope, key) = (self.scope, self.key);
        let now = self.clock.now();
        self.db
            .run(move |conn| {
                if status.is_server_error() {
                    store::release(conn, &scope, &key)
                } else {
                    store::complete(
                        conn,
                        &scope,
                        &key,
                        status.as_u16(),
                        &content_type,
                        &sealed,
                        now,
                    )
                }
            })
            .await?;
        Ok(head.set_body(bytes).map_into_boxed_body())
    }
}

enum Begin {
    Run,
    InProgress,
    Mismatch,
    Replay {
        status: i32,
        content_type: String,
        body: Vec<u8>,
    },
}

/// Whom a request is about, so that an erasure finds its stored answer: the customer or link in
/// its path, else the `customer_ref` of its body (starting a link).
fn subject_of(req: &HttpRequest, body: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct About {
        customer_ref: Option<String>,
    }
    let path = req.match_info();
    if let Some(customer) = path.get("customer_ref") {
        return Some(format!("customer:{customer}"));
    }
    if let Some(link) = path.get("link_id") {
        return Some(format!("link:{link}"));
    }
    let about: About = serde_json::from_slice(body).ok()?;
    about.customer_ref.map(|c| format!("customer:{c}"))
}

pub fn fingerprint(method: &Method, path: &str, body: &[u8]) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(method.as_str().as_bytes());
    h.update([0]);
    h.update(path.as_bytes());
    h.update([0]);
    h.update(body);
    h.finalize().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_shape() {
        assert!(IdempotencyKey::parse("a").is_ok());
        assert!(IdempotencyKey::parse("0f8fad5b-d9cb-469f-a165-70867728950e").is_ok());
        assert!(IdempotencyKey::parse(&"k".repeat(255)).is_ok());
        assert!(IdempotencyKey::parse("").is_err());
        assert!(IdempotencyKey::parse(&"k".repeat(256)).is_err());
        assert!(IdempotencyKey::parse("has space").is_err());
        assert!(IdempotencyKey::parse("tab\t").is_err());
    }

    #[test]
    fn fingerprint_separates_method_path_and_body() {
        let a = fingerprint(&Method::PUT, "/v1/x", b"{}");
        assert_eq!(a, fingerprint(&Method::PUT, "/v1/x", b"{}"));
        assert_ne!(a, fingerprint(&Method::POST, "/v1/x", b"{}"));
        assert_ne!(a, fingerprint(&Method::PUT, "/v1/y", b"{}"));
        assert_ne!(a, fingerprint(&Method::PUT, "/v1/x", b"{ }"));
    }
}
