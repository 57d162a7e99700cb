//! Users: reads, signup, the existence check, claim account and the authorize URL.

use super::decode;
use crate::client::{Auth, Body, Request, Retry};
use crate::types::{CreateUserOutcome, CreatedUser, User};
use crate::{WiseClient, WiseError};
use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

impl WiseClient {
    pub(super) async fn get<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        path: String,
        token: &SecretString,
    ) -> Result<T, WiseError> {
        let answer = self
            .execute(Request {
                operation,
                method: Method::GET,
                path,
                auth: Auth::Bearer(token.clone()),
                body: Body::Empty,
                retry: Retry::Safe,
            })
            .await?;
        decode(operation, &answer)
    }

    /// `POST /v1/user/signup/registration_code`. A 409 `NOT_UNIQUE` is the typed
    /// [`CreateUserOutcome::AlreadyExists`], not an error. Retried only when Wise cannot have
    /// processed it (a retry after a lost answer would see our own new user as a conflict).
    pub async fn create_user(
        &self,
        email: &str,
        registration_code: &SecretString,
        language: &str,
        send_code_email: bool,
    ) -> Result<CreateUserOutcome, WiseError> {
        let body = json!({
            "email": email,
            "registrationCode": registration_code.expose_secret(),
            "language": language,
            "sendAuthorizationCodeAsEmail": send_code_email,
        });
        let result = self
            .with_client_token(|token| Request {
                operation: "create_user",
                method: Method::POST,
                path: "/v1/user/signup/registration_code".into(),
                auth: Auth::Bearer(token),
                body: Body::Json(body.clone()),
                retry: Retry::IfNotProcessed,
            })
            .await;
        match result {
            Ok(answer) => {
                let user: User = decode("create_user", &answer)?;
                Ok(CreateUserOutcome::Created(CreatedUser {
                    id: user.id,
                    trace_id: answer.trace_id,
                }))
            }
            Err(WiseError::Api(e)) if e.status == 409 && e.body.item("NOT_UNIQUE").is_some() => {
                Ok(CreateUserOutcome::AlreadyExists {
                    trace_id: e.trace_id,
                })
            }
            Err(e) => Err(e),
        }
    }

    /// `POST /v1/users/exists`.
    pub async fn user_exists(&self, email: &str) -> Result<bool, WiseError> {
        let body = json!({ "email": email });
        let answer = self
            .with_client_token(|token| Request {
                operation: "user_exists",
                method: Method::POST,
                path: "/v1/users/exists".into(),
                auth: Auth::Bearer(token),
                body: Body::Json(body.clone()),
                retry: Retry::Safe,
            })
            .await?;
        let v: Value = decode("user_exists", &answer)?;
        v.get("exists")
            .and_then(Value::as_bool)
            .ok_or_else(|| WiseError::Decode {
                operation: "user_exists",
                reason: "no boolean `exists`".into(),
                trace_id: answer.trace_id,
            })
    }

    /// `GET /v1/me`.
    pub async fn me(&self, access_token: &SecretString) -> Result<User, WiseError> {
        self.get("me", "/v1/me".into(), access_token).await
    }

    /// `GET /v1/users/{id}`.
    pub async fn user(&self, access_token: &SecretString, user_id: i64) -> Result<User, WiseError> {
        self.get("get_user", format!("/v1/users/{user_id}"), access_token)
            .await
    }

    /// `POST /v1/user/claim-account`: a 5-minute code for the authorization page.
    pub async fn claim_account_code(
        &self,
        access_token: &SecretString,
        registration_code: &SecretString,
    ) -> Result<SecretString, WiseError> {
        let answer = self
            .execute(Request {
                operation: "claim_account",
                method: Method::POST,
                path: "/v1/user/claim-account".into(),
                auth: Auth::Bearer(access_token.clone()),
                body: Body::Json(json!({ "registrationCode": registration_code.expose_secret() })),
                retry: Retry::Safe,
            })
            .await?;
        let v: Value = decode("claim_account", &answer)?;
        v.get("claimAccountCode")
            .and_then(Value::as_str)
            .map(|c| SecretString::from(c.to_owned()))
            .ok_or_else(|| WiseError::Decode {
                operation: "claim_account",
                reason: "no claimAccountCode".into(),
                trace_id: answer.trace_id,
            })
    }

    /// The authorization page URL: `client_id`, the exact `redirect_uri`, `state`, and the claim
    /// code for partner-created users only.
    pub fn authorize_url(
        &self,
        state: &SecretString,
        claim_account_code: Option<&SecretString>,
    ) -> Result<url::Url, WiseError> {
        let mut url = url::Url::parse(&self.settings.authorize_url)
            .map_err(|e| WiseError::Config(e.to_string()))?;
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("client_id", &self.settings.client_id)
                .append_pair("redirect_uri", &self.settings.redirect_uri)
                .append_pair("state", state.expose_secret());
            if let Some(code) = claim_account_code {
                q.append_pair("claim_account_code", code.expose_secret());
            }
        }
        Ok(url)
    }
}
