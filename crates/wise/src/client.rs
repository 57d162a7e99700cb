mod http_client;
mod io;
mod span;

use super::budget::{self, Budget, CallClass, MemoryStore, SlotStore};
use super::deadline;
use super::error::{ApiError, ErrorBody, WiseError};
use crate::WiseSettings;
use http_client::http_client;
use rand::Rng;
use reqwest::Method;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use secrecy::{ExposeSecret, SecretString};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;
use tracing::Instrument;

/// The least time worth starting an attempt with: less, and the call is not sent at all.
const MIN_ATTEMPT: Duration = Duration::from_millis(100);

/// When a failed call may be sent again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Retry {
    /// Never: the authorization-code exchange (a code works once).
    Never,
    /// Only when the call cannot have had an effect ([`WiseError::proves_unprocessed`]).
    IfNotProcessed,
    /// Also after timeouts, 408 and 5xx: repeating the call does no harm.
    Safe,
}

pub(super) enum Auth {
    Basic,
    Bearer(SecretString),
}

pub(super) enum Body {
    Empty,
    Json(serde_json::Value),
    Form(Vec<(&'static str, SecretString)>),
}

pub(super) struct Request {
    pub operation: &'static str,
    pub method: Method,
    pub path: String,
    pub auth: Auth,
    pub body: Body,
    pub retry: Retry,
}

/// A 2xx answer.
pub(super) struct Answer {
    pub body: bytes::Bytes,
    pub trace_id: Option<String>,
}

pub(super) struct CachedToken {
    pub token: SecretString,
    pub refresh_at: Instant,
}

/// The Wise API client. Cheap to share behind an `Arc`; one per process is enough.
pub struct WiseClient {
    /// Swapped whole when the mTLS certificate is reloaded; requests in flight keep the one they
    /// started with.
    http: std::sync::RwLock<reqwest::Client>,
    pub(super) settings: WiseSettings,
    pub(super) client_token: Mutex<Option<CachedToken>>,
    budget: Arc<Budget>,
}

/// The longest background work waits for the budget outside a step with its own deadline.
const BACKGROUND_PATIENCE: Duration = Duration::from_secs(60);

impl WiseClient {
    /// Builds the client: rustls, explicit timeouts, no redirects followed, optional mTLS identity,
    /// calls admitted by a budget this process counts alone.
    pub fn new(settings: WiseSettings) -> Result<Self, WiseError> {
        Self::with_budget_store(settings, Arc::new(MemoryStore::new()))
    }

    /// [`WiseClient::new`] with the call budget counted in `store` (shared by a fleet).
    pub fn with_budget_store(
        settings: WiseSettings,
        store: Arc<dyn SlotStore>,
    ) -> Result<Self, WiseError> {
        Ok(Self {
            http: std::sync::RwLock::new(http_client(&settings)?),
            budget: Budget::new(settings.budget.limits(), store),
            settings,
            client_token: Mutex::new(None),
        })
    }

    /// Reads `wise.mtls_cert` and `wise.mtls_key` again and sends every later request with them
    /// (a renewed certificate, without a restart). On an error the client keeps the old ones.
    pub fn reload_identity(&self) -> Result<(), WiseError> {
        let fresh = http_client(&self.settings)?;
        *self.http.write().unwrap_or_else(|e| e.into_inner()) = fresh;
        Ok(())
    }

    /// The limits calls are admitted by, `None` when the budget is off.
    pub fn budget_limits(&self) -> Option<budget::Limits> {
        self.budget.limits()
    }

    /// The HTTP client Wise calls go through (its TLS roots, its identity), outside the call
    /// budget: for the simulator's control API, which test mode drives.
    pub fn unbudgeted_http(&self) -> reqwest::Client {
        self.http()
    }

    fn http(&self) -> reqwest::Client {
        self.http.read().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl WiseClient {
    pub fn settings(&self) -> &WiseSettings {
        &self.settings
    }

    /// Sends `req`, repeating it as its retry policy allows: at most `wise.max_attempts` attempts,
    /// full-jitter exponential backoff, `Retry-After` honoured up to `wise.retry_after_cap_secs`.
    pub(super) async fn execute(&self, req: Request) -> Result<Answer, WiseError> {
        let max = if req.retry == Retry::Never {
            1
        } else {
            self.settings.max_attempts.clamp(1, 3)
        };
        let correlation_id = uuid::Uuid::new_v4().to_string();
        let mut attempt = 1;
        loop {
            let left = deadline::remaining();
            if left.is_some_and(|left| left < MIN_ATTEMPT) {
                tracing::warn!(
                    wise.operation = req.operation,
                    attempt,
                    "no time left for Wise in this step"
                );
                return Err(WiseError::OutOfTime {
                    operation: req.operation,
                });
            }
            let span = span::attempt_span(&req, attempt, budget::current_class());
            let outcome = async {
                self.admit(req.operation, left).await?;
                self.attempt(&req, &correlation_id, deadline::remaining())
                    .await
            }
            .instrument(span.clone())
            .await;
            span::record_outcome(&span, &outcome);
            if let Err(WiseError::Throttled { .. }) = outcome {
                return outcome;
            }
            if let Err(WiseError::Api(e)) = &outcome
                && e.status == 429
            {
                self.budget
                    .pause(e.retry_after.unwrap_or(Duration::from_secs(1)))
                    .await;
            }
            let wait = match &outcome {
                Ok(_) => return outcome,
                Err(e) if attempt >= max => {
                    tracing::warn!(wise.operation = req.operation, attempt, error = %e, wise.trace_id = e.trace_id(), "Wise call failed");
                    return outcome;
                }
                Err(e) => match self.retry_delay(req.retry, e, attempt) {
                    Some(wait) => wait,
                    None => return outcome,
                },
            };
            if deadline::remaining().is_some_and(|left| left < wait + MIN_ATTEMPT) {
                // Waiting would leave no time for the attempt after it.
                return outcome;
            }
            if let Err(e) = &outcome {
                tracing::info!(wise.operation = req.operation, attempt, wait_ms = wait.as_millis() as u64, error = %e, "retrying Wise call");
            }
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    /// Waits for the call budget to admit one attempt: a customer's call at most
    /// `wise.budget.customer_max_wait_ms`, background work as long as its step allows (a minute
    /// outside any step); never past the step's time less what an attempt needs.
    async fn admit(
        &self,
        operation: &'static str,
        left: Option<Duration>,
    ) -> Result<(), WiseError> {
        let class = budget::current_class();
        let mut patience = match class {
            CallClass::Customer => Duration::from_millis(self.settings.budget.customer_max_wait_ms),
            CallClass::Background => BACKGROUND_PATIENCE,
        };
        if let Some(left) = left {
            patience = patience.min(left.saturating_sub(MIN_ATTEMPT));
        }
        self.budget.admit(class, patience).await.map_err(|refused| {
            tracing::warn!(
                wise.operation = operation,
                class = class.as_str(),
                waited_ms = refused.waited.as_millis() as u64,
                "no room in the Wise call budget; call not sent"
            );
            WiseError::Throttled {
                operation,
                retry_after: refused.retry_in,
            }
        })
    }

    /// One attempt, cut off at the client's timeout or at `left` (the step's time), if sooner.
    async fn attempt(
        &self,
        req: &Request,
        correlation_id: &str,
        left: Option<Duration>,
    ) -> Result<Answer, WiseError> {
        let url = format!("{}{}", self.settings.api_url, req.path);
        let timeout = Duration::from_millis(self.settings.request_timeout_ms);
        let mut builder = self
            .http()
            .request(req.method.clone(), url)
            .timeout(left.map_or(timeout, |left| left.min(timeout)))
            .header("X-External-Correlation-Id", correlation_id)
            .header("Accept", "application/json");
        builder = match &req.auth {
            Auth::Basic => builder.basic_auth(
                &self.settings.client_id,
                Some(self.settings.client_secret.expose_secret()),
            ),
            Auth::Bearer(token) => builder.bearer_auth(token.expose_secret()),
        };
        builder = match &req.body {
            Body::Empty => builder,
            Body::Json(v) => builder.json(v),
            Body::Form(fields) => {
                let pairs: Vec<(&str, &str)> = fields
                    .iter()
                    .map(|(k, v)| (*k, v.expose_secret()))
                    .collect();
                builder.form(&pairs)
            }
        };
        let started = Instant::now();
        let transport = |source: reqwest::Error| WiseError::Transport {
            operation: req.operation,
            connect: source.is_connect(),
            timeout: source.is_timeout(),
            source,
        };
        let response = io::send(builder).await.map_err(|e| {
            count_call(req.operation, "transport");
            transport(e)
        })?;
        let status = response.status;
        count_call(req.operation, span::status_outcome(status.as_u16()));
        let headers = response.headers;
        let trace_id = headers
            .get("x-trace-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        span::record_answer(status.as_u16(), trace_id.as_deref());
        let body = response.body.map_err(transport)?;
        tracing::debug!(
            wise.operation = req.operation,
            http.status_code = status.as_u16(),
            wise.trace_id = trace_id.as_deref(),
            latency_ms = started.elapsed().as_secs_f64() * 1000.0,
            "Wise answered"
        );
        if status.is_success() {
            return Ok(Answer { body, trace_id });
        }
        Err(WiseError::Api(Box::new(ApiError {
            operation: req.operation,
            status: status.as_u16(),
            body: ErrorBody::parse(&body),
            trace_id,
            retry_after: retry_after(&headers),
        })))
    }

    /// How long to wait before the next attempt, or `None` when this failure must not be retried.
    fn retry_delay(&self, policy: Retry, e: &WiseError, attempt: u32) -> Option<Duration> {
        let retryable = match policy {
            Retry::Never => false,
            Retry::IfNotProcessed => e.proves_unprocessed(),
            Retry::Safe => e.proves_unprocessed() || e.is_transient(),
        };
        if !retryable {
            return None;
        }
        if let Some(wait) = e.retry_after() {
            // A longer wait than we are willing to hold a caller for ends the call now.
            return (wait <= Duration::from_secs(self.settings.retry_after_cap_secs))
                .then_some(wait);
        }
        let ceiling = self
            .settings
            .retry_base_ms
            .saturating_mul(1 << attempt.min(10));
        Some(Duration::from_millis(rand::rng().random_range(0..=ceiling)))
    }
}

/// One request that reached Wise (or tried to): `wiselink_wise_calls_total{operation,outcome}`,
/// outcome `ok`, `refused` (4xx), `rate_limited` (429), `server_error` or `transport` (no answer).
fn count_call(operation: &'static str, outcome: &'static str) {
    metrics::counter!("wiselink_wise_calls_total", "operation" => operation, "outcome" => outcome)
        .increment(1);
}

/// `Retry-After` in seconds (the only form Wise documents).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}
