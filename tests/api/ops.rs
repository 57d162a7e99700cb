use crate::helpers::{awaiting_code, json, problem, spawn_app, spawn_app_mailing_to};
use crate::mail_sink::MailSink;
use reqwest::StatusCode;

#[tokio::test]
async fn healthz_and_readyz_answer() {
    let app = spawn_app().await;
    let response = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers().contains_key("x-request-id"));
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    assert_eq!(json(response).await["status"], "ok");

    let response = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body = json(response).await;
    assert_eq!(body["status"], "ready");
    let expected = if app.database().is_postgres() {
        "postgres"
    } else {
        "sqlite"
    };
    assert_eq!(body["database"], expected);
}

#[tokio::test]
async fn unknown_paths_and_methods_get_problems() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/v1/nothing-here"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(problem(response).await["code"], "not_found");

    for (method, path, allow) in [
        (reqwest::Method::DELETE, "/healthz", "GET"),
        (
            reqwest::Method::PATCH,
            "/v1/customers/c-1",
            "PUT, GET, DELETE",
        ),
        (reqwest::Method::PUT, "/v1/links/some-id", "GET, DELETE"),
        (
            reqwest::Method::from_bytes(b"TRACE").unwrap(),
            "/v1/links",
            "POST, GET",
        ),
    ] {
        let response = app
            .client
            .request(method, app.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED, "{path}");
        assert_eq!(response.headers()["allow"], allow, "{path}");
        assert_eq!(problem(response).await["code"], "method_not_allowed");
    }
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_status_and_show_the_pool() {
    let app = spawn_app().await;
    for _ in 0..3 {
        app.get_customer("metrics-probe").await;
    }
    // A request is counted once its answer is written, which the client can see first.
    let (mut text, mut count) = (String::new(), 0.0);
    for _ in 0..50 {
        text = metrics_text(&app).await;
        count = text
            .lines()
            .find(|l| {
                l.starts_with("http_requests_total{")
                    && l.contains(r#"route="/v1/customers/{customer_ref}""#)
                    && l.contains(r#"status="404""#)
            })
            .map_or(0.0, |line| {
                line.rsplit(' ').next().unwrap().parse().unwrap()
            });
        if count >= 3.0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(
        count >= 3.0,
        "the customers 404 counter reads {count} in:\n{text}"
    );
    assert!(
        text.contains("http_request_duration_seconds_bucket{"),
        "latency histogram present"
    );
    assert!(text.contains(r#"db_pool_connections{state="open"}"#));
    assert!(text.contains("db_pool_max_connections 8"));
    assert!(
        !text.contains("metrics-probe"),
        "raw paths never become labels"
    );
}

#[tokio::test]
async fn openapi_and_swagger_ui_are_served() {
    let app = spawn_app().await;
    let spec = json(
        app.client
            .get(app.url("/openapi.json"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(spec["openapi"].as_str().unwrap().starts_with("3.1"));
    let put = &spec["paths"]["/v1/customers/{customer_ref}"]["put"];
    assert!(
        put["responses"]["201"].is_object() && put["responses"]["422"].is_object(),
        "{put}"
    );
    assert!(spec["components"]["securitySchemes"]["api_key"].is_object());
    assert!(spec["components"]["schemas"]["Problem"].is_object());

    let redirect = app.client.get(app.url("/docs")).send().await.unwrap();
    assert_eq!(redirect.status(), StatusCode::PERMANENT_REDIRECT);
    let page = app.client.get(app.url("/docs/")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(
        page.text().await.unwrap().contains("swagger"),
        "Swagger UI page"
    );
    let script = app
        .client
        .get(app.url("/docs/swagger-ui-bundle.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        script.status(),
        StatusCode::OK,
        "Swagger UI assets are served locally"
    );
}

/// PostgreSQL drops every connection (a restart, a failover): requests answer 503 rather than 500
/// while the pool discards the dead connections, and the service recovers by itself.
#[tokio::test]
async fn the_service_recovers_after_postgres_drops_its_connections() {
    let app = spawn_app().await;
    if !app.database().is_postgres() {
        return;
    }
    assert_eq!(
        app.put_customer("pg-1", &crate::helpers::customer_body())
            .await
            .status(),
        StatusCode::CREATED
    );
    let name = app.database().url().rsplit('/').next().unwrap().to_owned();
    let admin = std::env::var("TEST_DATABASE_URL").unwrap();
    tokio::task::spawn_blocking(move || {
        use diesel::{Connection, RunQueryDsl};
        let mut conn = diesel::PgConnection::establish(&admin).unwrap();
        diesel::sql_query(format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
        ))
        .execute(&mut conn)
        .unwrap();
    })
    .await
    .unwrap();
    let mut statuses = Vec::new();
    for _ in 0..20 {
        let response = app.get_customer("pg-1").await;
        let status = response.status();
        if status != StatusCode::OK {
            assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(problem(response).await["code"], "service_unavailable");
        }
        statuses.push(status);
    }
    assert_eq!(statuses.last(), Some(&StatusCode::OK), "{statuses:?}");
    assert!(
        statuses.iter().filter(|s| **s != StatusCode::OK).count() <= 8,
        "at most one failure per pooled connection: {statuses:?}"
    );
}

#[tokio::test]
async fn calls_to_wise_by_outcome_and_the_email_backlog_show_in_metrics() {
    // The mail server is down, so the customer's email waits in the outbox.
    let app = spawn_app_mailing_to(MailSink::down(), &[]).await;
    // Wise answers the first signup 429: the client waits its Retry-After and tries again.
    app.sim()
        .fault(serde_json::json!({"endpoint": "/v1/user/signup/registration_code", "status": 429, "retry_after": 1}))
        .await;
    awaiting_code(
        &app,
        "metrics-wise",
        "metrics-wise@example.com",
        serde_json::json!({}),
    )
    .await;
    app.advance(chrono::Duration::minutes(5));
    let text = metrics_text(&app).await;
    let value = |series: &str| -> f64 {
        text.lines()
            .find(|l| l.starts_with(series))
            .unwrap_or_else(|| panic!("no {series} in:\n{text}"))
            .rsplit(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    let signup = r#"wiselink_wise_calls_total{operation="create_user",outcome="#;
    assert!(value(&format!(r#"{signup}"rate_limited"}}"#)) >= 1.0);
    assert!(
        value(&format!(r#"{signup}"refused"}}"#)) >= 1.0,
        "Wise's 409"
    );
    assert!(value("wiselink_email_oldest_unsent_seconds ") >= 300.0);
}

/// What `/metrics` shows now.
pub async fn metrics_text(app: &crate::helpers::TestApp) -> String {
    app.client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Label values of `name` in the exposition text.
fn label_values(text: &str, name: &str) -> std::collections::BTreeSet<String> {
    let key = format!("{name}=\"");
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .flat_map(|l| l.match_indices(&key).map(|(i, _)| &l[i + key.len()..]))
        .filter_map(|rest| rest.split('"').next().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn a_flood_of_invented_methods_and_paths_leaves_the_metrics_bounded() {
    let app = spawn_app().await;
    let before = metrics_text(&app).await;
    // One keep-alive connection's worth of requests, each with a method and a path never seen.
    for i in 0..400 {
        let method = format!("FLOOD{i:04}{}", "X".repeat(190));
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let path = if i % 2 == 0 {
            "/healthz".to_owned()
        } else {
            format!("/flood-{i}/{}", "p".repeat(150))
        };
        let r = app
            .client
            .request(method, app.url(&path))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_client_error(), "{path}: {}", r.status());
    }
    let after = metrics_text(&app).await;
    assert!(
        !after.contains("FLOOD"),
        "an invented method became a label"
    );
    assert!(
        !after.contains("/flood-"),
        "a request's path became a label"
    );
    let methods = label_values(&after, "method");
    let known = [
        "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT", "other",
    ];
    assert!(
        methods.iter().all(|m| known.contains(&m.as_str())),
        "{methods:?}"
    );
    assert!(methods.contains("other"), "{methods:?}");
    assert!(
        label_values(&after, "route")
            .iter()
            .all(|r| r == "unmatched" || r.starts_with('/')),
    );
    // Other tests in this process add series of their own meanwhile, but only for routes and
    // methods that exist; a series per flood request would be over 6,000 lines (a counter and a
    // histogram's 15 lines each).
    let grown = after.lines().count().saturating_sub(before.lines().count());
    assert!(grown < 3_000, "the exposition grew by {grown} lines");
}

#[tokio::test]
async fn the_api_documentation_cannot_be_framed_and_runs_only_its_own_script() {
    let app = spawn_app().await;
    for path in ["/docs/", "/docs/swagger-ui.css", "/openapi.json"] {
        let r = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        let csp = r.headers()["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(csp.contains("script-src 'self'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-eval"), "{path}: {csp}");
        assert_eq!(r.headers()["x-frame-options"], "DENY", "{path}");
        assert!(r.headers().contains_key("strict-transport-security"));
    }
}

#[tokio::test]
async fn a_query_string_given_a_parameter_twice_gets_a_problem_not_plain_text() {
    let app = spawn_app().await;
    let r = app
        .client
        .get(app.url("/oauth/result?result=linked&result=declined"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/problem+json")
    );
    assert_eq!(problem(r).await["code"], "invalid_query");

    // The staff queue says it on its own page.
    app.add_staff("rita", "reviewer");
    let rita = app.staff("rita").await;
    let r = rita.get("/staff?state=needs_review&state=locked").await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let page = r.text().await.unwrap();
    assert!(page.contains("Filter not valid"), "{page}");
}
