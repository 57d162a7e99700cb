//! What every request handler can reach, shared through `web::Data`.

use crate::db::Db;
use crate::services::api_keys::KeyCache;
use crate::settings::Settings;
use metrics_exporter_prometheus::PrometheusHandle;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub settings: Arc<Settings>,
    pub metrics: PrometheusHandle,
    pub api_keys: Arc<KeyCache>,
}
