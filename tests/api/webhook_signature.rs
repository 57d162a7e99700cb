//! wiselink's webhook signatures, checked by an implementation nobody here wrote: the Standard
//! Webhooks reference library for Python (`standardwebhooks` on PyPI, installed by
//! `scripts/test.sh`).

use secrecy::ExposeSecret;
use serde_json::{Value, json};
use wiselink::crypto::{SignedHeaders, WebhookSecret};

fn case(secret: &WebhookSecret, body: &str, signed: &SignedHeaders) -> Value {
    json!({
        "secret": secret.text().expose_secret(),
        "body": body,
        "headers": signed.pairs().into_iter().collect::<std::collections::HashMap<_, _>>(),
    })
}

#[test]
fn the_reference_library_accepts_wiselinks_signatures_under_either_secret_of_a_rotation() {
    let (old, new, stranger) = (
        WebhookSecret::generate(),
        WebhookSecret::generate(),
        WebhookSecret::generate(),
    );
    let now = chrono::Utc::now().timestamp();
    let body = r#"{"id":"evt_1","type":"link.active","data":{"link_id":"lnk_1"}}"#;
    let signed = SignedHeaders::sign("evt_1", now, body.as_bytes(), &[&new, &old]);
    let alone = SignedHeaders::sign("evt_1", now, body.as_bytes(), &[&new]);
    let stale = SignedHeaders::sign("evt_1", now - 3600, body.as_bytes(), &[&new]);
    let tampered = body.replace("lnk_1", "lnk_2");

    let results = crate::webhook_receiver::verify_cases(&[
        case(&new, body, &signed),
        case(&old, body, &signed),
        case(&new, body, &alone),
        // Refused: a secret that did not sign, a changed body, an old timestamp.
        case(&stranger, body, &signed),
        case(&old, body, &alone),
        case(&new, &tampered, &signed),
        case(&new, body, &stale),
    ]);
    assert_eq!(
        results,
        [true, true, true, false, false, false, false],
        "accepted: new, old (during rotation), new alone; refused: stranger, old after rotation, tampered body, hour-old timestamp"
    );
}
