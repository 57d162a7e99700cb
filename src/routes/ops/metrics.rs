use crate::http::metrics as exposition;
use crate::services::links::LinkService;
use crate::services::webhooks::WebhookService;
use crate::state::AppState;
use actix_web::{HttpResponse, web};

/// Prometheus exposition text.
#[utoipa::path(get, path = "/metrics", tag = "operations", responses((status = 200, content_type = "text/plain", body = String)))]
pub async fn metrics(
    state: web::Data<AppState>,
    links: web::Data<LinkService>,
    webhooks: web::Data<WebhookService>,
) -> HttpResponse {
    // The review queue, read at each scrape: links per queue state and the longest wait.
    match links.queue_depth().await {
        Ok((counts, oldest)) => {
            for (queue_state, n) in counts {
                ::metrics::gauge!("wiselink_review_queue_links", "state" => queue_state.as_str())
                    .set(n as f64);
            }
            let waited = oldest
                .map(|t| (links.clock().now() - t).num_seconds().max(0) as f64)
                .unwrap_or(0.0);
            ::metrics::gauge!("wiselink_review_oldest_waiting_seconds").set(waited);
        }
        Err(e) => tracing::warn!(error = %e, "review queue depth not read for metrics"),
    }
    // Links per state, and whether the refresher keeps up: the oldest access token still in use
    // (seconds until the earliest expiry among active links; it should stay above
    // tokens.hand_out_margin_secs) and the links flagged refresh_failing.
    match links.token_health().await {
        Ok(health) => {
            // Every (state, reason) a link can be in is set, to zero when no link is, so the
            // series add up to the total after links move on.
            for link_state in crate::domain::LinkState::ALL {
                for reason in crate::domain::reasons_into(link_state) {
                    let n = health
                        .by_state
                        .iter()
                        .find(|(s, r, _)| s == link_state.as_str() && r.as_deref() == Some(reason))
                        .map_or(0, |(_, _, n)| *n);
                    ::metrics::gauge!("wiselink_links", "state" => link_state.as_str(), "reason" => reason)
                        .set(n as f64);
                }
            }
            if let Some(t) = health.earliest_expiry {
                let left = (t - links.clock().now()).num_seconds() as f64;
                ::metrics::gauge!("wiselink_access_token_earliest_expiry_seconds").set(left);
            }
            ::metrics::gauge!("wiselink_links_refresh_failing").set(health.failing as f64);
        }
        Err(e) => tracing::warn!(error = %e, "token upkeep not read for metrics"),
    }
    // Webhook delivery: how long the oldest undelivered event has waited, and endpoints disabled.
    match webhooks.backlog().await {
        Ok(backlog) => {
            let waited = backlog
                .oldest_pending
                .map(|t| (webhooks.now() - t).num_seconds().max(0) as f64)
                .unwrap_or(0.0);
            ::metrics::gauge!("wiselink_webhook_oldest_undelivered_seconds").set(waited);
            ::metrics::gauge!("wiselink_webhook_endpoints_disabled")
                .set(backlog.disabled_endpoints as f64);
        }
        Err(e) => tracing::warn!(error = %e, "webhook backlog not read for metrics"),
    }
    // Email: how long the oldest message still to be sent has waited.
    match state.db.run(crate::db::outbox::oldest_unsent).await {
        Ok(oldest) => {
            let waited = oldest
                .map(|t| (links.clock().now() - t).num_seconds().max(0) as f64)
                .unwrap_or(0.0);
            ::metrics::gauge!("wiselink_email_oldest_unsent_seconds").set(waited);
        }
        Err(e) => tracing::warn!(error = %e, "email backlog not read for metrics"),
    }
    // The audit chain: rows still waiting for the sealer (a count that keeps rising means the
    // sealer is stuck; `wiselink_audit_chained_total` counts what it chained).
    match state.db.run(crate::db::audit::pending_count).await {
        Ok(n) => ::metrics::gauge!("wiselink_audit_unsealed_rows").set(n as f64),
        Err(e) => tracing::warn!(error = %e, "audit queue not read for metrics"),
    }
    let db = state.db.clone();
    let handle = state.metrics.clone();
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(exposition::render(&handle, &db))
}
