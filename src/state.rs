//! What every request handler can reach, shared through `web::Data`.

use crate::crypto::KeyRing;
use crate::db::Db;
use crate::services::api_keys::KeyCache;
use crate::settings::Settings;
use crate::wise::WiseClient;
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
}
