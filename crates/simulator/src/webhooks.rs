//! Wise's application webhooks: `/v3/applications/{clientKey}/subscriptions` (client-credentials
//! token), and the sender that delivers events signed with RSA-SHA256 over the raw body
//! (`X-Signature-SHA256`), with `X-Delivery-Id`, retried on Wise's schedule.
//!
//! Wise accepts only `https` URLs on a domain name at port 443; the simulator also takes `http`
//! and loopback addresses, so it can reach a wiselink running on the same machine.

use super::state::{Attempt, Forgery, TRIGGERS};
use super::{Simulator, WiseReply};
use actix_web::{HttpRequest, HttpResponse, web};
use aws_lc_rs::{rand::SystemRandom, signature};
use base64::{Engine, engine::general_purpose::STANDARD};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::{LazyLock, Weak};
use std::time::Duration;
use uuid::Uuid;

/// Wise waits this long for a 2xx.
const ANSWER_WINDOW: Duration = Duration::from_secs(5);
/// How often the sender looks for due deliveries.
const TICK: Duration = Duration::from_millis(50);

/// The key deliveries are signed with, made when the simulator first needs it: nothing to keep
/// secret in the repository, and a new one each time the simulator starts. wiselink fetches the
/// public half from `/__sim/webhooks/public-key` (`wise_webhooks.public_keys = ["simulator"]`).
static SIGNING_KEY: LazyLock<signature::RsaKeyPair> = LazyLock::new(generate);
/// A key that is not Wise's, for forged deliveries.
static FORGER_KEY: LazyLock<signature::RsaKeyPair> = LazyLock::new(generate);

fn generate() -> signature::RsaKeyPair {
    signature::RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).expect("an RSA key")
}

/// The public half of the signing key as Wise publishes its own: a PEM `PUBLIC KEY`.
pub fn public_key_pem() -> String {
    use aws_lc_rs::encoding::AsDer;
    use signature::KeyPair;
    let der = SIGNING_KEY
        .public_key()
        .as_der()
        .expect("the public key's DER");
    let body = STANDARD.encode(der.as_ref());
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).expect("base64 is ASCII"))
        .collect();
    format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        lines.join("\n")
    )
}

/// Base64 RSA-SHA256 (PKCS#1 v1.5) signature of `body`, as `X-Signature-SHA256` carries it.
pub fn sign(body: &[u8]) -> String {
    sign_with(&SIGNING_KEY, body)
}

fn sign_with(key: &signature::RsaKeyPair, body: &[u8]) -> String {
    let mut sig = vec![0; key.public_modulus_len()];
    key.sign(
        &signature::RSA_PKCS1_SHA256,
        &SystemRandom::new(),
        body,
        &mut sig,
    )
    .expect("RSA signing");
    STANDARD.encode(sig)
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    let base = "/v3/applications/{client_key}/subscriptions";
    cfg.route(base, web::post().to(create))
        .route(base, web::get().to(list))
        .route(&format!("{base}/{{id}}"), web::get().to(get))
        .route(&format!("{base}/{{id}}"), web::delete().to(delete))
        .route(
            &format!("{base}/{{id}}/test-notifications"),
            web::post().to(test_notification),
        );
}

/// The registered client's token, and the path naming that same client.
fn authorize(req: &HttpRequest, sim: &Simulator, client_key: &str) -> Result<(), WiseReply> {
    let now = sim.clock.now_utc();
    let client = sim.lock().authenticate_client(req, now)?;
    if client != client_key {
        return Err(WiseReply::spring(
            403,
            "Forbidden",
            "Access denied",
            req.path(),
        ));
    }
    Ok(())
}

#[derive(Deserialize)]
struct NewSubscription {
    name: Option<String>,
    trigger_on: Option<String>,
    delivery: Option<DeliverySpec>,
}

#[derive(Deserialize)]
struct DeliverySpec {
    version: Option<String>,
    url: Option<String>,
}

fn invalid(field: &str, message: &str) -> WiseReply {
    WiseReply::errors(422, vec![("NotValid", message, field, vec![])])
}

async fn create(
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
    sim: web::Data<Simulator>,
) -> Result<HttpResponse, WiseReply> {
    let client_key = path.into_inner();
    authorize(&req, &sim, &client_key)?;
    let new: NewSubscription = serde_json::from_slice(&body)
        .map_err(|_| WiseReply::spring(400, "Bad Request", "Malformed JSON request", ""))?;
    let name = new.name.filter(|n| !n.trim().is_empty());
    let name = name.ok_or_else(|| invalid("name", "must not be blank"))?;
    let trigger = new
        .trigger_on
        .filter(|t| TRIGGERS.contains(&t.as_str()))
        .ok_or_else(|| invalid("trigger_on", "unknown event type"))?;
    let delivery = new
        .delivery
        .ok_or_else(|| invalid("delivery", "must not be null"))?;
    if delivery.version.as_deref() != Some("2.0.0") {
        return Err(invalid("delivery.version", "unsupported schema version"));
    }
    let url = delivery
        .url
        .and_then(|u| url::Url::parse(&u).ok())
        .filter(|u| matches!(u.scheme(), "https" | "http") && u.query().is_none())
        .ok_or_else(|| invalid("delivery.url", "must be an https URL without a query"))?;
    let now = sim.clock.now_utc();
    let sub = sim
        .lock()
        .subscriptions
        .create(name, trigger, url.to_string(), now);
    Ok(HttpResponse::Ok().json(view(&sub, &client_key)))
}

fn view(sub: &super::state::Subscription, client_key: &str) -> Value {
    json!({
        "id": sub.id,
        "name": sub.name,
        "trigger_on": sub.trigger_on,
        "delivery": {"version": "2.0.0", "url": sub.url},
        "scope": {"domain": "application", "id": client_key},
        "created_by": {"type": "application", "id": client_key},
        "created_at": super::state::stamp(sub.created_at),
    })
}

async fn list(
    req: HttpRequest,
    path: web::Path<String>,
    sim: web::Data<Simulator>,
) -> Result<HttpResponse, WiseReply> {
    let client_key = path.into_inner();
    authorize(&req, &sim, &client_key)?;
    let state = sim.lock();
    let items: Vec<Value> = state
        .subscriptions
        .list()
        .iter()
        .map(|s| view(s, &client_key))
        .collect();
    Ok(HttpResponse::Ok().json(items))
}

fn not_found(req: &HttpRequest) -> WiseReply {
    WiseReply::spring(404, "Not Found", "Subscription not found", req.path())
}

async fn get(
    req: HttpRequest,
    path: web::Path<(String, Uuid)>,
    sim: web::Data<Simulator>,
) -> Result<HttpResponse, WiseReply> {
    let (client_key, id) = path.into_inner();
    authorize(&req, &sim, &client_key)?;
    let state = sim.lock();
    let sub = state.subscriptions.get(id).ok_or_else(|| not_found(&req))?;
    Ok(HttpResponse::Ok().json(view(sub, &client_key)))
}

async fn delete(
    req: HttpRequest,
    path: web::Path<(String, Uuid)>,
    sim: web::Data<Simulator>,
) -> Result<HttpResponse, WiseReply> {
    let (client_key, id) = path.into_inner();
    authorize(&req, &sim, &client_key)?;
    if !sim.lock().subscriptions.delete(id) {
        return Err(not_found(&req));
    }
    Ok(HttpResponse::NoContent().finish())
}

async fn test_notification(
    req: HttpRequest,
    path: web::Path<(String, Uuid)>,
    sim: web::Data<Simulator>,
) -> Result<HttpResponse, WiseReply> {
    let (client_key, id) = path.into_inner();
    authorize(&req, &sim, &client_key)?;
    let now = sim.clock.now_utc();
    let queued = sim.lock().subscriptions.test_notification(id, now);
    queued.ok_or_else(|| not_found(&req))?;
    Ok(HttpResponse::NoContent().finish())
}

/// Delivers due webhooks until the simulator is dropped.
pub fn spawn_sender(sim: &web::Data<Simulator>) {
    let weak: Weak<Simulator> = std::sync::Arc::downgrade(&sim.clone().into_inner());
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(ANSWER_WINDOW)
        .build()
        .expect("an HTTP client");
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(TICK).await;
            let Some(sim) = weak.upgrade() else { return };
            let due = sim.lock().subscriptions.due(sim.clock.now_utc());
            for attempt in due {
                let answer = send(&http, &attempt).await;
                let now = sim.clock.now_utc();
                sim.lock().subscriptions.record(attempt.index, answer, now);
            }
        }
    });
}

async fn send(http: &reqwest::Client, attempt: &Attempt) -> Option<u16> {
    let body = attempt.body.as_bytes();
    let signature = match attempt.forgery {
        None => Some(sign(body)),
        Some(Forgery::WrongKey) => Some(sign_with(&FORGER_KEY, body)),
        Some(Forgery::BadSignature) => {
            let mut raw = STANDARD.decode(sign(body)).expect("own base64");
            raw[7] ^= 0x5a;
            Some(STANDARD.encode(raw))
        }
        Some(Forgery::Unsigned) => None,
    };
    let mut req = http
        .post(&attempt.url)
        .header("content-type", "application/json")
        .header("x-delivery-id", attempt.delivery_id.to_string());
    if let Some(sig) = signature {
        req = req.header("x-signature-sha256", sig);
    }
    if attempt.test {
        req = req.header("x-test-notification", "true");
    }
    let answer = req.body(attempt.body.clone()).send().await.ok()?;
    Some(answer.status().as_u16())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_with_the_published_public_key_and_a_forgers_does_not() {
        let public = {
            use rustls_pki_types::pem::PemObject;
            rustls_pki_types::SubjectPublicKeyInfoDer::from_pem_slice(public_key_pem().as_bytes())
        }
        .unwrap();
        let key =
            signature::UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, &*public);
        let body = br#"{"data":{}}"#;
        let good = STANDARD.decode(sign(body)).unwrap();
        assert!(key.verify(body, &good).is_ok());
        assert!(key.verify(b"{\"data\":{ }}", &good).is_err());
        let forged = STANDARD.decode(sign_with(&FORGER_KEY, body)).unwrap();
        assert!(key.verify(body, &forged).is_err());
    }
}
