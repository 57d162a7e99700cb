//! Staff sessions: the cookie's flags, a fresh id at each sign-in, idle and absolute limits on
//! the injected clock, everything that ends all of an account's sessions, and the refusals every
//! POST goes through (cross-site, missing or foreign form token).

use crate::helpers::{STAFF_PASSWORD, set_cookie_value, spawn_app, spawn_app_with};
use chrono::Duration;
use reqwest::StatusCode;

#[tokio::test]
async fn the_session_cookie_is_host_only_secure_http_only_and_strict() {
    let app = spawn_app().await;
    app.add_staff("ada", "reviewer");
    let mut browser = app.anonymous();
    let answer = browser.login("ada", STAFF_PASSWORD).await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    assert_eq!(answer.headers()["location"], "/staff");
    let cookie = answer.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("__Host-wiselink-staff="), "{cookie}");
    for flag in ["Secure", "HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.split("; ").any(|p| p == flag), "{flag} in {cookie}");
    }
    assert!(!cookie.contains("Domain="), "{cookie}");
    let id = set_cookie_value(&answer).unwrap();
    assert!(id.len() >= 43, "256 random bits, base64url");
    let page = browser.page("/staff").await;
    assert!(!page.contains(&id), "the session id is never in a page");
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM staff_sessions").await,
        1,
        "stored, hashed"
    );

    // A second sign-in in the same browser gets a new id and ends the old session.
    let old = browser.cookie.clone().unwrap();
    browser.login("ada", STAFF_PASSWORD).await;
    let new = browser.cookie.clone().unwrap();
    assert_ne!(old, new);
    let mut stale = app.anonymous();
    stale.cookie = Some(old);
    assert_eq!(stale.get("/staff").await.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM staff_sessions").await,
        1
    );
}

#[tokio::test]
async fn sessions_end_when_idle_and_after_eight_hours_however_busy() {
    let app = spawn_app().await;
    app.add_staff("ada", "viewer");
    let browser = app.staff("ada").await;
    app.advance(Duration::minutes(14));
    assert_eq!(
        browser.get("/staff").await.status(),
        StatusCode::OK,
        "14 min idle is fine"
    );
    app.advance(Duration::minutes(15));
    let answer = browser.get("/staff").await;
    assert_eq!(
        answer.status(),
        StatusCode::SEE_OTHER,
        "15 min idle ends it"
    );
    assert_eq!(answer.headers()["location"], "/staff/login");

    let busy = app.staff("ada").await;
    for _ in 0..47 {
        app.advance(Duration::minutes(10));
        assert_eq!(busy.get("/staff").await.status(), StatusCode::OK);
    }
    app.advance(Duration::minutes(10));
    assert_eq!(
        busy.get("/staff").await.status(),
        StatusCode::SEE_OTHER,
        "8 h after sign-in, however busy"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM staff_audit WHERE event IN ('session_idle_timeout', 'session_absolute_timeout')").await,
        2
    );
}

#[tokio::test]
async fn timeouts_are_configurable() {
    let app = spawn_app_with(&[("WISELINK__STAFF__SESSION_IDLE_MINUTES", "2")]).await;
    app.add_staff("ada", "viewer");
    let browser = app.staff("ada").await;
    app.advance(Duration::minutes(3));
    assert_eq!(browser.get("/staff").await.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn logout_disable_reset_and_role_change_end_every_session_of_the_account() {
    let app = spawn_app().await;
    app.add_staff("ada", "reviewer");
    app.add_staff("bob", "reviewer");
    // Each way to end an account's sessions, as the CLI commands that do it.
    let enders: [(&str, &[&[&str]]); 3] = [
        (
            "disable",
            &[&["staff", "disable", "ada"], &["staff", "enable", "ada"]],
        ),
        (
            "reset-password",
            &[&["staff", "reset-password", "ada", "--password-stdin"]],
        ),
        ("set-role", &[&["staff", "set-role", "ada", "viewer"]]),
    ];
    for (name, end) in enders {
        let (laptop, phone, other) = (
            app.staff("ada").await,
            app.staff("ada").await,
            app.staff("bob").await,
        );
        for args in end {
            let out = app.staff_cli(args, Some(STAFF_PASSWORD));
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        assert_eq!(
            laptop.get("/staff").await.status(),
            StatusCode::SEE_OTHER,
            "{name}"
        );
        assert_eq!(
            phone.get("/staff").await.status(),
            StatusCode::SEE_OTHER,
            "{name}"
        );
        assert_eq!(
            other.get("/staff").await.status(),
            StatusCode::OK,
            "{name}: other accounts keep theirs"
        );
    }
    let (laptop, phone) = (app.staff("ada").await, app.staff("ada").await);
    let out = laptop.post("/staff", "/staff/logout", &[]).await;
    assert_eq!(out.status(), StatusCode::OK);
    assert!(
        out.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0"),
        "the cookie is cleared"
    );
    assert_eq!(
        phone.get("/staff").await.status(),
        StatusCode::SEE_OTHER,
        "sign-out ends them all"
    );
}

#[tokio::test]
async fn every_post_needs_our_origin_and_the_sessions_form_token() {
    let app = spawn_app().await;
    app.add_staff("root", "admin");
    let admin = app.staff("root").await;
    let page = admin.page("/staff/admin").await;
    let token = crate::helpers::form_value(&page, "csrf");
    let add = |csrf: &str| {
        vec![
            ("csrf", csrf.to_owned()),
            ("username", "eve".to_owned()),
            ("role", "admin".to_owned()),
            ("password", STAFF_PASSWORD.to_owned()),
            ("your_password", STAFF_PASSWORD.to_owned()),
        ]
    };
    let as_refs = |v: &Vec<(&'static str, String)>| {
        v.iter().map(|(k, v)| (*k, v.clone())).collect::<Vec<_>>()
    };
    type Refusal<'a> = (&'a str, Vec<(&'a str, String)>, Vec<(&'a str, &'a str)>);
    let refusals: Vec<Refusal> = vec![
        ("no token", add(""), vec![("Sec-Fetch-Site", "same-origin")]),
        (
            "foreign token",
            add("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
            vec![("Sec-Fetch-Site", "same-origin")],
        ),
        (
            "cross-site",
            add(&token),
            vec![("Sec-Fetch-Site", "cross-site")],
        ),
        (
            "same-site",
            add(&token),
            vec![("Sec-Fetch-Site", "same-site")],
        ),
        (
            "foreign Origin",
            add(&token),
            vec![("Origin", "https://evil.example")],
        ),
        ("Origin null", add(&token), vec![("Origin", "null")]),
    ];
    for (name, form, headers) in refusals {
        let form = as_refs(&form);
        let borrowed: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let answer = admin
            .send_form_with("/staff/admin/staff", &borrowed, &headers)
            .await;
        assert_eq!(answer.status(), StatusCode::FORBIDDEN, "{name}");
    }
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM staff_users WHERE username = 'eve'")
            .await,
        0,
        "nothing written by a refused post"
    );
    let form = as_refs(&add(&token));
    let borrowed: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let answer = admin.send_form("/staff/admin/staff", &borrowed).await;
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM staff_users WHERE username = 'eve'")
            .await,
        1
    );
    let other = app.staff("eve").await;
    let theirs = crate::helpers::form_value(&other.page("/staff").await, "csrf");
    assert_ne!(theirs, token, "each session has its own form token");
}
