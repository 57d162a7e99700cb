//! `POST /oauth/token`: the four grants, Basic client authentication, form bodies.

use super::state::{ACCESS_TOKEN_SECS, AUTH_CODE_MINUTES, IssuedTokens, REFRESH_TOKEN_SECS};
use super::{Simulator, WiseReply};
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::json;
use std::collections::HashMap;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/oauth/token", web::post().to(token));
}

async fn token(
    req: HttpRequest,
    body: web::Bytes,
    sim: web::Data<Simulator>,
) -> Result<HttpResponse, WiseReply> {
    let client_id = authenticate(&req, &sim)?;
    let form_type = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !form_type {
        return Err(WiseReply::invalid_request(
            "Content type must be application/x-www-form-urlencoded",
        ));
    }
    let form: HashMap<String, String> = serde_urlencoded::from_bytes(&body)
        .map_err(|_| WiseReply::invalid_request("Malformed request body"))?;
    let field = |name: &str| -> Result<&str, WiseReply> {
        form.get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| WiseReply::invalid_request(&format!("Missing {name}")))
    };
    let grant = form.get("grant_type").map(String::as_str).unwrap_or("");
    if grant.is_empty() {
        return Err(WiseReply::invalid_request("Missing grant type"));
    }
    let now = sim.clock.now_utc();
    let mut state = sim.lock();
    let issued = match grant {
        "client_credentials" => {
            let t = state.tokens.client_token(&client_id, now);
            return Ok(HttpResponse::Ok().json(json!({
                "access_token": t.access_token,
                "token_type": "bearer",
                "expires_in": ACCESS_TOKEN_SECS,
                "expires_at": millis(now + Duration::seconds(ACCESS_TOKEN_SECS)),
                "scope": "transfers",
            })));
        }
        "registration_code" => {
            if field("client_id")? != client_id {
                return Err(WiseReply::oauth(
                    401,
                    "invalid_client",
                    "Client authentication failed",
                ));
            }
            let (email, code) = (field("email")?, field("registration_code")?);
            let status = state.control.variants().reclaimed_status;
            let user_id = state
                .people
                .user_by_email(email)
                .filter(|u| {
                    !u.reclaimed
                        && u.created_by.as_deref() == Some(&client_id)
                        && u.registration_code.as_deref() == Some(code)
                })
                .map(|u| u.id)
                .ok_or_else(|| WiseReply::invalid_grant(status, "Invalid user credentials."))?;
            state.tokens.user_grant(&client_id, user_id, now)
        }
        "authorization_code" => {
            if field("client_id")? != client_id {
                return Err(WiseReply::oauth(
                    401,
                    "invalid_client",
                    "Client authentication failed",
                ));
            }
            let (code, redirect_uri) = (field("code")?, field("redirect_uri")?);
            let user_id = {
                let invalid = || WiseReply::invalid_grant(400, "Invalid authorization code");
                let entry = state.codes.auth_code_mut(code).ok_or_else(invalid)?;
                let fresh = now - entry.created_at < Duration::minutes(AUTH_CODE_MINUTES);
                if entry.used || !fresh || entry.client_id != client_id {
                    return Err(invalid());
                }
                if entry.redirect_uri != redirect_uri {
                    // RFC 6749 §5.2's case for invalid_grant; the code is not used up.
                    return Err(WiseReply::invalid_grant(
                        400,
                        "Invalid redirect_uri: it does not match the registered one",
                    ));
                }
                entry.used = true;
                entry.user_id
            };
            if !state.people.user_active(user_id) {
                return Err(WiseReply::invalid_grant(400, "Invalid authorization code"));
            }
            state.tokens.user_grant(&client_id, user_id, now)
        }
        "refresh_token" => {
            let refresh = field("refresh_token")?.to_owned();
            state.refresh(&client_id, &refresh, now)?
        }
        _ => {
            return Err(WiseReply::oauth(
                400,
                "unsupported_grant_type",
                "Unsupported grant type",
            ));
        }
    };
    Ok(HttpResponse::Ok().json(user_tokens(&issued)))
}

/// Basic authentication against the registered client.
fn authenticate(req: &HttpRequest, sim: &Simulator) -> Result<String, WiseReply> {
    let failed = || WiseReply::oauth(401, "invalid_client", "Client authentication failed");
    let value = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(failed)?;
    let encoded = value.strip_prefix("Basic ").ok_or_else(failed)?;
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| failed())?;
    let decoded = String::from_utf8(decoded).map_err(|_| failed())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(failed)?;
    if id == sim.client.id && secret == sim.client.secret {
        Ok(id.to_owned())
    } else {
        Err(failed())
    }
}

fn user_tokens(t: &IssuedTokens) -> serde_json::Value {
    let now = t.created_at;
    json!({
        "access_token": t.access_token,
        "token_type": "bearer",
        "refresh_token": t.refresh_token,
        "expires_in": ACCESS_TOKEN_SECS,
        "expires_at": millis(now + Duration::seconds(ACCESS_TOKEN_SECS)),
        "refresh_token_expires_in": REFRESH_TOKEN_SECS,
        "refresh_token_expires_at": millis(now + Duration::seconds(REFRESH_TOKEN_SECS)),
        "scope": "transfers",
        // Wise's examples carry nine fractional digits here and three elsewhere.
        "created_at": now.to_rfc3339_opts(SecondsFormat::Nanos, true),
    })
}

fn millis(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}
