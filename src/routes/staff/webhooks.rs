//! `/staff/webhooks` (admins): the partner's webhook endpoints — register one (its secret shown
//! once), disable, enable, delete, send failed events again — and the recent deliveries with
//! every attempt. The same operations as `/v1/webhook-endpoints`, recorded with the admin's name.

mod register;

pub use register::register;

use super::gate::{Admin, Posted, Signed};
use super::pages::{self, Chrome, Page};
use crate::db::webhooks::{DeliveryFilter, Resend};
use crate::domain::{EndpointId, PartnerEventType};
use crate::services::staff::StaffSession;
use crate::services::webhooks::{EndpointEdit, WebhookError, WebhookService};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::{NaiveDate, NaiveTime};
use serde::Deserialize;
use std::collections::HashMap;

/// Deliveries shown on the page.
const RECENT: i64 = 25;

struct EndpointLine {
    id: String,
    url: String,
    description: String,
    events: String,
    status: String,
    enabled: bool,
}

struct AttemptLine {
    at: String,
    outcome: String,
    latency_ms: i32,
}

struct DeliveryLine {
    endpoint: String,
    event_type: String,
    event_id: String,
    link_id: String,
    status: String,
    attempts: Vec<AttemptLine>,
}

struct NewSecret {
    id: String,
    secret: String,
}

#[derive(Template)]
#[template(path = "staff/webhooks.html")]
struct WebhooksPage {
    chrome: Option<Chrome>,
    error: Option<String>,
    notice: Option<String>,
    csrf: String,
    endpoints: Vec<EndpointLine>,
    deliveries: Vec<DeliveryLine>,
    /// The endpoint the deliveries are filtered to, if any.
    only: Option<String>,
    event_types: Vec<&'static str>,
    new_secret: Option<NewSecret>,
}

/// What the page shows besides the lists.
#[derive(Default)]
struct Said {
    error: Option<String>,
    notice: Option<String>,
    new_secret: Option<NewSecret>,
    only: Option<String>,
}

async fn respond(
    session: &StaffSession,
    webhooks: &WebhookService,
    status: StatusCode,
    said: Said,
) -> HttpResponse {
    let built = async {
        let endpoints = webhooks.list().await?;
        let deliveries = webhooks
            .deliveries(DeliveryFilter {
                endpoint_id: said.only.clone(),
                limit: RECENT,
                ..DeliveryFilter::default()
            })
            .await?;
        let urls: HashMap<&str, &str> = endpoints
            .iter()
            .map(|e| (e.id.as_str(), e.url.as_str()))
            .collect();
        let deliveries = deliveries
            .into_iter()
            .map(|(d, attempts)| DeliveryLine {
                endpoint: urls
                    .get(d.endpoint_id.as_str())
                    .map_or(d.endpoint_id.clone(), |u| (*u).to_owned()),
                event_type: d.event_type,
                event_id: d.event_id,
                link_id: d.link_id,
                status: d.status,
                attempts: attempts
                    .into_iter()
                    .map(|a| AttemptLine {
                        at: pages::at(a.attempted_at),
                        outcome: match (a.status_code, a.error) {
                            (Some(code), None) => code.to_string(),
                            (Some(code), Some(e)) => format!("{code} ({e})"),
                            (None, Some(e)) => e,
                            (None, None) => "no answer".to_owned(),
                        },
                        latency_ms: a.latency_ms,
                    })
                    .collect(),
            })
            .collect();
        let endpoints = endpoints
            .into_iter()
            .map(|e| EndpointLine {
                status: match (e.enabled, e.disabled_reason.as_deref(), e.failing_since) {
                    (true, _, Some(since)) => format!("failing since {}", pages::at(since)),
                    (true, _, None) => "enabled".to_owned(),
                    (false, Some("failing"), _) => "disabled: every attempt failed".to_owned(),
                    (false, _, _) => "disabled".to_owned(),
                },
                enabled: e.enabled,
                events: if e.event_types == "*" {
                    "all events".to_owned()
                } else {
                    e.event_types.replace(' ', ", ")
                },
                description: e.description.unwrap_or_default(),
                url: e.url,
                id: e.id,
            })
            .collect();
        Ok::<_, WebhookError>(WebhooksPage {
            chrome: Some(Page::chrome(session)),
            error: said.error,
            notice: said.notice,
            csrf: session.csrf_token.clone(),
            endpoints,
            deliveries,
            only: said.only,
            event_types: PartnerEventType::ALL.map(PartnerEventType::as_str).to_vec(),
            new_secret: said.new_secret,
        })
    };
    match built.await {
        Ok(page) => pages::render(status, &page),
        Err(e) => {
            tracing::error!(error = %e, "webhooks page could not be built");
            pages::unavailable()
        }
    }
}

#[derive(Deserialize)]
pub struct Filter {
    endpoint: Option<String>,
}

pub async fn show(
    signed: Signed<Admin>,
    query: web::Query<Filter>,
    webhooks: web::Data<WebhookService>,
) -> HttpResponse {
    let only = query
        .into_inner()
        .endpoint
        .filter(|id| EndpointId::is_valid(id));
    let said = Said {
        only,
        ..Said::default()
    };
    respond(&signed.session, &webhooks, StatusCode::OK, said).await
}

/// The page after a change: the notice, or what was wrong.
async fn after(
    session: &StaffSession,
    webhooks: &WebhookService,
    result: Result<String, WebhookError>,
) -> HttpResponse {
    let (status, message) = match result {
        Ok(notice) => {
            let said = Said {
                notice: Some(notice),
                ..Said::default()
            };
            return respond(session, webhooks, StatusCode::OK, said).await;
        }
        Err(WebhookError::Url(invalid)) => (StatusCode::UNPROCESSABLE_ENTITY, invalid.message),
        Err(e @ (WebhookError::EndpointNotFound | WebhookError::EventNotFound)) => {
            (StatusCode::NOT_FOUND, e.to_string())
        }
        Err(WebhookError::Db(e)) => {
            tracing::error!(error = %e, "webhook change failed");
            return pages::unavailable();
        }
    };
    let said = Said {
        error: Some(format!("Not changed: {message}.")),
        ..Said::default()
    };
    respond(session, webhooks, status, said).await
}

/// What an admin can do to an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    Disable,
    Enable,
    Delete,
    Resend,
}

impl Change {
    fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "disable" => Self::Disable,
            "enable" => Self::Enable,
            "delete" => Self::Delete,
            "resend" => Self::Resend,
            _ => return None,
        })
    }
}

/// Sending failed events again: those created on or after `since` (a date).
#[derive(Deserialize)]
pub struct ChangeForm {
    #[serde(default)]
    since: String,
}

pub async fn change(
    posted: Posted<Admin, ChangeForm>,
    path: web::Path<(String, String)>,
    webhooks: web::Data<WebhookService>,
) -> HttpResponse {
    let Posted { session, form, .. } = posted;
    let (id, raw_change) = path.into_inner();
    let Some(change) = Change::parse(&raw_change) else {
        return pages::not_found(Some(Page::chrome(&session)));
    };
    let actor = session.actor();
    let enable = |on: bool| EndpointEdit {
        enabled: Some(on),
        ..EndpointEdit::default()
    };
    let result = match change {
        Change::Disable => webhooks
            .edit(&id, enable(false), &actor)
            .await
            .map(|e| format!("Disabled {}: nothing is sent to it.", e.url)),
        Change::Enable => webhooks
            .edit(&id, enable(true), &actor)
            .await
            .map(|e| format!("Enabled {}: what is pending goes out now.", e.url)),
        Change::Delete => webhooks
            .delete(&id, &actor)
            .await
            .map(|()| "Deleted the endpoint and its delivery log.".to_owned()),
        Change::Resend => {
            let Ok(day) = NaiveDate::parse_from_str(form.since.trim(), "%Y-%m-%d") else {
                let said = Said {
                    error: Some("Not sent: give the first day as YYYY-MM-DD.".to_owned()),
                    ..Said::default()
                };
                return respond(&session, &webhooks, StatusCode::UNPROCESSABLE_ENTITY, said).await;
            };
            let since = day.and_time(NaiveTime::MIN);
            webhooks
                .resend(&id, Resend::FailedSince(since), &actor)
                .await
                .map(|n| format!("Queued {n} failed deliveries again."))
        }
    };
    after(&session, &webhooks, result).await
}
