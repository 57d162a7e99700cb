use crate::crypto::KeyRing;
use crate::http::Problem;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Serialize;
use std::time::Duration;
use utoipa::ToSchema;

const READY_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    status: &'static str,
}

#[derive(Serialize, ToSchema)]
pub struct Readiness {
    #[schema(example = "ready")]
    status: &'static str,
    /// The database backend in use: `sqlite` or `postgres`.
    database: &'static str,
}

/// Liveness: the process is up and serving HTTP. Touches nothing else.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, body = Health)))]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok" })
}

/// Readiness: the HSM (when `crypto.keys` are in its custody) still opens them, and the database
/// answers within two seconds.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "operations",
    responses(
        (status = 200, body = Readiness),
        (status = 503, description = "The HSM does not open crypto.keys, or the database does not answer"),
    )
)]
pub async fn readyz(state: web::Data<AppState>, keys: web::Data<KeyRing>) -> HttpResponse {
    if let Some(reason) = keys.custody().lost() {
        return Problem::new(StatusCode::SERVICE_UNAVAILABLE, "not_ready", "Not ready")
            .detail(format!("The HSM does not open crypto.keys: {reason}"))
            .retry_after(5)
            .response();
    }
    match tokio::time::timeout(READY_TIMEOUT, state.db.ping()).await {
        Ok(Ok(())) => HttpResponse::Ok().json(Readiness {
            status: "ready",
            database: state.db.backend().name(),
        }),
        outcome => {
            let reason = match outcome {
                Ok(Err(e)) => e.to_string(),
                _ => "timed out".to_owned(),
            };
            tracing::warn!(reason = %reason, "readiness check failed");
            Problem::new(StatusCode::SERVICE_UNAVAILABLE, "not_ready", "Not ready")
                .detail("The database is not answering.")
                .retry_after(5)
                .response()
        }
    }
}
