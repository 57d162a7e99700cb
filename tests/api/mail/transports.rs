//! The dev and file transports.

use super::*;

#[tokio::test]
async fn the_dev_transport_keeps_mail_for_the_dev_mailbox() {
    let app = spawn_app_with(&[("WISELINK__MAIL__TRANSPORT", "dev")]).await;
    customer(&app, "c-v", "dev.box@example.com", Some(json!({}))).await;
    let link = json(start(&app, "c-v").await).await;
    let session = link["link_session_token"].as_str().unwrap();
    let mut messages = Vec::new();
    for _ in 0..100 {
        let r = app
            .client
            .get(app.url("/dev/mailbox.json?to=dev.box@example.com"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        messages = r.json::<Vec<Value>>().await.unwrap();
        if !messages.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert_eq!(messages[0]["subject"], "Finish linking your Wise account");
    assert!(messages[0]["text"].as_str().unwrap().contains(session));
    // Oldest first, like the simulator's mailbox, with RFC 3339 times.
    let id = link["id"].as_str().unwrap();
    let code = app.sim().latest_code("dev.box@example.com").await;
    assert_eq!(
        json(submit(&app, id, session, &code).await).await["state"],
        "active"
    );
    for _ in 0..100 {
        messages = json(
            app.client
                .get(app.url("/dev/mailbox.json?to=dev.box@example.com"))
                .send()
                .await
                .unwrap(),
        )
        .await
        .as_array()
        .cloned()
        .unwrap_or_default();
        if messages.len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let subjects: Vec<&str> = messages
        .iter()
        .map(|m| m["subject"].as_str().unwrap())
        .collect();
    assert_eq!(
        subjects,
        [
            "Finish linking your Wise account",
            "Your Wise account is linked"
        ]
    );
    for m in &messages {
        let sent_at = m["sent_at"].as_str().unwrap();
        assert!(
            chrono::DateTime::parse_from_rfc3339(sent_at).is_ok(),
            "{sent_at}"
        );
    }
    let page = app
        .client
        .get(app.url("/dev/mailbox"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(
        page.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Finish linking your Wise account") && html.contains("dev.box@example.com")
    );
    assert!(app.mail.delivered().is_empty(), "nothing left over SMTP");
    // Kept sealed in the database, like everything that can hold a secret.
    assert_eq!(
        app.count(
            "SELECT COUNT(*) AS n FROM outbox WHERE transport = 'dev' AND payload IS NOT NULL"
        )
        .await,
        2,
        "both messages kept"
    );
}

#[tokio::test]
async fn the_dev_mailbox_does_not_exist_with_a_real_transport() {
    let app = spawn_app().await;
    let r = app
        .client
        .get(app.url("/dev/mailbox"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_file_transport_writes_one_eml_per_message() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("outgoing");
    let app = spawn_app_with(&[
        ("WISELINK__MAIL__TRANSPORT", "file"),
        ("WISELINK__MAIL__FILE_DIR", path.to_str().unwrap()),
    ])
    .await;
    customer(&app, "c-f", "file.me@example.com", Some(json!({}))).await;
    start(&app, "c-f").await;
    eventually(
        &app,
        "SELECT COUNT(*) AS n FROM outbox WHERE status = 'sent' AND transport = 'file'",
    )
    .await;
    let files: Vec<_> = std::fs::read_dir(&path)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let raw = std::fs::read_to_string(&files[0]).unwrap();
    assert!(
        raw.contains("To: file.me@example.com") && raw.contains("Message-ID: <"),
        "{raw}"
    );
    assert!(raw.contains("Subject: Finish linking your Wise account"));
}

#[tokio::test]
async fn the_dev_mailbox_answers_only_requests_that_name_this_machine() {
    // A page on another name, re-pointed at 127.0.0.1 by its DNS (rebinding), reaches the port
    // from this machine — but its requests carry its own name.
    let app = spawn_app_with(&[
        ("WISELINK__MAIL__TRANSPORT", "dev"),
        ("WISELINK__SERVER__PUBLIC_URL", "http://wiselink.test:8080"),
    ])
    .await;
    let port = app.address.rsplit(':').next().unwrap().to_owned();
    let hosts = [
        (format!("rebind.example:{port}"), StatusCode::NOT_FOUND),
        (format!("127.0.0.1.nip.io:{port}"), StatusCode::NOT_FOUND),
        ("localhost.evil.example".to_owned(), StatusCode::NOT_FOUND),
        (format!("127.0.0.1:{port}"), StatusCode::OK),
        (format!("localhost:{port}"), StatusCode::OK),
        ("wiselink.test:8080".to_owned(), StatusCode::OK),
    ];
    for path in ["/dev/mailbox", "/dev/mailbox.json"] {
        for (host, expected) in &hosts {
            let r = app
                .client
                .get(app.url(path))
                .header("Host", host)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), *expected, "{path} for {host}");
        }
    }
}
