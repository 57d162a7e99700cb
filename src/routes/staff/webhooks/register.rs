//! Registering an endpoint from the staff screen: the admin's password asked again, the secret
//! shown once.

use super::super::gate::{self, Admin, Confirmation, Posted};
use super::{NewSecret, Said, after, respond};
use crate::domain::PartnerEventType;
use crate::services::staff::StaffService;
use crate::services::webhooks::{NewEndpoint, Subscription, WebhookService, parse_description};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use secrecy::ExposeSecret;
use serde::Deserialize;
use std::collections::HashMap;

/// Registering an endpoint.
#[derive(Deserialize)]
pub struct NewEndpointForm {
    #[serde(default)]
    url: String,
    #[serde(default)]
    description: String,
    /// `all`, or `chosen` with the types ticked (each a field `event:<type>`).
    #[serde(default)]
    scope: String,
    #[serde(default)]
    your_password: String,
    #[serde(flatten)]
    ticked: HashMap<String, String>,
}

impl NewEndpointForm {
    /// The event types ticked, in the order the page lists them.
    fn events(&self) -> Vec<String> {
        PartnerEventType::ALL
            .into_iter()
            .map(PartnerEventType::as_str)
            .filter(|t| self.ticked.contains_key(&format!("event:{t}")))
            .map(str::to_owned)
            .collect()
    }
}

pub async fn register(
    posted: Posted<Admin, NewEndpointForm>,
    staff: web::Data<StaffService>,
    webhooks: web::Data<WebhookService>,
) -> HttpResponse {
    let Posted { session, form, .. } = posted;
    // Registering sends customer references and link states to a new address: the admin's
    // password is asked again, as for a new API key.
    match gate::confirm_password(&staff, &session, Some(&form.your_password), "registered").await {
        Confirmation::Confirmed => {}
        Confirmation::Refused(status, message) => {
            let said = Said {
                error: Some(message),
                ..Said::default()
            };
            return respond(&session, &webhooks, status, said).await;
        }
        Confirmation::Answered(response) => return response,
    }
    let events = if form.scope == "all" {
        Ok(Subscription::All)
    } else {
        Subscription::parse(&form.events())
    };
    let (events, description) = match (events, parse_description(&form.description)) {
        (Ok(events), Ok(description)) => (events, description),
        (Err(invalid), _) | (_, Err(invalid)) => {
            let said = Said {
                error: Some(format!("Not registered: {}.", invalid.message)),
                ..Said::default()
            };
            return respond(&session, &webhooks, StatusCode::UNPROCESSABLE_ENTITY, said).await;
        }
    };
    let new = NewEndpoint {
        url: form.url.trim().to_owned(),
        events,
        description,
    };
    match webhooks.create(new, &session.actor()).await {
        Ok((row, secret)) => {
            let said = Said {
                notice: Some(format!("Registered {}.", row.url)),
                new_secret: Some(NewSecret {
                    id: row.id,
                    secret: secret.expose_secret().to_owned(),
                }),
                ..Said::default()
            };
            respond(&session, &webhooks, StatusCode::OK, said).await
        }
        Err(e) => after(&session, &webhooks, Err(e)).await,
    }
}
