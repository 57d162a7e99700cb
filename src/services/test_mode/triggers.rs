//! The test triggers: each makes one unhappy path happen to a link now, by changing what the
//! simulator holds as Wise would and then letting wiselink find out the way production does —
//! at the link's refresh (run at once here), or from the account event Wise delivers.

use super::TestMode;
use crate::domain::LinkId;
use crate::services::links::{LinkError, LinkService};
use crate::services::wise_events::{PROFILE_VERIFICATION_CHANGE, USER_STATE_CHANGE};
use crate::wise::WiseClient;
use chrono::NaiveDate;
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use std::sync::Arc;

/// What a trigger does.
#[derive(Debug, Clone)]
pub enum Trigger {
    /// Wise ends the link's access token now; wiselink's next hand-out renews it.
    ExpireAccessToken,
    /// The customer revokes wiselink's access at Wise; the refresh run now finds out.
    RevokeGrant,
    /// The customer changes the Wise account's email, which ends every grant at Wise.
    ChangeEmail { email: Option<String> },
    /// Wise holds another date of birth for the customer; the identity check sees it.
    SwapDateOfBirth { date_of_birth: Option<NaiveDate> },
    /// The Wise user's state changes and Wise delivers `users#state-change`.
    UserState(UserChange),
    /// The profile is (re)verified or loses verification: `profiles#verification-state-change`.
    ProfileVerification { verified: bool },
}

#[derive(Debug, Clone)]
pub enum UserChange {
    Deactivate {
        deactivation_type: Option<String>,
        deactivation_reason: Option<String>,
    },
    WithdrawOnly,
    Reactivate,
}

/// The date of birth `swap-date-of-birth` gives the Wise profile unless told another.
pub const SWAPPED_DATE_OF_BIRTH: NaiveDate = NaiveDate::from_ymd_opt(1901, 1, 1).unwrap();

/// How a trigger ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Pulled {
    /// Its effects are in the link already.
    Applied,
    /// Wise is delivering an account event; its effects follow when it arrives.
    EventSent(&'static str),
}

#[derive(Debug, thiserror::Error)]
pub enum TriggerError {
    #[error(transparent)]
    Link(#[from] LinkError),
    /// The link has no Wise user yet, and none holds its email at the simulator.
    #[error("no Wise user is known for this link")]
    NoWiseUser,
    /// The link has no Wise profile yet.
    #[error("the link has no Wise profile yet")]
    NoWiseProfile,
    /// Nothing subscribes wiselink to the event, so Wise would deliver it to nobody.
    #[error("wiselink is not subscribed to {0}")]
    NotSubscribed(&'static str),
    /// wiselink does not trust the simulator's signing key, so it would refuse the event.
    #[error("wise_webhooks.public_keys does not name the simulator")]
    EventsNotTrusted,
    /// The simulator refused the change (the user is deactivated already, say).
    #[error("the simulator refused: {0}")]
    Refused(String),
    #[error("the simulator did not answer: {0}")]
    Unavailable(String),
}

pub struct Triggers {
    mode: Arc<TestMode>,
    links: Arc<LinkService>,
    wise: Arc<WiseClient>,
    /// Whether wiselink verifies the simulator's webhook signatures.
    trusts_simulator: bool,
}

impl Triggers {
    pub fn new(
        mode: Arc<TestMode>,
        links: Arc<LinkService>,
        wise: Arc<WiseClient>,
        trusts_simulator: bool,
    ) -> Self {
        Self {
            mode,
            links,
            wise,
            trusts_simulator,
        }
    }

    pub fn links(&self) -> &LinkService {
        &self.links
    }

    /// Pulls `trigger` on link `id`.
    pub async fn pull(&self, id: &LinkId, trigger: Trigger) -> Result<Pulled, TriggerError> {
        match trigger {
            Trigger::ExpireAccessToken => {
                let token = self.links.held_access_token(id).await?;
                let body = json!({"access_token": token.expose_secret()});
                self.control(reqwest::Method::POST, "/access-tokens/expire", Some(body))
                    .await?;
                self.links.expire_access_token(id).await?;
                Ok(Pulled::Applied)
            }
            Trigger::RevokeGrant => {
                let user = self.active_user(id).await?;
                self.user_action(user, "revoke", None).await?;
                self.links.refresh_now(id).await?;
                Ok(Pulled::Applied)
            }
            Trigger::ChangeEmail { email } => {
                let user = self.active_user(id).await?;
                let email = email.unwrap_or_else(|| format!("changed-{user}@example.com"));
                self.user_action(user, "change-email", Some(json!({"email": email})))
                    .await?;
                self.links.refresh_now(id).await?;
                Ok(Pulled::Applied)
            }
            Trigger::SwapDateOfBirth { date_of_birth } => {
                let user = self.wise_user(id).await?;
                let dob = date_of_birth.unwrap_or(SWAPPED_DATE_OF_BIRTH);
                let path = format!("/users/{user}/date-of-birth");
                let body = json!({"date_of_birth": dob});
                self.control(reqwest::Method::PUT, &path, Some(body))
                    .await?;
                Ok(Pulled::Applied)
            }
            Trigger::UserState(change) => {
                let user = self.wise_user(id).await?;
                self.ready_for(USER_STATE_CHANGE).await?;
                let (action, body) = match change {
                    UserChange::Deactivate {
                        deactivation_type,
                        deactivation_reason,
                    } => (
                        "deactivate",
                        Some(json!({
                            "deactivation_type": deactivation_type,
                            "deactivation_reason": deactivation_reason,
                        })),
                    ),
                    UserChange::WithdrawOnly => ("withdraw-only", None),
                    UserChange::Reactivate => ("reactivate", None),
                };
                self.user_action(user, action, body).await?;
                Ok(Pulled::EventSent(USER_STATE_CHANGE))
            }
            Trigger::ProfileVerification { verified } => {
                let link = self.links.find(id).await?;
                let profile = link.wise_profile_id.ok_or(TriggerError::NoWiseProfile)?;
                self.ready_for(PROFILE_VERIFICATION_CHANGE).await?;
                let state = if verified { "verified" } else { "not_verified" };
                let path = format!("/profiles/{}/verification", profile.get());
                let body = json!({"state": state});
                self.control(reqwest::Method::POST, &path, Some(body))
                    .await?;
                Ok(Pulled::EventSent(PROFILE_VERIFICATION_CHANGE))
            }
        }
    }

    /// The Wise user of an active link (a grant to revoke belongs to one).
    async fn active_user(&self, id: &LinkId) -> Result<i64, TriggerError> {
        self.links.held_access_token(id).await?;
        self.wise_user(id).await
    }

    /// The link's Wise user: the one it holds, or before the code is exchanged, the one holding
    /// its signup email at the simulator.
    async fn wise_user(&self, id: &LinkId) -> Result<i64, TriggerError> {
        let link = self.links.find(id).await?;
        if let Some(user) = link.wise_user_id {
            return Ok(user.get());
        }
        let url = self.mode.control_url("/users");
        let answer = self
            .mode
            .http()
            .get(url)
            .query(&[("email", link.signup_email.as_str())])
            .send()
            .await
            .map_err(|e| TriggerError::Unavailable(e.without_url().to_string()))?;
        if answer.status() == reqwest::StatusCode::NOT_FOUND {
            return Err(TriggerError::NoWiseUser);
        }
        let found = read(answer).await?;
        found["user_id"].as_i64().ok_or(TriggerError::NoWiseUser)
    }

    /// Checks that an event Wise sends will reach wiselink and be believed.
    async fn ready_for(&self, event: &'static str) -> Result<(), TriggerError> {
        if !self.trusts_simulator {
            return Err(TriggerError::EventsNotTrusted);
        }
        let subscriptions = self
            .wise
            .subscriptions()
            .await
            .map_err(|e| TriggerError::Unavailable(e.to_string()))?;
        if subscriptions.iter().any(|s| s.trigger_on == event) {
            Ok(())
        } else {
            Err(TriggerError::NotSubscribed(event))
        }
    }

    async fn user_action(
        &self,
        user: i64,
        action: &str,
        body: Option<Value>,
    ) -> Result<(), TriggerError> {
        let path = format!("/users/{user}/{action}");
        self.control(reqwest::Method::POST, &path, body).await?;
        Ok(())
    }

    async fn control(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, TriggerError> {
        let mut request = self
            .mode
            .http()
            .request(method, self.mode.control_url(path));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let answer = request
            .send()
            .await
            .map_err(|e| TriggerError::Unavailable(e.without_url().to_string()))?;
        read(answer).await
    }
}

/// A control answer's body; a refusal carries the simulator's reason.
async fn read(answer: reqwest::Response) -> Result<Value, TriggerError> {
    let status = answer.status();
    let body: Value = answer.json().await.unwrap_or(Value::Null);
    if status.is_success() {
        Ok(body)
    } else if status.is_client_error() {
        let reason = body["error"].as_str().unwrap_or("refused").to_owned();
        Err(TriggerError::Refused(reason))
    } else {
        Err(TriggerError::Unavailable(format!("status {status}")))
    }
}
