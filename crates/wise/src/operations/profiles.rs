//! Profiles, as the identity check reads them.

use crate::types::Profile;
use crate::{WiseClient, WiseError};
use secrecy::SecretString;
use serde_json::Value;

impl WiseClient {
    /// `GET /v2/profiles`.
    pub async fn profiles(&self, access_token: &SecretString) -> Result<Vec<Profile>, WiseError> {
        let list: Vec<Value> = self
            .get("list_profiles", "/v2/profiles".into(), access_token)
            .await?;
        list.iter()
            .map(Profile::from_json)
            .collect::<Result<_, _>>()
            .map_err(|reason| WiseError::Decode {
                operation: "list_profiles",
                reason,
                trace_id: None,
            })
    }

    /// `GET /v2/profiles/{id}`.
    pub async fn profile(
        &self,
        access_token: &SecretString,
        profile_id: i64,
    ) -> Result<Profile, WiseError> {
        let v: Value = self
            .get(
                "get_profile",
                format!("/v2/profiles/{profile_id}"),
                access_token,
            )
            .await?;
        Profile::from_json(&v).map_err(|reason| WiseError::Decode {
            operation: "get_profile",
            reason,
            trace_id: None,
        })
    }
}
