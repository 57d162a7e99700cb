//! Tokens: the client-credentials token (cached, single-flight, replaced when Wise rejects it)
//! and the user grants.

use super::{decode, secret};
use crate::client::{Answer, Auth, Body, CachedToken, Request, Retry};
use crate::types::{TokenResponse, UserTokens};
use crate::{WiseClient, WiseError};
use chrono::Utc;
use reqwest::Method;
use secrecy::SecretString;
use std::time::{Duration, Instant};

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

    pub(super) async fn forget_client_token(&self) {
        *self.client_token.lock().await = None;
    }

    /// Runs a call authorised by the client-credentials token; if Wise says the token is dead,
    /// fetches a new one and runs the call once more.
    pub(super) async fn with_client_token<F>(&self, build: F) -> Result<Answer, WiseError>
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

    pub(super) async fn user_grant(
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

    /// A new access token; the previous one stops working at once. Repeated only when Wise
    /// provably did nothing: where refresh tokens rotate, a repeat after a lost answer would send
    /// a spent refresh token (the caller decides what a lost answer means).
    pub async fn refresh(&self, refresh_token: &SecretString) -> Result<UserTokens, WiseError> {
        let fields = vec![
            ("grant_type", secret("refresh_token")),
            ("refresh_token", refresh_token.clone()),
        ];
        self.user_grant("refresh_token_grant", fields, Retry::IfNotProcessed)
            .await
    }
}
