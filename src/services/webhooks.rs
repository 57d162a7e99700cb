//! The partner's webhook endpoints, the event feed and the delivery log: what the API and the
//! staff screen do with them. Deliveries themselves are the worker's ([`crate::workers::webhooks`]).

mod input;
mod secrets;
pub mod target;
mod trail;

pub use input::{
    EndpointEdit, MAX_DESCRIPTION_CHARS, NewEndpoint, Subscription, parse_description,
};
use secrets::aad;
pub use secrets::{event_json, reseal, secrets};
use trail::audit;

use crate::audit::SigningKeys;
use crate::clock::SharedClock;
use crate::crypto::{KeyRing, WebhookSecret};
use crate::db::webhooks::{
    self as store, DeliveryFilter, EndpointChanges, EndpointRow, EventRow, Resend,
};
use crate::db::{Db, DbError};
use crate::domain::{EndpointId, Invalid};
use crate::settings::WebhookSettings;
use chrono::{Duration, NaiveDateTime};
use secrecy::{ExposeSecret, SecretString};
use std::sync::Arc;
use target::TargetPolicy;
use tokio::sync::Notify;

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("no such webhook endpoint")]
    EndpointNotFound,
    #[error("no such event")]
    EventNotFound,
    /// The URL is not one webhooks may go to.
    #[error("{}", .0.message)]
    Url(Invalid),
    #[error(transparent)]
    Db(#[from] DbError),
}

pub struct WebhookService {
    db: Db,
    keys: Arc<KeyRing>,
    /// Seals the staff audit rows of endpoint changes.
    audit: Arc<SigningKeys>,
    clock: SharedClock,
    settings: WebhookSettings,
    policy: TargetPolicy,
    /// Wakes the delivery worker (a resend, an endpoint enabled).
    wake: Arc<Notify>,
}

impl WebhookService {
    pub fn new(
        db: Db,
        keys: Arc<KeyRing>,
        audit: Arc<SigningKeys>,
        clock: SharedClock,
        settings: WebhookSettings,
        wake: Arc<Notify>,
    ) -> Self {
        let mut policy = TargetPolicy::new(settings.production, &settings.allowed_hosts);
        if let Some(server) = settings.dns_server.as_deref().and_then(|s| s.parse().ok()) {
            policy = policy.with_dns_server(server);
        }
        Self {
            db,
            keys,
            audit,
            clock,
            settings,
            policy,
            wake,
        }
    }

    pub fn policy(&self) -> &TargetPolicy {
        &self.policy
    }

    pub fn settings(&self) -> &WebhookSettings {
        &self.settings
    }

    pub fn now(&self) -> NaiveDateTime {
        self.clock.now()
    }

    /// Registers an endpoint. Returns it with its secret, which is shown this once.
    pub async fn create(
        &self,
        new: NewEndpoint,
        actor: &str,
    ) -> Result<(EndpointRow, SecretString), WebhookError> {
        let seals = self.audit.clone();
        let url = self
            .policy
            .check(&new.url)
            .await
            .map_err(WebhookError::Url)?;
        let id = EndpointId::generate();
        let secret = WebhookSecret::generate().text();
        let now = self.clock.now();
        let row = EndpointRow {
            secret: self.keys.seal(secret.expose_secret().as_bytes(), aad(&id)),
            id,
            url: url.to_string(),
            description: new.description,
            event_types: new.events.column(),
            previous_secret: None,
            previous_secret_until: None,
            enabled: true,
            disabled_reason: None,
            failing_since: None,
            created_at: now,
            updated_at: now,
        };
        let stored = row.clone();
        let actor = actor.to_owned();
        self.db
            .run(move |c| {
                c.write_transaction(|c| {
                    store::insert_endpoint(c, &stored)?;
                    audit(
                        c,
                        &seals,
                        &stored.id,
                        "webhook_endpoint_registered",
                        &actor,
                        now,
                    )
                })
            })
            .await?;
        tracing::info!(webhook.endpoint = %row.id, "webhook endpoint registered");
        Ok((row, secret))
    }

    pub async fn list(&self) -> Result<Vec<EndpointRow>, WebhookError> {
        Ok(self.db.run(store::endpoints).await?)
    }

    pub async fn get(&self, id: &str) -> Result<EndpointRow, WebhookError> {
        if !EndpointId::is_valid(id) {
            return Err(WebhookError::EndpointNotFound);
        }
        let id = id.to_owned();
        self.db
            .run(move |c| store::endpoint(c, &id))
            .await?
            .ok_or(WebhookError::EndpointNotFound)
    }

    /// Changes an endpoint. Enabling one (by the partner or an admin) clears why it was disabled
    /// and its failing streak; disabling one records that the partner did.
    pub async fn edit(
        &self,
        id: &str,
        edit: EndpointEdit,
        actor: &str,
    ) -> Result<EndpointRow, WebhookError> {
        self.get(id).await?;
        let url = match &edit.url {
            Some(raw) => Some(
                self.policy
                    .check(raw)
                    .await
                    .map_err(WebhookError::Url)?
                    .to_string(),
            ),
            None => None,
        };
        let mut changes = EndpointChanges {
            url,
            description: edit.description,
            event_types: edit.events.as_ref().map(Subscription::column),
            ..EndpointChanges::default()
        };
        match edit.enabled {
            Some(true) => {
                changes.enabled = Some(true);
                changes.disabled_reason = Some(None);
                changes.failing_since = Some(None);
            }
            Some(false) => {
                changes.enabled = Some(false);
                changes.disabled_reason = Some(Some("partner".to_owned()));
            }
            None => {}
        }
        let now = self.clock.now();
        let id = id.to_owned();
        let event = match edit.enabled {
            Some(true) => "webhook_endpoint_enabled",
            Some(false) => "webhook_endpoint_disabled",
            None => "webhook_endpoint_changed",
        };
        let actor = actor.to_owned();
        let seals = self.audit.clone();
        let row = self
            .db
            .run(move |c| {
                c.write_transaction(|c| {
                    let row = store::update_endpoint(c, &id, &changes, now)?;
                    if row.is_some() {
                        audit(c, &seals, &id, event, &actor, now)?;
                    }
                    Ok::<_, DbError>(row)
                })
            })
            .await?
            .ok_or(WebhookError::EndpointNotFound)?;
        if edit.enabled == Some(true) {
            self.wake.notify_one();
        }
        Ok(row)
    }

    pub async fn delete(&self, id: &str, actor: &str) -> Result<(), WebhookError> {
        if !EndpointId::is_valid(id) {
            return Err(WebhookError::EndpointNotFound);
        }
        let (id, actor, now) = (id.to_owned(), actor.to_owned(), self.clock.now());
        let seals = self.audit.clone();
        let existed = self
            .db
            .run(move |c| {
                c.write_transaction(|c| {
                    let existed = store::delete_endpoint(c, &id)?;
                    if existed {
                        audit(c, &seals, &id, "webhook_endpoint_deleted", &actor, now)?;
                    }
                    Ok::<_, DbError>(existed)
                })
            })
            .await?;
        if existed {
            Ok(())
        } else {
            Err(WebhookError::EndpointNotFound)
        }
    }

    /// A new secret for the endpoint, shown this once. The one it replaces keeps signing beside
    /// it for `overlap` (the configured overlap when `None`; zero ends it at once).
    pub async fn rotate_secret(
        &self,
        id: &str,
        overlap: Option<u32>,
        actor: &str,
    ) -> Result<(EndpointRow, SecretString), WebhookError> {
        let current = self.get(id).await?;
        let overlap = overlap.unwrap_or(self.settings.rotation_overlap_secs);
        let secret = WebhookSecret::generate().text();
        let now = self.clock.now();
        let keep_previous = overlap > 0;
        let changes = EndpointChanges {
            secret: Some(
                self.keys
                    .seal(secret.expose_secret().as_bytes(), aad(&current.id)),
            ),
            previous_secret: Some(keep_previous.then(|| current.secret.clone())),
            previous_secret_until: Some(
                keep_previous.then(|| now + Duration::seconds(overlap.into())),
            ),
            ..EndpointChanges::default()
        };
        let id = current.id.clone();
        let actor = actor.to_owned();
        let seals = self.audit.clone();
        let row = self
            .db
            .run(move |c| {
                c.write_transaction(|c| {
                    let row = store::update_endpoint(c, &id, &changes, now)?;
                    audit(c, &seals, &id, "webhook_secret_rotated", &actor, now)?;
                    Ok::<_, DbError>(row)
                })
            })
            .await?
            .ok_or(WebhookError::EndpointNotFound)?;
        tracing::info!(webhook.endpoint = %row.id, overlap_secs = overlap, "webhook secret rotated");
        Ok((row, secret))
    }

    /// The secrets that sign a delivery to `endpoint` at `now`: the current one, and the previous
    /// one while its overlap lasts.
    pub fn signing_secrets(
        &self,
        endpoint: &EndpointRow,
        now: NaiveDateTime,
    ) -> anyhow::Result<Vec<WebhookSecret>> {
        secrets(&self.keys, endpoint, now)
    }

    /// The event feed after `after` (a feed position), up to `limit` events.
    pub async fn feed(&self, after: i64, limit: i64) -> Result<Vec<EventRow>, WebhookError> {
        Ok(self.db.run(move |c| store::feed(c, after, limit)).await?)
    }

    pub async fn deliveries(
        &self,
        filter: DeliveryFilter,
    ) -> Result<Vec<(store::DeliveryRow, Vec<store::AttemptRow>)>, WebhookError> {
        Ok(self.db.run(move |c| store::deliveries(c, &filter)).await?)
    }

    /// What the metrics show of delivery.
    pub async fn backlog(&self) -> Result<store::Backlog, WebhookError> {
        Ok(self.db.run(store::backlog).await?)
    }

    /// Sends events to an endpoint again. Returns how many deliveries were queued.
    pub async fn resend(
        &self,
        endpoint_id: &str,
        what: Resend,
        actor: &str,
    ) -> Result<usize, WebhookError> {
        let endpoint = self.get(endpoint_id).await?;
        let (now, actor) = (self.clock.now(), actor.to_owned());
        let seals = self.audit.clone();
        let queued = self
            .db
            .run(move |c| {
                let queued = store::resend(c, &endpoint.id, &what, now)?;
                if queued.is_some() {
                    audit(c, &seals, &endpoint.id, "webhook_resent", &actor, now)?;
                }
                Ok::<_, DbError>(queued)
            })
            .await?
            .ok_or(WebhookError::EventNotFound)?;
        if queued > 0 {
            self.wake.notify_one();
        }
        Ok(queued)
    }
}
