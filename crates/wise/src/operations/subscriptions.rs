//! Application webhook subscriptions: `/v3/applications/{clientKey}/subscriptions`, with the
//! client-credentials token (`ref/wise-api.md` §11).

use super::decode;
use crate::client::{Auth, Body, Request, Retry};
use crate::{WiseClient, WiseError};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// One subscription, as Wise lists it.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Subscription {
    pub id: String,
    pub name: String,
    pub trigger_on: String,
    pub delivery: SubscriptionDelivery,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct SubscriptionDelivery {
    pub version: String,
    pub url: String,
}

impl WiseClient {
    fn subscriptions_path(&self) -> String {
        format!("/v3/applications/{}/subscriptions", self.settings.client_id)
    }

    /// Every subscription of this application.
    pub async fn subscriptions(&self) -> Result<Vec<Subscription>, WiseError> {
        let path = self.subscriptions_path();
        let answer = self
            .with_client_token(|token| Request {
                operation: "list_subscriptions",
                method: Method::GET,
                path: path.clone(),
                auth: Auth::Bearer(token),
                body: Body::Empty,
                retry: Retry::Safe,
            })
            .await?;
        decode("list_subscriptions", &answer)
    }

    /// Subscribes `url` to `trigger_on` (schema version 2.0.0).
    pub async fn subscribe(
        &self,
        name: &str,
        trigger_on: &str,
        url: &str,
    ) -> Result<Subscription, WiseError> {
        let path = self.subscriptions_path();
        let body = json!({
            "name": name,
            "trigger_on": trigger_on,
            "delivery": {"version": "2.0.0", "url": url},
        });
        let answer = self
            .with_client_token(|token| Request {
                operation: "create_subscription",
                method: Method::POST,
                path: path.clone(),
                auth: Auth::Bearer(token),
                body: Body::Json(body.clone()),
                retry: Retry::IfNotProcessed,
            })
            .await?;
        decode("create_subscription", &answer)
    }

    /// Deletes one subscription.
    pub async fn unsubscribe(&self, id: &str) -> Result<(), WiseError> {
        let path = format!("{}/{id}", self.subscriptions_path());
        self.with_client_token(|token| Request {
            operation: "delete_subscription",
            method: Method::DELETE,
            path: path.clone(),
            auth: Auth::Bearer(token),
            body: Body::Empty,
            retry: Retry::Safe,
        })
        .await?;
        Ok(())
    }
}
