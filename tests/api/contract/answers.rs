//! Every answer the simulator gives that Wise's spec documents validates against its schema.

use super::{Spec, check};
use crate::helpers::{registration_code, spawn_sim};
use secrecy::ExposeSecret;
use serde_json::json;

#[tokio::test]
async fn every_documented_simulator_answer_matches_wise_schemas() {
    let spec = Spec::load();
    let sim = spawn_sim().await;
    let basic =
        |r: reqwest::RequestBuilder| r.basic_auth("wiselink-dev", Some("wiselink-dev-secret"));
    let token = |form: Vec<(&'static str, String)>| {
        basic(sim.http.post(sim.url("/oauth/token"))).form(&form)
    };
    let mut validated: Vec<String> = Vec::new();
    let mut note = |method: &str, path: &str, status: u16, ok: bool| {
        assert!(
            ok,
            "{method} {path} → {status} is documented by the spec and was expected to be checked"
        );
        validated.push(format!("{method} {path} {status}"));
    };

    let (s, body, ok) = check(
        &spec,
        token(vec![("grant_type", "client_credentials".into())]),
        "POST",
        "/oauth/token",
    )
    .await;
    note("POST", "/oauth/token", s, ok);
    let cc = body["access_token"].as_str().unwrap().to_owned();
    let (s, _, ok) = check(&spec, token(vec![]), "POST", "/oauth/token").await;
    note("POST", "/oauth/token", s, ok && s == 400);

    sim.seed(
        "existing@example.com",
        json!({"profiles": ["personal", "business"]}),
    )
    .await;
    sim.seed("nodob@example.com", json!({"date_of_birth": null}))
        .await;
    let rc = registration_code();
    let signup = |email: &str, send: bool| {
        sim.http
            .post(sim.url("/v1/user/signup/registration_code"))
            .bearer_auth(&cc)
            .json(&json!({"email": email, "registrationCode": rc.expose_secret(), "sendAuthorizationCodeAsEmail": send}))
    };
    let (s, created, ok) = check(
        &spec,
        signup("created@example.com", false),
        "POST",
        "/v1/user/signup/registration_code",
    )
    .await;
    note("POST", "signup", s, ok && s == 200);
    let (s, _, ok) = check(
        &spec,
        signup("existing@example.com", true),
        "POST",
        "/v1/user/signup/registration_code",
    )
    .await;
    note("POST", "signup", s, ok && s == 409);
    check(
        &spec,
        signup("nodob@example.com", true),
        "POST",
        "/v1/user/signup/registration_code",
    )
    .await;
    let exists = sim
        .http
        .post(sim.url("/v1/users/exists"))
        .bearer_auth(&cc)
        .json(&json!({"email": "existing@example.com"}));
    let (s, _, ok) = check(&spec, exists, "POST", "/v1/users/exists").await;
    note("POST", "/v1/users/exists", s, ok);

    let grant = vec![
        ("grant_type", "registration_code".to_owned()),
        ("client_id", "wiselink-dev".to_owned()),
        ("email", "created@example.com".to_owned()),
        ("registration_code", rc.expose_secret().to_owned()),
    ];
    let (s, created_tokens, ok) = check(&spec, token(grant.clone()), "POST", "/oauth/token").await;
    note("POST", "/oauth/token registration_code", s, ok);
    let mut wrong = grant;
    wrong[3].1 = "x".repeat(40);
    let (s, _, ok) = check(&spec, token(wrong), "POST", "/oauth/token").await;
    note(
        "POST",
        "/oauth/token bad registration code",
        s,
        ok && s == 401,
    );
    let created_access = created_tokens["access_token"].as_str().unwrap().to_owned();

    let mut linked = Vec::new();
    for email in ["existing@example.com", "nodob@example.com"] {
        let code = sim.latest_code(email).await;
        let form = vec![
            ("grant_type", "authorization_code".to_owned()),
            ("client_id", "wiselink-dev".to_owned()),
            ("code", code),
            (
                "redirect_uri",
                "http://127.0.0.1:8080/oauth/callback".to_owned(),
            ),
        ];
        let (s, tokens, ok) = check(&spec, token(form), "POST", "/oauth/token").await;
        note("POST", "/oauth/token authorization_code", s, ok);
        let refresh = vec![
            ("grant_type", "refresh_token".to_owned()),
            (
                "refresh_token",
                tokens["refresh_token"].as_str().unwrap().to_owned(),
            ),
        ];
        let (s, tokens, ok) = check(&spec, token(refresh), "POST", "/oauth/token").await;
        note("POST", "/oauth/token refresh_token", s, ok);
        linked.push(tokens["access_token"].as_str().unwrap().to_owned());
    }

    for access in linked.iter().chain([&created_access]) {
        let (s, me, ok) = check(
            &spec,
            sim.http.get(sim.url("/v1/me")).bearer_auth(access),
            "GET",
            "/v1/me",
        )
        .await;
        note("GET", "/v1/me", s, ok);
        let id = me["id"].as_i64().unwrap();
        let path = format!("/v1/users/{id}");
        let (s, _, ok) = check(
            &spec,
            sim.http.get(sim.url(&path)).bearer_auth(access),
            "GET",
            &path,
        )
        .await;
        note("GET", &path, s, ok);
        let (s, profiles, ok) = check(
            &spec,
            sim.http.get(sim.url("/v2/profiles")).bearer_auth(access),
            "GET",
            "/v2/profiles",
        )
        .await;
        note("GET", "/v2/profiles", s, ok);
        for p in profiles.as_array().unwrap() {
            let path = format!("/v2/profiles/{}", p["id"]);
            let (s, _, ok) = check(
                &spec,
                sim.http.get(sim.url(&path)).bearer_auth(access),
                "GET",
                &path,
            )
            .await;
            note("GET", &path, s, ok);
        }
    }
    let claim = sim
        .http
        .post(sim.url("/v1/user/claim-account"))
        .bearer_auth(&created_access)
        .json(&json!({"registrationCode": rc.expose_secret()}));
    let (s, _, ok) = check(&spec, claim, "POST", "/v1/user/claim-account").await;
    note("POST", "/v1/user/claim-account", s, ok);
    assert!(created["id"].is_i64());

    // Every operation's rate-limit answer.
    let access = linked[0].clone();
    let ops: Vec<(&str, &str, reqwest::RequestBuilder)> = vec![
        (
            "POST",
            "/oauth/token",
            token(vec![("grant_type", "client_credentials".into())]),
        ),
        (
            "POST",
            "/v1/user/signup/registration_code",
            signup("rate@example.com", false),
        ),
        (
            "POST",
            "/v1/users/exists",
            sim.http
                .post(sim.url("/v1/users/exists"))
                .bearer_auth(&cc)
                .json(&json!({"email": "x@example.com"})),
        ),
        (
            "GET",
            "/v1/me",
            sim.http.get(sim.url("/v1/me")).bearer_auth(&access),
        ),
        (
            "POST",
            "/v1/user/claim-account",
            sim.http
                .post(sim.url("/v1/user/claim-account"))
                .bearer_auth(&access)
                .json(&json!({"registrationCode": "x"})),
        ),
        (
            "GET",
            "/v2/profiles",
            sim.http.get(sim.url("/v2/profiles")).bearer_auth(&access),
        ),
    ];
    for (method, path, request) in ops {
        sim.fault(json!({"endpoint": path, "status": 429, "retry_after": 2}))
            .await;
        let (s, _, ok) = check(&spec, request, method, path).await;
        note(method, path, s, ok && s == 429);
    }
    assert!(validated.len() >= 30, "{validated:#?}");
}

#[test]
fn a_response_that_breaks_the_schema_is_caught() {
    let spec = Spec::load();
    let pointer = spec.response_schema("/v2/profiles", "get", 200).unwrap();
    let validator = spec.validator(&pointer);
    assert!(
        validator.is_valid(&json!([{"type": "PERSONAL", "id": 1, "dateOfBirth": "1990-01-01"}]))
    );
    assert!(
        !validator.is_valid(&json!([{"type": "PERSONAL", "id": "one"}])),
        "id must be an integer"
    );
    assert!(
        !validator.is_valid(&json!([{"type": "ROBOT", "id": 1}])),
        "type is PERSONAL or BUSINESS"
    );
    let token = spec.validator(&spec.request_schema(
        "/oauth/token",
        "post",
        "application/x-www-form-urlencoded",
    ));
    assert!(
        !token.is_valid(&json!({"grant_type": "authorization_code", "code": "abc"})),
        "client_id and redirect_uri are required"
    );
}
