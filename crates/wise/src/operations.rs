//! One method per Wise operation wiselink uses, by area.

mod profiles;
mod subscriptions;
mod tokens;
mod users;

pub use subscriptions::{Subscription, SubscriptionDelivery};

use super::WiseError;
use super::client::Answer;
use secrecy::SecretString;
use serde::de::DeserializeOwned;

fn secret(s: &str) -> SecretString {
    SecretString::from(s.to_owned())
}

fn decode<T: DeserializeOwned>(operation: &'static str, answer: &Answer) -> Result<T, WiseError> {
    serde_json::from_slice(&answer.body).map_err(|e| WiseError::Decode {
        operation,
        reason: e.to_string(),
        trace_id: answer.trace_id.clone(),
    })
}
