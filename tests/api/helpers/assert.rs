//! Reading answers the way a client would, and the shapes tests build requests from.

use reqwest::Response;
use serde_json::Value;

/// A valid customer body.
pub fn customer_body() -> Value {
    serde_json::json!({
        "email": "ada@example.com",
        "date_of_birth": "1990-04-17",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "language": "en"
    })
}

pub async fn json(response: Response) -> Value {
    response.json().await.expect("JSON body")
}

/// The `code` and field codes of a problem response, after checking its content type.
pub async fn problem(response: Response) -> Value {
    let ct = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(ct, "application/problem+json", "problem content type");
    let body = json(response).await;
    assert!(
        body["type"]
            .as_str()
            .unwrap_or_default()
            .starts_with("urn:wiselink:problem:"),
        "{body}"
    );
    assert!(body["title"].is_string(), "{body}");
    body
}

/// `[(field, code)]` of a validation problem.
pub fn field_codes(problem: &Value) -> Vec<(String, String)> {
    problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| {
                    (
                        e["field"].as_str().unwrap_or_default().to_owned(),
                        e["code"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The id part of an API key `wl_<12 hex id>_<secret>`.
pub fn key_id(key: &str) -> &str {
    &key[3..15]
}

/// The secret part of an API key (it may itself contain `_`).
pub fn key_secret(key: &str) -> &str {
    &key[16..]
}
