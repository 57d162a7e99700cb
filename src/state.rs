//! What the API's shared extractors and the operations routes reach through `web::Data`: the
//! database, the settings, the API-key cache, test mode and the metrics handle. Each part of the link flow
//! gets its own `web::Data` instead ([`LinkService`](crate::services::links::LinkService), the
//! per-IP limiter, the key ring).

use crate::db::Db;
use crate::services::api_keys::KeyCache;
use crate::services::test_mode::TestMode;
use crate::settings::Settings;
use metrics_exporter_prometheus::PrometheusHandle;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub settings: Arc<Settings>,
    pub metrics: PrometheusHandle,
    pub api_keys: Arc<KeyCache>,
    /// Whether test API keys work here (`wise.api_url` is the simulator).
    pub test_mode: Arc<TestMode>,
}
