//! Staff sign-in at the bank's OpenID Connect provider, and the re-checks that keep a session's
//! role the provider's.
//!
//! A sign-in starts with two random values: the `state` that travels through the provider, and a
//! browser secret that only the browser's cookie holds. The database keeps their SHA-256s; the
//! nonce and the PKCE verifier are derived from both, so neither is stored anywhere. The callback
//! takes the sign-in by its state (once: it is deleted as it is read), checks the browser's
//! secret, and has the provider's ID token verified before anyone is signed in.

mod account;
pub mod provider;
mod recheck;

use super::StaffService;
use super::session::{NewSession, SessionId, id_hash};
use crate::db::staff::{self, sso as rows};
use crate::domain::Role;
use account::username_for;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Duration;
use provider::{Authorization, Identity, ProviderError};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// How long a sign-in may take at the provider.
const PENDING_MINUTES: i64 = 10;

/// How long before its ID token a step-up's authentication may have happened.
const STEP_UP_SECS: i64 = 120;

/// A sign-in on its way: where to send the browser, and the secret its cookie keeps.
pub struct SsoStart {
    pub url: url::Url,
    pub browser_secret: SecretString,
}

/// A sign-in the provider vouched for.
pub struct SsoSignIn {
    pub session: NewSession,
    /// The staff page to go to now.
    pub return_to: String,
}

/// Why a sign-in at the provider did not sign anyone in. Each is recorded in the staff audit.
#[derive(Debug, thiserror::Error)]
pub enum SsoRefusal {
    /// No sign-in was started with this state in this browser, or it was used or too old.
    #[error("the sign-in was not started here, was already used, or took too long")]
    State,
    /// The provider refused, or its ID token failed verification.
    #[error("the identity provider did not vouch for this sign-in")]
    NotVouched,
    /// A step-up sign-in where the provider did not authenticate the person again.
    #[error("the identity provider did not ask for the sign-in again")]
    NotFresh,
    /// The person is in none of the groups that give a role.
    #[error("no group of this person gives a role")]
    NoRole { name: String },
    /// Their username belongs to another account.
    #[error("the username is another account's")]
    NameTaken { name: String },
    /// Their account here is disabled (`wiselink staff disable`, or the admin screen).
    #[error("the account is disabled")]
    Disabled { username: String },
    /// The provider asked the browser to stop (the person cancelled, or an error at the provider).
    #[error("the identity provider answered {0}")]
    ProviderError(String),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<crate::db::DbError> for SsoRefusal {
    fn from(e: crate::db::DbError) -> Self {
        Self::Unexpected(e.into())
    }
}

/// What the callback carries.
pub struct Callback<'a> {
    pub state: &'a str,
    pub code: Option<&'a str>,
    pub error: Option<&'a str>,
    /// RFC 9207's `iss`, where the provider sends it.
    pub iss: Option<&'a str>,
}

fn derived(purpose: &str, secret: &str, state: &str) -> String {
    let mut h = Sha256::new();
    for part in ["wiselink staff sso", purpose, secret, state] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    URL_SAFE_NO_PAD.encode(h.finalize())
}

fn browser_hash(secret: &str) -> Vec<u8> {
    Sha256::digest(format!("wiselink staff sso browser\0{secret}").as_bytes()).to_vec()
}

/// A staff page to come back to: a path of the back office, nothing else.
fn return_path(requested: Option<&str>) -> String {
    match requested {
        Some(p)
            if p.starts_with("/staff")
                && !p.contains("//")
                && !p.contains('\\')
                && p.chars().all(|c| c.is_ascii_graphic()) =>
        {
            p.to_owned()
        }
        _ => "/staff".to_owned(),
    }
}

impl StaffService {
    fn provider(&self) -> Result<&provider::Provider, anyhow::Error> {
        self.sso
            .as_deref()
            .ok_or_else(|| anyhow::anyhow!("single sign-on is not configured"))
    }

    /// Starts a sign-in at the provider. `step_up`: the provider must authenticate the person
    /// again (before an approval), whatever session it holds.
    pub async fn sso_start(
        &self,
        return_to: Option<&str>,
        step_up: bool,
    ) -> Result<SsoStart, SsoRefusal> {
        let provider = self.provider()?;
        let secret = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
        let state = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
        let url = provider
            .authorization_url(&Authorization {
                state: &state,
                nonce: &derived("nonce", &secret, &state),
                pkce_verifier: &derived("pkce", &secret, &state),
                fresh: step_up,
            })
            .await
            .map_err(|e| SsoRefusal::Unexpected(e.into()))?;
        let now = self.clock.now();
        let login = rows::PendingLogin {
            state_hash: Sha256::digest(state.as_bytes()).to_vec(),
            browser_hash: browser_hash(&secret),
            return_to: return_path(return_to),
            step_up,
            created_at: now,
        };
        let stale = now - Duration::minutes(PENDING_MINUTES);
        self.db
            .run(move |conn| rows::begin(conn, &login, stale))
            .await?;
        Ok(SsoStart {
            url,
            browser_secret: SecretString::from(secret),
        })
    }

    /// Finishes a sign-in the provider sent back: takes it by its state, checks the browser, has
    /// the code exchanged and the ID token verified, maps the groups to a role, and starts a
    /// session. Every outcome is recorded.
    pub async fn sso_finish(
        &self,
        browser_secret: Option<&str>,
        callback: &Callback<'_>,
        client_ip: Option<&str>,
    ) -> Result<SsoSignIn, SsoRefusal> {
        let result = match self.sso_verify(browser_secret, callback).await {
            Ok((identity, (return_to, role))) => self
                .sso_account(&identity, role)
                .await
                .map(|row| (identity, return_to, row)),
            Err(refusal) => Err(refusal),
        };
        let ip = client_ip.map(str::to_owned);
        // Who a refusal is recorded under: the provider's name for the person when it vouched for
        // them, else "(sso)".
        let (name, event) = match &result {
            Ok(_) => (String::new(), None),
            Err(SsoRefusal::NoRole { name }) => (username_for(name), Some("sso_login_no_role")),
            Err(SsoRefusal::NameTaken { name }) => {
                (username_for(name), Some("sso_login_name_taken"))
            }
            Err(SsoRefusal::Disabled { username }) => {
                (username.clone(), Some("sso_login_disabled"))
            }
            Err(SsoRefusal::Unexpected(_)) => ("(sso)".to_owned(), Some("sso_login_unavailable")),
            Err(_) => ("(sso)".to_owned(), Some("sso_login_failed")),
        };
        if let Some(event) = event {
            let audit = self.audit.clone();
            let now = self.clock.now();
            self.db
                .run(move |conn| staff::audit(conn, &audit, &name, event, None, ip.as_deref(), now))
                .await?;
            return Err(result.err().unwrap_or(SsoRefusal::State));
        }
        let (identity, return_to, row) = result?;
        let role = row.role.clone();
        let session = SessionId::generate();
        let hash = id_hash(session.0.expose_secret());
        let row_name = hex::encode(&hash);
        let sealed = identity.refresh_token.as_ref().map(|t| {
            self.keys
                .seal(t.expose_secret().as_bytes(), refresh_aad(&row_name))
        });
        let (audit, now, username) = (self.audit.clone(), self.clock.now(), row.username.clone());
        let signed_in = row.username.clone();
        let actor = format!("sso:{role}");
        self.db
            .run(move |conn| {
                let at = staff::SignedInAt::Provider {
                    refresh_token: sealed.as_deref(),
                };
                staff::start_session(conn, row.id, &hash, at, now)?;
                staff::audit(
                    conn,
                    &audit,
                    &username,
                    "sso_login",
                    Some(&actor),
                    ip.as_deref(),
                    now,
                )
            })
            .await?;
        tracing::info!(staff.username = %signed_in, "staff signed in at the identity provider");
        Ok(SsoSignIn {
            session: NewSession {
                id: session.0,
                username: signed_in,
            },
            return_to,
        })
    }

    /// The identity the callback proves, with where to go and the role its groups give.
    async fn sso_verify(
        &self,
        browser_secret: Option<&str>,
        callback: &Callback<'_>,
    ) -> Result<(Identity, (String, Role)), SsoRefusal> {
        let provider = self.provider()?;
        let state_hash = Sha256::digest(callback.state.as_bytes()).to_vec();
        let Some(login) = self
            .db
            .run(move |conn| rows::take(conn, &state_hash))
            .await?
        else {
            return Err(SsoRefusal::State);
        };
        let now = self.clock.now();
        let same_browser =
            browser_secret.is_some_and(|s| bool::from(browser_hash(s).ct_eq(&login.browser_hash)));
        if !same_browser || now - login.created_at > Duration::minutes(PENDING_MINUTES) {
            return Err(SsoRefusal::State);
        }
        if let Some(error) = callback.error {
            // An error code is [A-Za-z_]; anything else the provider sent is not repeated.
            let code: String = error
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
                .take(64)
                .collect();
            return Err(SsoRefusal::ProviderError(code));
        }
        // RFC 9207: an answer another provider sent (a mix-up) is not taken.
        if callback.iss.is_some_and(|iss| {
            iss.trim_end_matches('/') != provider.settings().issuer.trim_end_matches('/')
        }) {
            return Err(SsoRefusal::NotVouched);
        }
        let (Some(code), Some(secret)) = (callback.code, browser_secret) else {
            return Err(SsoRefusal::NotVouched);
        };
        let identity = provider
            .exchange(
                code,
                &derived("pkce", secret, callback.state),
                &derived("nonce", secret, callback.state),
            )
            .await
            .map_err(|e| match e {
                ProviderError::Unavailable(_) => SsoRefusal::Unexpected(e.into()),
                other => {
                    tracing::warn!(error = %other, "the identity provider did not vouch for a sign-in");
                    SsoRefusal::NotVouched
                }
            })?;
        // A step-up asked for max_age=0: the provider must have authenticated the person just
        // before it issued this token (both by its own clock).
        if login.step_up
            && identity
                .auth_time
                .is_none_or(|t| identity.issued_at - t > Duration::seconds(STEP_UP_SECS))
        {
            return Err(SsoRefusal::NotFresh);
        }
        let Some(role) = provider
            .settings()
            .role_for(identity.groups.iter().map(String::as_str))
        else {
            return Err(SsoRefusal::NoRole {
                name: identity.name,
            });
        };
        Ok((identity, (login.return_to, role)))
    }
}

/// The sealed refresh token's binding to its session (`row`: the session's id hash in hex).
pub fn refresh_aad(row: &str) -> crate::crypto::Aad<'_> {
    crate::crypto::Aad {
        table: "staff_sessions",
        column: "sso_refresh_token",
        row,
    }
}
