//! Who is calling: `Authorization: Bearer <api key>` for the partner's backend, or a link
//! session token (`wls_…`) for the app or page acting on one link.

use crate::db::links::LinkRow;
use crate::domain::LinkId;
use crate::http::RequestError;
use crate::services::api_keys::{self, Cached, KeyMode, VerifiedKey};
use crate::services::links::{LinkService, SESSION_PREFIX};
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use secrecy::{ExposeSecret, SecretString};

/// A request authenticated with an API key that is not revoked.
#[derive(Debug, Clone)]
pub struct ApiKeyAuth {
    pub key_id: String,
    pub mode: KeyMode,
}

impl ApiKeyAuth {
    /// Who acted, as the audit trail records it.
    pub fn actor(&self) -> String {
        format!("api_key:{}", self.key_id)
    }

    /// Whose `Idempotency-Key`s these are.
    pub fn idempotency_scope(&self) -> String {
        format!("key:{}", self.key_id)
    }
}

impl FromRequest for ApiKeyAuth {
    type Error = RequestError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let presented = bearer(req);
        Box::pin(async move {
            let token = presented?;
            let state = state.ok_or(RequestError::InvalidCredentials)?;
            authenticate_key(&state, token).await
        })
    }
}

async fn authenticate_key(
    state: &AppState,
    token: SecretString,
) -> Result<ApiKeyAuth, RequestError> {
    let key = match state.api_keys.check(&token) {
        Cached::Valid(key) => Some(key),
        Cached::Invalid => None,
        Cached::Unknown => verify_in_database(state, token).await?,
    };
    let VerifiedKey { id, mode } = key.ok_or(RequestError::InvalidCredentials)?;
    tracing::Span::current().record("api_key.id", id.as_str());
    if mode == KeyMode::Test && !state.test_mode.is_simulator().await.unwrap_or(false) {
        return Err(RequestError::TestKeyOutsideSimulator);
    }
    Ok(ApiKeyAuth { key_id: id, mode })
}

/// A request authenticated with a test API key, the only kind that may pull the test triggers.
/// Any other caller is told there is no such resource, as for a path that does not exist.
#[derive(Debug, Clone)]
pub struct TestKeyAuth(pub ApiKeyAuth);

impl FromRequest for TestKeyAuth {
    type Error = RequestError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let key = ApiKeyAuth::from_request(req, payload);
        Box::pin(async move {
            match key.await? {
                key if key.mode == KeyMode::Test => Ok(Self(key)),
                _ => Err(RequestError::NotFound),
            }
        })
    }
}

/// Who may act on one link: the partner's backend (API key), or the app or page holding that
/// link's session token (`wls_…`). A session token is good until an hour after its code window.
#[derive(Clone)]
pub enum LinkCaller {
    Partner(ApiKeyAuth),
    /// The link the session token opens, as read while authenticating.
    Session {
        link: Box<LinkRow>,
    },
}

impl std::fmt::Debug for LinkCaller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Partner(key) => f.debug_tuple("Partner").field(key).finish(),
            Self::Session { link } => f
                .debug_struct("Session")
                .field("link_id", &link.id)
                .finish(),
        }
    }
}

impl LinkCaller {
    /// Whether this caller may see link `id`. A session token sees its own link only.
    pub fn may_access(&self, id: &LinkId) -> bool {
        match self {
            Self::Partner(_) => true,
            Self::Session { link } => link.id == *id,
        }
    }

    /// The link a session caller already read while authenticating, if it is link `id`.
    pub fn session_link(&self, id: &LinkId) -> Option<&LinkRow> {
        match self {
            Self::Session { link } if link.id == *id => Some(link),
            _ => None,
        }
    }

    pub fn actor(&self) -> String {
        match self {
            Self::Partner(key) => key.actor(),
            Self::Session { .. } => "customer".to_owned(),
        }
    }

    /// Whose `Idempotency-Key`s these are: the API key's, or the link's for its session.
    pub fn idempotency_scope(&self) -> String {
        match self {
            Self::Partner(key) => key.idempotency_scope(),
            Self::Session { link } => format!("link:{}", link.id),
        }
    }
}

impl FromRequest for LinkCaller {
    type Error = RequestError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let links = req.app_data::<web::Data<LinkService>>().cloned();
        let presented = bearer(req);
        Box::pin(async move {
            let token = presented?;
            let (state, links) = state.zip(links).ok_or(RequestError::InvalidCredentials)?;
            if !token.expose_secret().starts_with(SESSION_PREFIX) {
                return Ok(Self::Partner(authenticate_key(&state, token).await?));
            }
            match links.open_session(token.expose_secret()).await? {
                Some(link) => Ok(Self::Session {
                    link: Box::new(link),
                }),
                None => Err(RequestError::InvalidCredentials),
            }
        })
    }
}

async fn verify_in_database(
    state: &AppState,
    token: SecretString,
) -> Result<Option<VerifiedKey>, RequestError> {
    let presented = token.clone();
    let confirmed = state
        .db
        .run(move |conn| api_keys::verify(conn, &presented))
        .await?;
    if confirmed.is_some() {
        state.api_keys.remember(&token);
    }
    Ok(confirmed)
}

fn bearer(req: &HttpRequest) -> Result<SecretString, RequestError> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or(RequestError::MissingCredentials)?;
    let value = value
        .to_str()
        .map_err(|_| RequestError::InvalidCredentials)?;
    let (scheme, token) = value
        .split_once(' ')
        .ok_or(RequestError::InvalidCredentials)?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(RequestError::InvalidCredentials);
    }
    Ok(SecretString::from(token.trim().to_owned()))
}
