//! Contract conformance with Wise's published OpenAPI (the subset in tests/fixtures): every
//! simulator answer the spec documents validates against its schema, and every request the client
//! sends validates against the operation's request schema.

use crate::helpers::{registration_code, spawn_sim};
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use wiselink::wise::CreateUserOutcome;

const SPEC: &str = include_str!("../fixtures/wise-openapi-subset.yml");

struct Spec {
    doc: Value,
}

impl Spec {
    fn load() -> Self {
        Self {
            doc: serde_norway::from_str(SPEC).expect("the OpenAPI subset is YAML"),
        }
    }

    /// A validator for the schema at `pointer`, with the whole document around it so that
    /// `#/components/...` references resolve.
    fn validator(&self, pointer: &str) -> jsonschema::Validator {
        assert!(
            self.doc.pointer(pointer).is_some(),
            "the spec has no schema at {pointer}"
        );
        let mut root = self.doc.clone();
        // A JSON pointer inside a URI fragment: braces of path templates must be percent-encoded.
        root["$ref"] = json!(format!(
            "#{}",
            pointer.replace('{', "%7B").replace('}', "%7D")
        ));
        jsonschema::validator_for(&root).expect("schema compiles")
    }

    /// The operation (spec path template) a concrete path belongs to.
    fn template(&self, path: &str) -> Option<String> {
        let paths = self.doc["paths"].as_object()?;
        paths.keys().find(|t| matches_template(t, path)).cloned()
    }

    fn response_schema(&self, template: &str, method: &str, status: u16) -> Option<String> {
        let responses = format!(
            "/paths/{}/{}/responses",
            escape(template),
            method.to_lowercase()
        );
        let response = format!("{responses}/{status}");
        let mut node = self.doc.pointer(&response)?;
        if let Some(reference) = node.get("$ref").and_then(Value::as_str) {
            node = self.doc.pointer(reference.trim_start_matches('#'))?;
            let pointer = format!(
                "{}/content/application~1json/schema",
                reference.trim_start_matches('#')
            );
            return node
                .pointer("/content/application~1json/schema")
                .map(|_| pointer);
        }
        node.pointer("/content/application~1json/schema")
            .map(|_| format!("{response}/content/application~1json/schema"))
    }

    fn request_schema(&self, template: &str, method: &str, content_type: &str) -> String {
        format!(
            "/paths/{}/{}/requestBody/content/{}/schema",
            escape(template),
            method.to_lowercase(),
            escape(content_type)
        )
    }
}

fn escape(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

fn matches_template(template: &str, path: &str) -> bool {
    let (t, p): (Vec<&str>, Vec<&str>) = (template.split('/').collect(), path.split('/').collect());
    t.len() == p.len()
        && t.iter()
            .zip(&p)
            .all(|(a, b)| (a.starts_with('{') && a.ends_with('}')) || a == b)
}

fn assert_valid(validator: &jsonschema::Validator, instance: &Value, what: &str) {
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} does not match Wise's schema:\n{}\n{instance:#}",
        errors.join("\n")
    );
}

/// Sends a raw request to the simulator and validates the answer when the spec documents it.
/// Returns the body and whether it was validated.
async fn check(
    spec: &Spec,
    request: reqwest::RequestBuilder,
    method: &str,
    path: &str,
) -> (u16, Value, bool) {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    assert!(
        response.headers().contains_key("x-trace-id"),
        "{method} {path}: x-trace-id"
    );
    if status == 429 {
        let retry: u64 = response.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .expect("Retry-After is an integer");
        assert!(retry > 0);
    }
    let body: Value = response.json().await.unwrap_or(Value::Null);
    let template = spec
        .template(path)
        .unwrap_or_else(|| panic!("{path} is not in the spec"));
    match spec.response_schema(&template, method, status) {
        Some(pointer) => {
            assert_valid(
                &spec.validator(&pointer),
                &body,
                &format!("{method} {path} → {status}"),
            );
            (status, body, true)
        }
        None => (status, body, false),
    }
}

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

#[tokio::test]
async fn every_request_the_client_sends_matches_wise_schemas() {
    let spec = Spec::load();
    let sim = spawn_sim().await;
    let rc = registration_code();
    let CreateUserOutcome::Created(user) = sim
        .wise
        .create_user("made@example.com", &rc, "DE", false)
        .await
        .unwrap()
    else {
        panic!("not created")
    };
    assert!(sim.wise.user_exists("made@example.com").await.unwrap());
    let tokens = sim
        .wise
        .registration_code_grant("made@example.com", &rc)
        .await
        .unwrap();
    sim.wise
        .claim_account_code(&tokens.access_token, &rc)
        .await
        .unwrap();
    let refreshed = sim.wise.refresh(&tokens.refresh_token).await.unwrap();
    sim.wise
        .user(&refreshed.access_token, user.id)
        .await
        .unwrap();
    let (seeded, linked) = sim.linked_user("linked@example.com").await;
    sim.wise.me(&linked.access_token).await.unwrap();
    sim.wise.profiles(&linked.access_token).await.unwrap();
    sim.wise
        .profile(&linked.access_token, seeded.profile_id.unwrap())
        .await
        .unwrap();

    let calls = sim.calls().await;
    let mut seen = std::collections::BTreeSet::new();
    for call in &calls {
        let (method, path) = (
            call["method"].as_str().unwrap(),
            call["path"].as_str().unwrap(),
        );
        let template = spec
            .template(path)
            .unwrap_or_else(|| panic!("the client called {path}, which is not in the spec"));
        seen.insert(format!("{method} {template}"));
        if method == "GET" {
            assert!(call["body"].is_null(), "GET {path} sends no body");
            continue;
        }
        let content_type = if template == "/oauth/token" {
            "application/x-www-form-urlencoded"
        } else {
            "application/json"
        };
        let validator = spec.validator(&spec.request_schema(&template, method, content_type));
        assert_valid(
            &validator,
            &call["body"],
            &format!("request {method} {path}"),
        );
    }
    let expected = [
        "GET /v1/me",
        "GET /v1/users/{userId}",
        "GET /v2/profiles",
        "GET /v2/profiles/{profileId}",
        "POST /oauth/token",
        "POST /v1/user/claim-account",
        "POST /v1/user/signup/registration_code",
        "POST /v1/users/exists",
    ];
    assert_eq!(seen.into_iter().collect::<Vec<_>>(), expected);
    let grants: std::collections::BTreeSet<&str> = calls
        .iter()
        .filter_map(|c| c["body"]["grant_type"].as_str())
        .collect();
    assert_eq!(
        grants.into_iter().collect::<Vec<_>>(),
        [
            "authorization_code",
            "client_credentials",
            "refresh_token",
            "registration_code"
        ]
    );
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
