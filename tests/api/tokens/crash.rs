//! `kill -9` of `serve` after Wise answered a refresh and before the answer was committed: the
//! lost refresh's tokens are gone with the process, and the link recovers — by the stored refresh
//! token where Wise keeps it, by re-linking (once, with one email) where Wise rotated it; never a
//! loop of refreshes.

use super::{active_link, refreshes, token_of, works_at_wise};
use crate::helpers::{TestApp, WISELINK, free_port, problem, spawn_app, wait_until_serving};
use reqwest::StatusCode;
use serde_json::json;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A `serve` process on the app's database and simulator whose refresh leases last 5 s.
async fn serve_process(app: &TestApp) -> (Child, String) {
    let port = free_port();
    let authorize = app.sim().url("/oauth/authorize/");
    let child = Command::new(WISELINK)
        .arg("serve")
        .env_clear()
        .env("WISELINK__DATABASE__URL", app.database().url())
        .env("WISELINK__SERVER__PORT", port.to_string())
        .env("WISELINK__SERVER__WORKERS", "1")
        .env("WISELINK__WISE__API_URL", &app.sim().url)
        .env("WISELINK__WISE__AUTHORIZE_URL", authorize)
        .env("WISELINK__WISE__REQUEST_TIMEOUT_MS", "1500")
        .env("WISELINK__TOKENS__LEASE_SECS", "5")
        .env("WISELINK__MAIL__TRANSPORT", "smtp")
        .env("WISELINK__MAIL__SMTP_URL", app.mail.url())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve starts");
    let base = format!("http://127.0.0.1:{port}");
    wait_until_serving(&app.client, &base).await;
    (child, base)
}

/// Makes the link's access token expire in a minute (the simulator's and the process's clocks
/// agree: nobody advanced them), so the next access-token call refreshes first.
async fn expiring(app: &TestApp) {
    let sql = if app.database().is_postgres() {
        "UPDATE link_tokens SET access_expires_at = (now() AT TIME ZONE 'UTC') + INTERVAL '60 seconds'"
    } else {
        "UPDATE link_tokens SET access_expires_at = strftime('%Y-%m-%d %H:%M:%f', 'now', '+60 seconds')"
    };
    app.execute(sql).await.unwrap();
}

/// Starts a refresh in a `serve` process and kills the process with SIGKILL once Wise has acted
/// on it, while the answer is still on its way back.
async fn kill_between_answer_and_commit(app: &TestApp, id: &str) {
    let (mut child, base) = serve_process(app).await;
    expiring(app).await;
    app.sim()
        .fault(json!({"endpoint": "/oauth/token", "answer_latency_ms": 3000}))
        .await;
    let call = tokio::spawn({
        let (client, key, url) = (
            app.client.clone(),
            app.api_key.clone(),
            format!("{base}/v1/links/{id}/access-token"),
        );
        async move { client.post(url).bearer_auth(key).send().await }
    });
    let sent = std::time::Instant::now();
    while refreshes(app).await.iter().all(|c| c["status"] != 200) {
        assert!(
            sent.elapsed() < Duration::from_secs(5),
            "Wise never took the refresh"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.kill().expect("SIGKILL");
    child.wait().unwrap();
    assert!(
        call.await.unwrap().is_err(),
        "the caller lost its answer with the process"
    );
    assert_eq!(refreshes(app).await.len(), 1);
}

#[tokio::test]
async fn a_refresh_lost_with_a_killed_process_is_recovered_with_the_stored_refresh_token() {
    let app = spawn_app().await;
    let id = active_link(&app, "kl-1").await;
    let before = token_of(&app, &id).await;
    kill_between_answer_and_commit(&app, &id).await;
    assert!(
        !works_at_wise(&app, &before).await,
        "Wise replaced the tokens"
    );

    // Once the dead process's lease ends, the next caller finds the refresh in doubt, learns from
    // Wise that the stored token is dead, and refreshes with the stored refresh token.
    let token = token_of(&app, &id).await;
    assert!(works_at_wise(&app, &token).await);
    assert_eq!(refreshes(&app).await.len(), 2);
    assert_eq!(
        app.get_json(&format!("/v1/links/{id}")).await["state"],
        "active"
    );
}

#[tokio::test]
async fn a_refresh_lost_with_a_killed_process_where_tokens_rotate_ends_in_one_relink() {
    let app = spawn_app().await;
    app.sim()
        .variants(json!({"rotate_refresh_tokens": true}))
        .await;
    let id = active_link(&app, "kl-2").await;
    kill_between_answer_and_commit(&app, &id).await;

    for _ in 0..3 {
        let r = app.access_token(&id).await;
        assert_eq!(r.status(), StatusCode::CONFLICT);
        assert_eq!(problem(r).await["code"], "relink_required");
    }
    assert_eq!(refreshes(&app).await.len(), 2, "one more try, then no loop");
    let events = app.event_names(&id).await;
    assert_eq!(
        events.iter().filter(|e| *e == "tokens_lost").count(),
        1,
        "{events:?}"
    );
    let mail = app.mail.wait_for("kl-2@example.com", 3).await;
    assert_eq!(
        mail.iter()
            .filter(|m| m.subject == "Reconnect your Wise account")
            .count(),
        1
    );
}
