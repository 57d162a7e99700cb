use crate::http::metrics;
use crate::state::AppState;
use actix_web::{HttpResponse, web};

/// Prometheus exposition text.
#[utoipa::path(get, path = "/metrics", tag = "operations", responses((status = 200, content_type = "text/plain", body = String)))]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let db = state.db.clone();
    let handle = state.metrics.clone();
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(metrics::render(&handle, &db))
}
