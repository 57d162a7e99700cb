//! User tokens: the code exchange, refresh, new grants, and every way Wise takes access away;
//! profiles as each kind of user has them.

use crate::helpers::{registration_code, spawn_sim};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use wiselink::wise::{CreateUserOutcome, ErrorBody, ProfileKind};

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
    let (code, first) = sim.created_user("dee@example.com").await;
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
