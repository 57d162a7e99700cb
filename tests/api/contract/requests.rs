//! Every request the client sends validates against the operation's request schema.

use super::{Spec, assert_valid};
use crate::helpers::{registration_code, spawn_sim};
use wiselink::wise::CreateUserOutcome;

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
