//! Reading JSON bodies with a size limit and a deadline, and problem responses for every way they
//! can be wrong.

use super::RequestError;
use crate::settings::ServerSettings;
use actix_web::HttpRequest;
use actix_web::http::header;
use actix_web::web::{Bytes, BytesMut, Payload};
use futures_util::StreamExt;
use serde_json::{Map, Value};

/// Reads the whole body of a JSON request, refusing other media types and bodies over `limit`.
pub async fn read_json(
    req: &HttpRequest,
    payload: Payload,
    server: &ServerSettings,
) -> Result<Bytes, RequestError> {
    if !is_json(req) {
        return Err(RequestError::UnsupportedMediaType);
    }
    read_limited(req, payload, server).await
}

/// Reads the whole body of an HTML form post (`application/x-www-form-urlencoded`).
pub async fn read_form(
    req: &HttpRequest,
    payload: Payload,
    server: &ServerSettings,
) -> Result<Bytes, RequestError> {
    if media_type(req).as_deref() != Some("application/x-www-form-urlencoded") {
        return Err(RequestError::UnsupportedMediaType);
    }
    read_limited(req, payload, server).await
}

/// The body, at most `server.body_limit_bytes` of it, all within
/// `server.request_read_timeout_secs` (a client announcing more than it sends is cut off, 408).
async fn read_limited(
    req: &HttpRequest,
    payload: Payload,
    server: &ServerSettings,
) -> Result<Bytes, RequestError> {
    let secs = server.request_read_timeout_secs;
    tokio::time::timeout(
        std::time::Duration::from_secs(secs),
        read_up_to(req, payload, server.body_limit_bytes),
    )
    .await
    .map_err(|_| RequestError::BodyTimeout { secs })?
}

async fn read_up_to(
    req: &HttpRequest,
    mut payload: Payload,
    limit: usize,
) -> Result<Bytes, RequestError> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(RequestError::PayloadTooLarge { limit });
    }
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| RequestError::BodyUnreadable)?;
        if body.len() + chunk.len() > limit {
            return Err(RequestError::PayloadTooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// Parses a body that must be one JSON object.
pub fn parse_object(body: &[u8]) -> Result<Map<String, Value>, RequestError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(RequestError::NotAnObject),
        Err(e) => Err(RequestError::MalformedJson {
            line: e.line(),
            column: e.column(),
        }),
    }
}

/// The request's media type without parameters, lower-cased.
pub fn media_type(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::CONTENT_TYPE)?.to_str().ok()?;
    Some(
        value
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase(),
    )
}

/// `application/json`, or any `application/*+json`, with or without parameters.
fn is_json(req: &HttpRequest) -> bool {
    media_type(req).is_some_and(|m| {
        m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn media_types() {
        let cases = [
            (Some("application/json"), true),
            (Some("application/json; charset=utf-8"), true),
            (Some("Application/JSON"), true),
            (Some("application/merge-patch+json"), true),
            (Some("text/plain"), false),
            (Some("application/x-www-form-urlencoded"), false),
            (Some("application/jsonp"), false),
            (None, false),
        ];
        for (ct, expected) in cases {
            let mut req = TestRequest::default();
            if let Some(ct) = ct {
                req = req.insert_header((header::CONTENT_TYPE, ct));
            }
            assert_eq!(is_json(&req.to_http_request()), expected, "{ct:?}");
        }
    }

    #[test]
    fn objects_only() {
        assert!(parse_object(br#"{"a":1}"#).is_ok());
        assert!(matches!(
            parse_object(b"[1]"),
            Err(RequestError::NotAnObject)
        ));
        assert!(matches!(
            parse_object(b"null"),
            Err(RequestError::NotAnObject)
        ));
        assert!(matches!(
            parse_object(b"{\"a\":"),
            Err(RequestError::MalformedJson { line: 1, .. })
        ));
        assert!(matches!(
            parse_object(b""),
            Err(RequestError::MalformedJson { .. })
        ));
    }
}
