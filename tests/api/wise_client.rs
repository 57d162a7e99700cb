//! The Wise client against the simulator, over HTTP: every operation, error variant and fault.

use crate::helpers::{registration_code, spawn_sim, spawn_sim_with};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use std::time::{Duration, Instant};
use wiselink::wise::{CreateUserOutcome, ErrorBody, ProfileKind, WiseError};

#[tokio::test]
async fn client_credentials_token_is_cached_and_fetched_once_under_concurrency() {
    let sim = spawn_sim().await;
    let calls = (0..50).map(|_| sim.wise.client_token());
    let tokens: Vec<SecretString> = futures_util::future::try_join_all(calls).await.unwrap();
    assert!(
        tokens
            .iter()
            .all(|t| t.expose_secret() == tokens[0].expose_secret())
    );
    sim.wise.client_token().await.unwrap();
    assert_eq!(
        sim.calls_to("/oauth/token").await,
        1,
        "one fetch for 51 callers"
    );
}

#[tokio::test]
async fn client_token_is_renewed_within_the_refresh_margin() {
    let sim = spawn_sim_with(&[("WISELINK__WISE__TOKEN_REFRESH_MARGIN_SECS", "43199")]).await;
    // A margin as long as the token's life makes every cached token due for renewal.
    sim.wise.client_token().await.unwrap();
    sim.wise.client_token().await.unwrap();
    assert_eq!(sim.calls_to("/oauth/token").await, 2);
}

#[tokio::test]
async fn a_client_token_wise_rejects_is_replaced_and_the_call_repeated_once() {
    let sim = spawn_sim().await;
    sim.wise.client_token().await.unwrap();
    // Wise's clock passes the token's 12 hours; the client's cache does not know yet.
    sim.advance(13 * 3600).await;
    let created = sim
        .wise
        .create_user("late@example.com", &registration_code(), "EN", false)
        .await
        .unwrap();
    assert!(matches!(created, CreateUserOutcome::Created(_)));
    let paths: Vec<(String, u64)> = sim
        .calls()
        .await
        .iter()
        .map(|c| {
            (
                c["path"].as_str().unwrap().to_owned(),
                c["status"].as_u64().unwrap(),
            )
        })
        .collect();
    let expected = [
        ("/oauth/token", 200),
        ("/v1/user/signup/registration_code", 401),
        ("/oauth/token", 200),
        ("/v1/user/signup/registration_code", 200),
    ];
    assert_eq!(paths, expected.map(|(p, s)| (p.to_owned(), s)));
}

#[tokio::test]
async fn create_user_then_the_same_email_is_a_typed_already_exists() {
    let sim = spawn_sim().await;
    let code = registration_code();
    let created = sim
        .wise
        .create_user("new.user@example.com", &code, "EN", false)
        .await
        .unwrap();
    let CreateUserOutcome::Created(user) = created else {
        panic!("{created:?}")
    };
    assert!(user.id > 0 && user.trace_id.is_some());
    assert!(
        sim.wise.user_exists("NEW.USER@example.com").await.unwrap(),
        "emails match without case"
    );
    assert!(
        !sim.wise
            .user_exists("someone.else@example.com")
            .await
            .unwrap()
    );

    let again = sim
        .wise
        .create_user("New.User@example.com", &registration_code(), "EN", false)
        .await
        .unwrap();
    assert!(
        matches!(
            again,
            CreateUserOutcome::AlreadyExists { trace_id: Some(_) }
        ),
        "{again:?}"
    );
    assert!(
        sim.mailbox("new.user@example.com").await.is_empty(),
        "no email without the flag"
    );

    let tokens = sim
        .wise
        .registration_code_grant("new.user@example.com", &code)
        .await
        .unwrap();
    let me = sim.wise.me(&tokens.access_token).await.unwrap();
    assert_eq!(me.id, user.id);
    assert!(
        me.details.is_none() && me.date_of_birth().is_none(),
        "a fresh user has no details"
    );
    assert!(
        sim.wise
            .profiles(&tokens.access_token)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn signup_also_accepts_201_created() {
    let sim = spawn_sim().await;
    sim.variants(json!({"signup_status": 201})).await;
    let created = sim
        .wise
        .create_user("x201@example.com", &registration_code(), "EN", false)
        .await
        .unwrap();
    assert!(matches!(created, CreateUserOutcome::Created(_)));
}

#[tokio::test]
async fn signup_validation_errors_keep_wise_fields() {
    let sim = spawn_sim().await;
    let short = SecretString::from("too-short".to_owned());
    let err = sim
        .wise
        .create_user("a@example.com", &short, "EN", false)
        .await
        .unwrap_err();
    let api = err.api().unwrap();
    assert_eq!(api.status, 400);
    let item = api.body.item("Size").unwrap();
    assert_eq!(
        (item.path.as_deref(), item.arguments.clone()),
        (
            Some("registrationCode"),
            vec!["2147483647".to_owned(), "32".to_owned()]
        )
    );
    let err = sim
        .wise
        .create_user("not-an-email", &registration_code(), "EN", false)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(422));
    assert_eq!(
        err.api()
            .unwrap()
            .body
            .item("ERROR")
            .unwrap()
            .path
            .as_deref(),
        Some("email")
    );
    assert_eq!(
        sim.calls_to("/v1/user/signup/registration_code").await,
        2,
        "4xx are not retried"
    );
}

#[tokio::test]
async fn email_flow_code_is_exchanged_once_and_reuse_is_invalid_grant() {
    let sim = spawn_sim().await;
    let user = sim.seed("ada@example.com", json!({})).await;
    let outcome = sim
        .wise
        .create_user("ada@example.com", &registration_code(), "EN", true)
        .await
        .unwrap();
    assert!(matches!(outcome, CreateUserOutcome::AlreadyExists { .. }));
    let mail = sim.mailbox("ada@example.com").await;
    assert_eq!(mail.len(), 1);
    let code = mail[0]["authorization_code"].as_str().unwrap().to_owned();
    assert!(
        code.len() == 6 && code.chars().all(|c| c.is_ascii_alphanumeric()),
        "{code}"
    );
    assert!(
        mail[0]["text"]
            .as_str()
            .unwrap()
            .contains("/oauth/authorize/email/")
    );

    let code = SecretString::from(code);
    let tokens = sim.wise.authorization_code_grant(&code).await.unwrap();
    assert!(tokens.expires_at > chrono::Utc::now() + chrono::Duration::hours(11));
    let profiles = sim.wise.profiles(&tokens.access_token).await.unwrap();
    assert_eq!(profiles.len(), 1);
    assert_eq!(profiles[0].kind, ProfileKind::Personal);
    assert_eq!(profiles[0].user_id, Some(user.user_id));
    assert_eq!(profiles[0].date_of_birth.unwrap().to_string(), "1990-04-17");
    let one = sim
        .wise
        .profile(&tokens.access_token, user.profile_id.unwrap())
        .await
        .unwrap();
    assert_eq!(one, profiles[0]);
    assert_eq!(
        sim.wise
            .me(&tokens.access_token)
            .await
            .unwrap()
            .date_of_birth()
            .unwrap()
            .to_string(),
        "1990-04-17"
    );

    let reused = sim.wise.authorization_code_grant(&code).await.unwrap_err();
    assert!(reused.is_invalid_grant(), "{reused:?}");
}

#[tokio::test]
async fn the_code_exchange_is_never_retried_even_on_503_or_a_lost_answer() {
    let sim = spawn_sim().await;
    sim.seed("bo@example.com", json!({})).await;
    let code = sim.emailed_code("bo@example.com").await;

    sim.fault(json!({"endpoint": "/oauth/token", "status": 503, "count": 3}))
        .await;
    let before = sim.calls_to("/oauth/token").await;
    let err = sim.wise.authorization_code_grant(&code).await.unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert_eq!(sim.calls_to("/oauth/token").await - before, 1);
    sim.control(reqwest::Method::DELETE, "/__sim/faults", None)
        .await;

    sim.fault(json!({"endpoint": "/oauth/token", "drop_response": true}))
        .await;
    let err = sim.wise.authorization_code_grant(&code).await.unwrap_err();
    assert!(
        matches!(err, WiseError::Transport { connect: false, .. }),
        "{err:?}"
    );
    assert_eq!(
        sim.calls_to("/oauth/token").await - before,
        2,
        "one more call, not retried"
    );
    let again = sim.wise.authorization_code_grant(&code).await.unwrap_err();
    assert!(
        again.is_invalid_grant(),
        "the lost exchange used the code up"
    );
}

#[tokio::test]
async fn refresh_kills_the_previous_access_token() {
    let sim = spawn_sim().await;
    let (_, first) = sim.linked_user("cy@example.com").await;
    let second = sim.wise.refresh(&first.refresh_token).await.unwrap();
    let err = sim.wise.me(&first.access_token).await.unwrap_err();
    assert!(err.is_invalid_token(), "{err:?}");
    assert_eq!(
        err.api().unwrap().body,
        ErrorBody::OAuth {
            error: "invalid_token".into(),
            description: None
        },
        "the echoed token is dropped"
    );
    assert!(sim.wise.me(&second.access_token).await.is_ok());
    assert_eq!(
        second.refresh_token.expose_secret(),
        first.refresh_token.expose_secret(),
        "refresh token kept by default"
    );
}

#[tokio::test]
async fn a_new_grant_kills_the_old_refresh_token_but_not_the_last_access_token() {
    let sim = spawn_sim().await;
    let code = registration_code();
    sim.wise
        .create_user("dee@example.com", &code, "EN", false)
        .await
        .unwrap();
    let first = sim
        .wise
        .registration_code_grant("dee@example.com", &code)
        .await
        .unwrap();
    let second = sim
        .wise
        .registration_code_grant("dee@example.com", &code)
        .await
        .unwrap();
    assert!(
        sim.wise
            .refresh(&first.refresh_token)
            .await
            .unwrap_err()
            .is_invalid_grant()
    );
    assert!(sim.wise.me(&first.access_token).await.is_ok());
    assert!(sim.wise.refresh(&second.refresh_token).await.is_ok());
}

#[tokio::test]
async fn reclaimed_users_fail_the_registration_code_grant_with_either_status() {
    for status in [401, 400] {
        let sim = spawn_sim().await;
        sim.variants(json!({"reclaimed_status": status})).await;
        let code = registration_code();
        let CreateUserOutcome::Created(user) = sim
            .wise
            .create_user("ed@example.com", &code, "EN", false)
            .await
            .unwrap()
        else {
            panic!("not created")
        };
        let tokens = sim
            .wise
            .registration_code_grant("ed@example.com", &code)
            .await
            .unwrap();
        let claim = sim
            .wise
            .claim_account_code(&tokens.access_token, &code)
            .await
            .unwrap();
        assert!(!claim.expose_secret().is_empty());
        sim.user_action(user.id, "reclaim", None).await;
        let err = sim
            .wise
            .registration_code_grant("ed@example.com", &code)
            .await
            .unwrap_err();
        assert!(err.is_invalid_grant());
        assert_eq!(err.status(), Some(status));
        assert_eq!(
            sim.calls_to("/oauth/token").await,
            3,
            "invalid_grant is not retried ({status})"
        );
    }
}

#[tokio::test]
async fn email_changed_at_wise_revokes_tokens_with_either_status() {
    for status in [400, 403] {
        let sim = spawn_sim().await;
        sim.variants(json!({"email_changed_status": status})).await;
        let (user, tokens) = sim.linked_user("fay@example.com").await;
        sim.user_action(
            user.user_id,
            "change-email",
            Some(json!({"email": "fay.new@example.com"})),
        )
        .await;
        let err = sim.wise.refresh(&tokens.refresh_token).await.unwrap_err();
        assert!(err.is_invalid_grant());
        assert_eq!(err.status(), Some(status));
        assert!(
            sim.wise
                .me(&tokens.access_token)
                .await
                .unwrap_err()
                .is_invalid_token()
        );
    }
}

#[tokio::test]
async fn deactivated_and_revoked_users_lose_access() {
    let sim = spawn_sim().await;
    let (gus, gus_tokens) = sim.linked_user("gus@example.com").await;
    sim.user_action(gus.user_id, "revoke", None).await;
    assert!(
        sim.wise
            .me(&gus_tokens.access_token)
            .await
            .unwrap_err()
            .is_invalid_token()
    );
    assert!(
        sim.wise
            .refresh(&gus_tokens.refresh_token)
            .await
            .unwrap_err()
            .is_invalid_grant()
    );

    let (hal, hal_tokens) = sim.linked_user("hal@example.com").await;
    sim.user_action(hal.user_id, "deactivate", None).await;
    assert_eq!(
        sim.wise
            .profiles(&hal_tokens.access_token)
            .await
            .unwrap_err()
            .status(),
        Some(401)
    );
    assert!(
        sim.wise
            .refresh(&hal_tokens.refresh_token)
            .await
            .unwrap_err()
            .is_invalid_grant()
    );
}

#[tokio::test]
async fn business_only_and_profileless_users_and_other_users_data() {
    let sim = spawn_sim().await;
    sim.seed("biz@example.com", json!({"business": true})).await;
    sim.seed("none@example.com", json!({"profiles": []})).await;
    sim.seed("nodob@example.com", json!({"date_of_birth": null}))
        .await;
    let other = sim.seed("other@example.com", json!({})).await;
    for (email, expected) in [
        ("biz@example.com", vec![ProfileKind::Business]),
        ("none@example.com", vec![]),
        ("nodob@example.com", vec![ProfileKind::Personal]),
    ] {
        let code = sim.emailed_code(email).await;
        let tokens = sim.wise.authorization_code_grant(&code).await.unwrap();
        let profiles = sim.wise.profiles(&tokens.access_token).await.unwrap();
        assert_eq!(
            profiles.iter().map(|p| p.kind).collect::<Vec<_>>(),
            expected,
            "{email}"
        );
        assert!(
            profiles.iter().all(|p| p.date_of_birth.is_none()),
            "{email}: no DOB"
        );
        let err = sim
            .wise
            .profile(&tokens.access_token, other.profile_id.unwrap())
            .await
            .unwrap_err();
        assert_eq!(err.status(), Some(403));
        assert!(matches!(err.api().unwrap().body, ErrorBody::Spring { .. }));
        assert_eq!(
            sim.wise
                .user(&tokens.access_token, other.user_id)
                .await
                .unwrap_err()
                .status(),
            Some(403)
        );
    }
}

#[tokio::test]
async fn retry_after_on_429_is_honoured() {
    let sim = spawn_sim().await;
    let (_, tokens) = sim.linked_user("ivy@example.com").await;
    sim.fault(json!({"endpoint": "/v1/me", "status": 429, "retry_after": 1}))
        .await;
    let started = Instant::now();
    sim.wise.me(&tokens.access_token).await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited {:?}",
        started.elapsed()
    );
    assert_eq!(sim.calls_to("/v1/me").await, 2);

    sim.fault(json!({"endpoint": "/v1/me", "status": 429, "retry_after": 3600}))
        .await;
    let started = Instant::now();
    let err = sim.wise.me(&tokens.access_token).await.unwrap_err();
    assert_eq!(err.status(), Some(429));
    assert_eq!(err.retry_after(), Some(Duration::from_secs(3600)));
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "a wait beyond the cap is not taken"
    );
}

#[tokio::test]
async fn server_errors_and_lost_answers_are_retried_at_most_three_times_where_safe() {
    let sim = spawn_sim().await;
    let (_, tokens) = sim.linked_user("jo@example.com").await;
    sim.fault(json!({"endpoint": "/v2/profiles", "status": 502, "count": 2}))
        .await;
    assert_eq!(
        sim.wise.profiles(&tokens.access_token).await.unwrap().len(),
        1
    );
    assert_eq!(sim.calls_to("/v2/profiles").await, 3);

    sim.fault(json!({"endpoint": "/v2/profiles", "status": 503, "count": 5}))
        .await;
    let err = sim.wise.profiles(&tokens.access_token).await.unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert!(err.trace_id().is_some() && err.is_transient());
    assert_eq!(
        sim.calls_to("/v2/profiles").await,
        6,
        "three more attempts, no more"
    );
    sim.control(reqwest::Method::DELETE, "/__sim/faults", None)
        .await;

    sim.fault(json!({"endpoint": "/oauth/token", "drop_response": true}))
        .await;
    let refreshed = sim.wise.refresh(&tokens.refresh_token).await.unwrap();
    assert!(
        sim.wise.me(&refreshed.access_token).await.is_ok(),
        "the retried refresh is the live one"
    );

    sim.fault(json!({"endpoint": "/v1/user/signup/registration_code", "status": 503}))
        .await;
    let err = sim
        .wise
        .create_user("kit@example.com", &registration_code(), "EN", false)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert_eq!(
        sim.calls_to("/v1/user/signup/registration_code").await,
        2,
        "signup is not repeated after a 5xx"
    );
}

#[tokio::test]
async fn slow_answers_time_out_and_unreachable_wise_is_a_connect_error() {
    let sim = spawn_sim_with(&[
        ("WISELINK__WISE__REQUEST_TIMEOUT_MS", "300"),
        ("WISELINK__WISE__MAX_ATTEMPTS", "1"),
    ])
    .await;
    sim.fault(json!({"endpoint": "/oauth/token", "latency_ms": 1000}))
        .await;
    let err = sim.wise.client_token().await.unwrap_err();
    assert!(
        matches!(err, WiseError::Transport { timeout: true, .. }),
        "{err:?}"
    );

    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let api = format!("http://127.0.0.1:{closed}");
    let nowhere = spawn_sim_with(&[("WISELINK__WISE__API_URL", api.as_str())]).await;
    let err = nowhere.wise.client_token().await.unwrap_err();
    assert!(
        matches!(err, WiseError::Transport { connect: true, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn claim_account_flow_through_the_authorize_page() {
    let sim = spawn_sim().await;
    let code = registration_code();
    sim.wise
        .create_user("liv@example.com", &code, "EN", false)
        .await
        .unwrap();
    let tokens = sim
        .wise
        .registration_code_grant("liv@example.com", &code)
        .await
        .unwrap();
    let claim = sim
        .wise
        .claim_account_code(&tokens.access_token, &code)
        .await
        .unwrap();
    let state = SecretString::from("st4te".to_owned());
    let url = sim.wise.authorize_url(&state, Some(&claim)).unwrap();
    let query: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(query["client_id"], "wiselink-dev");
    assert_eq!(query["redirect_uri"], sim.settings.wise.redirect_uri);
    assert_eq!(query["claim_account_code"], claim.expose_secret());

    let page = sim.http.get(url.as_str()).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("Set up your Wise account")
    );
    let form = [
        ("client_id", "wiselink-dev"),
        ("redirect_uri", query["redirect_uri"].as_str()),
        ("state", "st4te"),
        ("claim_account_code", claim.expose_secret()),
        ("decision", "allow"),
    ];
    let done = sim
        .http
        .post(sim.url("/oauth/authorize/"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 302);
    let location = url::Url::parse(done.headers()["location"].to_str().unwrap()).unwrap();
    let back: std::collections::HashMap<_, _> = location.query_pairs().into_owned().collect();
    assert_eq!(back["state"], "st4te");
    assert!(
        back.contains_key("code") && !back.contains_key("profileId"),
        "no profile yet: {back:?}"
    );
    let linked = sim
        .wise
        .authorization_code_grant(&SecretString::from(back["code"].clone()))
        .await
        .unwrap();
    assert!(sim.wise.me(&linked.access_token).await.is_ok());
    assert!(
        sim.wise
            .registration_code_grant("liv@example.com", &code)
            .await
            .unwrap_err()
            .is_invalid_grant(),
        "reclaimed now"
    );

    let late = sim
        .wise
        .claim_account_code(&tokens.access_token, &code)
        .await;
    assert_eq!(
        late.unwrap_err().status(),
        Some(400),
        "a reclaimed user gets no claim code"
    );
}
