//! `Authorization: Bearer <api key>` for the partner's backend.

use super::RequestError;
use crate::services::api_keys;
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
            match state
                .db
                .run(move |conn| api_keys::verify(conn, &token))
                .await?
            {
                Some(key_id) => {
                    tracing::Span::current().record("api_key.id", key_id.as_str());
                    Ok(Self { key_id })
                }
                None => Err(RequestError::InvalidCredentials),
            }
        })
    }
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
