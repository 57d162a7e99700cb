//! The bank's OpenID Connect provider, through `openidconnect`: discovery, the authorization URL,
//! the code and refresh-token grants with the ID token verified (signature against the provider's
//! JWKS, issuer, audience, expiry, nonce), revocation and RP-initiated logout.
//!
//! The discovery document and the JWKS are read again for every sign-in and every re-check: a
//! provider that rotated its signing keys is followed at once, at two small GETs per call (staff
//! sign in a few times a day; a session is re-checked every few minutes).

use crate::settings::SsoSettings;
use chrono::{DateTime, Utc};
use openidconnect::core::CoreAuthenticationFlow;
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, LogoutRequest, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, PostLogoutRedirectUrl, RedirectUrl,
    RefreshToken, Scope,
};
use secrecy::{ExposeSecret, SecretString};
use std::time::Duration;

/// Why the provider did not vouch for someone.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// The provider could not be reached, or answered what is no OpenID Connect answer.
    #[error("the identity provider is unavailable: {0}")]
    Unavailable(String),
    /// The provider refused (a used or expired code, a revoked refresh token, a person it no
    /// longer knows).
    #[error("the identity provider refused: {0}")]
    Refused(String),
    /// The ID token failed verification (signature, issuer, audience, expiry, nonce, subject).
    #[error("the ID token is not valid: {0}")]
    Invalid(String),
}

mod types;

use types::{Claims, Metadata, OidcClient, Tokens, error_chain, grant_error};

/// Who the provider vouched for, and what it said of them.
#[derive(Debug)]
pub struct Identity {
    pub subject: String,
    /// `preferred_username`, else `email`, else the subject.
    pub name: String,
    pub groups: Vec<String>,
    pub refresh_token: Option<SecretString>,
    /// When the person last authenticated at the provider, if it says, and when the ID token was
    /// issued (both by the provider's clock).
    pub auth_time: Option<DateTime<Utc>>,
    pub issued_at: DateTime<Utc>,
}

/// What a sign-in sends the browser to the provider with.
pub struct Authorization<'a> {
    pub state: &'a str,
    pub nonce: &'a str,
    pub pkce_verifier: &'a str,
    /// Ask the provider to authenticate the person again, whatever session it holds.
    pub fresh: bool,
}

pub struct Provider {
    settings: SsoSettings,
    redirect: RedirectUrl,
    post_logout: String,
    http: reqwest::Client,
}

impl Provider {
    pub fn new(settings: &SsoSettings, public_url: &str) -> Result<Self, String> {
        let base = public_url.trim_end_matches('/');
        let redirect = RedirectUrl::new(format!("{base}/staff/sso/callback"))
            .map_err(|e| format!("server.public_url makes no redirect URI: {e}"))?;
        let mut http = reqwest::Client::builder()
            .timeout(Duration::from_millis(settings.timeout_ms))
            // The provider's answers are read as they are: a redirect is no answer (SSRF).
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("wiselink/", env!("CARGO_PKG_VERSION")));
        if let Some(path) = settings.ca_file() {
            let pem = std::fs::read(&path)
                .map_err(|e| format!("cannot read staff.sso.ca_file {}: {e}", path.display()))?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| format!("staff.sso.ca_file holds no PEM certificate: {e}"))?;
            http = http.tls_certs_only(certs);
        }
        Ok(Self {
            settings: settings.clone(),
            redirect,
            post_logout: format!("{base}/staff/login"),
            http: http.build().map_err(|e| e.to_string())?,
        })
    }

    pub fn settings(&self) -> &SsoSettings {
        &self.settings
    }

    /// The address the browser goes to for a sign-in at the provider.
    pub async fn authorization_url(
        &self,
        request: &Authorization<'_>,
    ) -> Result<url::Url, ProviderError> {
        let client = self.client(self.discover().await?);
        let verifier = PkceCodeVerifier::new(request.pkce_verifier.to_owned());
        let (state, nonce) = (request.state.to_owned(), request.nonce.to_owned());
        let mut auth = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                move || CsrfToken::new(state),
                move || Nonce::new(nonce),
            )
            .set_pkce_challenge(PkceCodeChallenge::from_code_verifier_sha256(&verifier));
        for scope in self.settings.scopes.iter().filter(|s| *s != "openid") {
            auth = auth.add_scope(Scope::new(scope.clone()));
        }
        if request.fresh {
            auth = auth.set_max_age(Duration::ZERO);
        }
        Ok(auth.url().0)
    }

    /// The code grant, with the ID token verified against `nonce`.
    pub async fn exchange(
        &self,
        code: &str,
        pkce_verifier: &str,
        nonce: &str,
    ) -> Result<Identity, ProviderError> {
        let client = self.client(self.discover().await?);
        let tokens: Tokens = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| ProviderError::Unavailable(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_owned()))
            .request_async(&|r| self.send(r))
            .await
            .map_err(grant_error)?;
        let id_token = openidconnect::TokenResponse::id_token(&tokens)
            .ok_or_else(|| ProviderError::Invalid("the token answer has no ID token".into()))?;
        let claims = id_token
            .claims(&client.id_token_verifier(), &Nonce::new(nonce.to_owned()))
            .map_err(|e| ProviderError::Invalid(e.to_string()))?;
        Ok(self.identity(claims, tokens.refresh_token()))
    }

    /// The refresh-token grant: the provider says again who `subject` is and what groups they are
    /// in. The new ID token must be about the same subject; a new refresh token replaces the old.
    pub async fn refresh(
        &self,
        refresh_token: &SecretString,
        subject: &str,
    ) -> Result<Identity, ProviderError> {
        let client = self.client(self.discover().await?);
        let token = RefreshToken::new(refresh_token.expose_secret().to_owned());
        let tokens: Tokens = client
            .exchange_refresh_token(&token)
            .map_err(|e| ProviderError::Unavailable(e.to_string()))?
            .request_async(&|r| self.send(r))
            .await
            .map_err(grant_error)?;
        let id_token = openidconnect::TokenResponse::id_token(&tokens).ok_or_else(|| {
            ProviderError::Invalid("the refresh answer has no ID token to read the groups".into())
        })?;
        // A refreshed ID token carries no nonce (OpenID Connect Core 12.2).
        let claims = id_token
            .claims(&client.id_token_verifier(), |_: Option<&Nonce>| Ok(()))
            .map_err(|e| ProviderError::Invalid(e.to_string()))?;
        if claims.subject().as_str() != subject {
            return Err(ProviderError::Invalid(
                "the refreshed ID token is about someone else".into(),
            ));
        }
        let mut identity = self.identity(claims, tokens.refresh_token());
        if identity.refresh_token.is_none() {
            identity.refresh_token = Some(refresh_token.clone());
        }
        Ok(identity)
    }

    /// Revokes a refresh token at the provider (RFC 7009), where it offers revocation.
    pub async fn revoke(&self, refresh_token: &SecretString) -> Result<(), ProviderError> {
        let metadata = self.discover().await?;
        let Some(url) = metadata
            .additional_metadata()
            .additional_metadata
            .revocation_endpoint
            .clone()
        else {
            return Ok(());
        };
        let token = RefreshToken::new(refresh_token.expose_secret().to_owned());
        self.client(metadata)
            .set_revocation_url(url)
            .revoke_token(token.into())
            .map_err(|e| ProviderError::Unavailable(e.to_string()))?
            .request_async(&|r| self.send(r))
            .await
            .map_err(|e| ProviderError::Refused(e.to_string()))
    }

    /// Where to send the browser to sign out at the provider too (RP-initiated logout), when the
    /// provider offers it. The browser comes back to the sign-in page.
    pub async fn end_session_url(&self) -> Result<Option<url::Url>, ProviderError> {
        let metadata = self.discover().await?;
        let Some(endpoint) = metadata.additional_metadata().end_session_endpoint.clone() else {
            return Ok(None);
        };
        let back = PostLogoutRedirectUrl::new(self.post_logout.clone())
            .map_err(|e| ProviderError::Unavailable(e.to_string()))?;
        Ok(Some(
            LogoutRequest::from(endpoint)
                .set_client_id(ClientId::new(self.settings.client_id.clone()))
                .set_post_logout_redirect_uri(back)
                .http_get_url(),
        ))
    }

    fn identity(&self, claims: &Claims, refresh: Option<&RefreshToken>) -> Identity {
        let subject = claims.subject().as_str().to_owned();
        let name = claims
            .preferred_username()
            .map(|n| n.as_str().to_owned())
            .or_else(|| claims.email().map(|e| e.as_str().to_owned()))
            .unwrap_or_else(|| subject.clone());
        Identity {
            groups: claims
                .additional_claims()
                .strings(&self.settings.groups_claim),
            subject,
            name,
            refresh_token: refresh.map(|t| SecretString::from(t.secret().clone())),
            auth_time: claims.auth_time(),
            issued_at: claims.issue_time(),
        }
    }

    async fn discover(&self) -> Result<Metadata, ProviderError> {
        let issuer = IssuerUrl::new(self.settings.issuer.clone())
            .map_err(|e| ProviderError::Unavailable(e.to_string()))?;
        Metadata::discover_async(issuer, &|r| self.send(r))
            .await
            .map_err(|e| ProviderError::Unavailable(error_chain(&e)))
    }

    fn client(&self, metadata: Metadata) -> OidcClient {
        let secret = ClientSecret::new(self.settings.client_secret.expose_secret().to_owned());
        openidconnect::Client::from_provider_metadata(
            metadata,
            ClientId::new(self.settings.client_id.clone()),
            Some(secret),
        )
        .set_redirect_uri(self.redirect.clone())
    }

    /// One HTTP exchange for `openidconnect`, over wiselink's reqwest.
    async fn send(
        &self,
        request: openidconnect::HttpRequest,
    ) -> Result<openidconnect::HttpResponse, reqwest::Error> {
        let (parts, body) = request.into_parts();
        let answer = self
            .http
            .request(parts.method, parts.uri.to_string())
            .headers(parts.headers)
            .body(body)
            .send()
            .await?;
        let mut response = openidconnect::http::Response::builder().status(answer.status());
        for (name, value) in answer.headers() {
            response = response.header(name, value);
        }
        let body = answer.bytes().await?.to_vec();
        Ok(response.body(body).unwrap_or_default())
    }
}
