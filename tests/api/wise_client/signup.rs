//! Signup (a new user, or 409 for an existing email), its validation errors, and claim account.

use crate::helpers::{registration_code, spawn_sim};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use wiselink::wise::CreateUserOutcome;

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
async fn claim_account_flow_through_the_authorize_page() {
    let sim = spawn_sim().await;
    let (code, tokens) = sim.created_user("liv@example.com").await;
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
