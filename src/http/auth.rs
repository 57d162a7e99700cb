//! `Authorization: Bearer <api key>` for the partner's backend.

use super::RequestError;
use crate::services::api_keys::{self, Cached};
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use secrecy::SecretString;

/// A request authenticated with a live API key.
#[derive(Debug, Clone)]
pub struct ApiKeyAuth {
    pub key_id: String,
}

impl FromRequest for ApiKeyAuth {
    type Error = RequestError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let presented = bearer(req);
        Box::pin(async move {
            let token = presented?;
            let Some(state) = state else {
                return Err(RequestError::InvalidCredentials);
            };
            let key_id = match state.api_keys.check(&token) {
                Cached::Valid(key_id) => Some(key_id),
                Cached::Invalid => None,
                Cached::Unknown => verify_in_database(&state, token).await?,
            };
            let key_id = key_id.ok_or(RequestError::InvalidCredentials)?;
            tracing::Span::current().record("api_key.id", key_id.as_str());
            Ok(Self { key_id })
        })
    }
}

async fn verify_in_database(
    state: &AppState,
    token: SecretString,
) -> Result<Option<String>, RequestError> {
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
