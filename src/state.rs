//! What every request handler can reach, shared through `web::Data`.

use crate::crypto::KeyRing;
use crate::db::Db;
use crate::http::rate_limit::IpLimiter;
use crate::mail::Mailer;
use crate::services::api_keys::KeyCache;
use crate::settings::Settings;
use crate::wise::WiseClient;
use lettre::message::Mailbox;
use metrics_exporter_prometheus::PrometheusHandle;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub settings: Arc<Settings>,
    pub metrics: PrometheusHandle,
    pub api_keys: Arc<KeyCache>,
    pub wise: Arc<WiseClient>,
    pub keys: Arc<KeyRing>,
    /// Serialises on-demand token refreshes in this process.
    pub refresh_lock: Arc<tokio::sync::Mutex<()>>,
    pub mailer: Arc<Mailer>,
    /// `mail.from`, parsed.
    pub mail_from: Mailbox,
    /// Wakes the outbox relay when a message is queued.
    pub outbox_wake: Arc<tokio::sync::Notify>,
    /// Code submissions per client IP (link-session callers).
    pub ip_limiter: Arc<IpLimiter>,
}
