//! One method per Wise operation wiselink uses.

use super::client::{Answer, Auth, Body, CachedToken, Request, Retry};
use super::types::{CreateUserOutcome, CreatedUser, Profile, TokenResponse, User, UserTokens};
use super::{WiseClient, WiseError};
use chrono::Utc;
use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

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

impl WiseClient {
    /// A client-credentials token, cached until `wise.token_refresh_margin_secs` before it expires.
    /// Concurrent callers wait for one fetch rather than each fetching.
    pub async fn client_token(&self) -> Result<SecretString, WiseError> {
        let mut cached = self.client_token.lock().await;
        if let Some(t) = cached.as_ref().filter(|t| t.refresh_at > Instant::now()) {
            return Ok(t.token.clone());
        }
        let answer = self
            .execute(Request {
                operation: "client_credentials",
                method: Method::POST,
                path: "/oauth/token".into(),
                auth: Auth::Basic,
                body: Body::Form(vec![("grant_type", secret("client_credentials"))]),
                retry: Retry::Safe,
            })
            .await?;
        let response: TokenResponse = decode("client_credentials", &answer)?;
        let lifetime = (response.access_expiry(Utc::now()) - Utc::now())
            .to_std()
            .unwrap_or_default();
        let margin = Duration::from_secs(self.settings.token_refresh_margin_secs);
        let token = SecretString::from(response.access_token);
        *cached = Some(CachedToken {
            token: token.clone(),
            refresh_at: Instant::now() + lifetime.saturating_sub(margin),
        });
        Ok(token)
    }

    async fn forget_client_token(&self) {
        *self.client_token.lock().await = None;
    }

    /// Runs a call authorised by the client-credentials token; if Wise says the token is dead,
    /// fetches a new one and runs the call once more.
    async fn with_client_token<F>(&self, build: F) -> Result<Answer, WiseError>
    where
        F: Fn(SecretString) -> Request,
    {
        let token = self.client_token().await?;
        match self.execute(build(token)).await {
            Err(e) if e.is_invalid_token() => {
                self.forget_client_token().await;
                let token = self.client_token().await?;
                self.execute(build(token)).await
            }
            other => other,
        }
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

    async fn user_grant(
        &self,
        operation: &'static str,
        fields: Vec<(&'static str, SecretString)>,
        retry: Retry,
    ) -> Result<UserTokens, WiseError> {
        let answer = self
            .execute(Request {
                operation,
                method: Method::POST,
                path: "/oauth/token".into(),
                auth: Auth::Basic,
                body: Body::Form(fields),
                retry,
            })
            .await?;
        let response: TokenResponse = decode(operation, &answer)?;
        let now = Utc::now();
        let refresh = response
            .refresh_token
            .clone()
            .ok_or_else(|| WiseError::Decode {
                operation,
                reason: "no refresh_token in a user grant".into(),
                trace_id: answer.trace_id.clone(),
            })?;
        Ok(UserTokens {
            expires_at: response.access_expiry(now),
            refresh_token_expires_at: response.refresh_expiry(now),
            scope: response.scope.clone(),
            access_token: SecretString::from(response.access_token),
            refresh_token: SecretString::from(refresh),
        })
    }

    /// Tokens for a user the partner created, with the stored registration code and the email used
    /// at signup. `invalid_grant` means the user reclaimed the account (or the code is wrong).
    pub async fn registration_code_grant(
        &self,
        signup_email: &str,
        registration_code: &SecretString,
    ) -> Result<UserTokens, WiseError> {
        let fields = vec![
            ("grant_type", secret("registration_code")),
            ("client_id", secret(&self.settings.client_id)),
            ("email", secret(signup_email)),
            ("registration_code", registration_code.clone()),
        ];
        self.user_grant("registration_code_grant", fields, Retry::Safe)
            .await
    }

    /// Exchanges an authorization code. Sent exactly once, never retried: a code works once, and a
    /// repeat after a lost answer could only fail or, worse, be taken as a second success.
    pub async fn authorization_code_grant(
        &self,
        code: &SecretString,
    ) -> Result<UserTokens, WiseError> {
        let fields = vec![
            ("grant_type", secret("authorization_code")),
            ("client_id", secret(&self.settings.client_id)),
            ("code", code.clone()),
            ("redirect_uri", secret(&self.settings.redirect_uri)),
        ];
        self.user_grant("authorization_code_grant", fields, Retry::Never)
            .await
    }

    /// A new access token; the previous one stops working at once.
    pub async fn refresh(&self, refresh_token: &SecretString) -> Result<UserTokens, WiseError> {
        let fields = vec![
            ("grant_type", secret("refresh_token")),
            ("refresh_token", refresh_token.clone()),
        ];
        self.user_grant("refresh_token_grant", fields, Retry::Safe)
            .await
    }

    async fn get<T: DeserializeOwned>(
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

    /// `GET /v1/me`.
    pub async fn me(&self, access_token: &SecretString) -> Result<User, WiseError> {
        self.get("me", "/v1/me".into(), access_token).await
    }

    /// `GET /v1/users/{id}`.
    pub async fn user(&self, access_token: &SecretString, user_id: i64) -> Result<User, WiseError> {
        self.get("get_user", format!("/v1/users/{user_id}"), access_token)
            .await
    }

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
