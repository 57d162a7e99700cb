use crate::helpers::{customer_body, field_codes, json, problem, spawn_app};
use reqwest::Method;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn put_creates_then_replaces_and_get_reads_back() {
    let app = spawn_app().await;

    let created = app.put_customer("cust-1", &customer_body()).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let created = json(created).await;
    assert_eq!(created["customer_ref"], "cust-1");
    assert_eq!(created["email"], "ada@example.com");
    assert_eq!(created["date_of_birth"], "1990-04-17");
    assert_eq!(
        created["language"], "EN",
        "language is normalised to upper case"
    );

    let mut changed = customer_body();
    changed["email"] = json!("ada.king@example.org");
    changed["last_name"] = json!("King");
    changed.as_object_mut().unwrap().remove("language");
    let replaced = app.put_customer("cust-1", &changed).await;
    assert_eq!(replaced.status(), StatusCode::OK);

    let read = app.get_customer("cust-1").await;
    assert_eq!(read.status(), StatusCode::OK);
    let read = json(read).await;
    assert_eq!(read["email"], "ada.king@example.org");
    assert_eq!(read["last_name"], "King");
    assert_eq!(
        read["language"], "EN",
        "an omitted language falls back to EN"
    );
    assert_eq!(read["created_at"], created["created_at"]);
    assert_ne!(read["updated_at"], created["updated_at"]);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM customers").await, 1);
}

#[tokio::test]
async fn unknown_customer_is_404() {
    let app = spawn_app().await;
    let response = app.get_customer("nobody").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(problem(response).await["code"], "customer_not_found");
}

#[tokio::test]
async fn malformed_customer_ref_is_422_on_read() {
    let app = spawn_app().await;
    let response = app.get_customer(&"x".repeat(65)).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = problem(response).await;
    assert_eq!(
        field_codes(&body),
        [("customer_ref".to_owned(), "too_long".to_owned())]
    );
}

#[tokio::test]
async fn invalid_fields_are_all_reported_and_nothing_is_written() {
    let app = spawn_app().await;
    let long = "n".repeat(101);
    let cases: Vec<(serde_json::Value, Vec<(&str, &str)>)> = vec![
        (
            json!({}),
            vec![
                ("email", "required"),
                ("date_of_birth", "required"),
                ("first_name", "required"),
                ("last_name", "required"),
            ],
        ),
        (
            with("email", json!("not-an-email")),
            vec![("email", "invalid_email")],
        ),
        (
            // Syntactically an address, but no mail relay (nor Wise) can deliver to it.
            with("email", json!("a@[127.0.0.1]")),
            vec![("email", "invalid_email")],
        ),
        (with("email", json!(42)), vec![("email", "invalid_type")]),
        (
            with("date_of_birth", json!("1990-02-30")),
            vec![("date_of_birth", "invalid_date")],
        ),
        (
            with("date_of_birth", json!("17/04/1990")),
            vec![("date_of_birth", "invalid_format")],
        ),
        (
            with("date_of_birth", json!("2999-01-01")),
            vec![("date_of_birth", "in_future")],
        ),
        (
            with("date_of_birth", json!("1850-01-01")),
            vec![("date_of_birth", "too_early")],
        ),
        (
            with("first_name", json!(long)),
            vec![("first_name", "too_long")],
        ),
        (
            with("last_name", json!("   ")),
            vec![("last_name", "required")],
        ),
        (
            with("language", json!("klingon")),
            vec![("language", "unknown_language")],
        ),
        (
            with("nickname", json!("Ada")),
            vec![("nickname", "unknown_field")],
        ),
        (
            with("email", serde_json::Value::Null),
            vec![("email", "required")],
        ),
    ];
    for (body, expected) in cases {
        let response = app.put_customer("cust-2", &body).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}"
        );
        let problem = problem(response).await;
        assert_eq!(problem["code"], "validation_failed");
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(f, c)| (f.to_string(), c.to_string()))
            .collect();
        assert_eq!(field_codes(&problem), expected, "{body}");
    }
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM customers").await, 0);
}

#[tokio::test]
async fn a_refused_replacement_leaves_the_stored_customer_untouched() {
    let app = spawn_app().await;
    assert_eq!(
        app.put_customer("cust-3", &customer_body()).await.status(),
        StatusCode::CREATED
    );
    let mut bad = customer_body();
    bad["email"] = json!("changed@example.com");
    bad["date_of_birth"] = json!("2023-02-29");
    assert_eq!(
        app.put_customer("cust-3", &bad).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let read = json(app.get_customer("cust-3").await).await;
    assert_eq!(read["email"], "ada@example.com");
}

#[tokio::test]
async fn bad_customer_ref_in_put_is_a_field_error() {
    let app = spawn_app().await;
    let response = app.put_customer("has%20space", &customer_body()).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        field_codes(&problem(response).await),
        [("customer_ref".to_owned(), "invalid_format".to_owned())]
    );
}

#[tokio::test]
async fn body_problems_get_clear_4xx_codes() {
    let app = spawn_app().await;
    let put = |body: Vec<u8>, content_type: Option<&'static str>| {
        let mut request = app.authed(Method::PUT, "/v1/customers/cust-4").body(body);
        if let Some(ct) = content_type {
            request = request.header("content-type", ct);
        }
        request.send()
    };

    let response = put(b"{\"email\": ".to_vec(), Some("application/json"))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(problem(response).await["code"], "malformed_json");

    let response = put(b"[1, 2]".to_vec(), Some("application/json"))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(problem(response).await["code"], "malformed_json");

    let form = b"email=ada%40example.com".to_vec();
    let response = put(form, Some("application/x-www-form-urlencoded"))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(problem(response).await["code"], "unsupported_media_type");

    let response = put(serde_json::to_vec(&customer_body()).unwrap(), None)
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);

    let mut huge = customer_body();
    huge["first_name"] = json!("x".repeat(70_000));
    let response = put(serde_json::to_vec(&huge).unwrap(), Some("application/json"))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(problem(response).await["code"], "payload_too_large");

    assert_eq!(app.count("SELECT COUNT(*) AS n FROM customers").await, 0);
}

#[tokio::test]
async fn concurrent_creates_of_one_customer_make_one_row() {
    let app = spawn_app().await;
    let body = customer_body();
    let requests = (0..8).map(|_| app.put_customer("cust-race", &body));
    let statuses: Vec<StatusCode> = futures_util::future::join_all(requests)
        .await
        .into_iter()
        .map(|r| r.status())
        .collect();
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::CREATED)
            .count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::CREATED || *s == StatusCode::OK),
        "{statuses:?}"
    );
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM customers").await, 1);
}

fn with(field: &str, value: serde_json::Value) -> serde_json::Value {
    let mut body = customer_body();
    body[field] = value;
    body
}
