//! Reading, listing and unlinking links.

use crate::helpers::{awaiting_code, field_codes, json, problem, spawn_app, start, submit};
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn unlinking_destroys_secrets_and_frees_the_customer_for_a_new_link() {
    let app = spawn_app().await;
    let (id, session, code) = awaiting_code(&app, "c-u", "unlink@example.com", json!({})).await;
    assert_eq!(
        json(submit(&app, &id, &session, &code).await).await["state"],
        "active"
    );
    let r = app
        .authed(Method::DELETE, &format!("/v1/links/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(json(r).await["state"], "unlinked");
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM links JOIN link_tokens t ON t.link_id = links.id WHERE state = 'unlinked' AND access_token IS NULL AND refresh_token IS NULL AND registration_code IS NULL AND session_token_hash IS NULL").await,
        1
    );
    let token = app.access_token(&id).await;
    assert_eq!(token.status(), StatusCode::CONFLICT);
    let again = app
        .authed(Method::DELETE, &format!("/v1/links/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::CONFLICT);
    assert_eq!(problem(again).await["code"], "invalid_state");
    let by_session = app
        .client
        .delete(app.url(&format!("/v1/links/{id}")))
        .bearer_auth(&session)
        .send()
        .await
        .unwrap();
    assert_eq!(
        by_session.status(),
        StatusCode::UNAUTHORIZED,
        "only the partner unlinks"
    );
    assert_eq!(
        start(&app, "c-u").await.status(),
        StatusCode::CREATED,
        "a new link may start"
    );
}

#[tokio::test]
async fn links_are_listed_newest_first_with_filters_and_cursor_pages() {
    let app = spawn_app().await;
    let mut ids = Vec::new();
    for i in 0..5 {
        let (id, _, _) = awaiting_code(
            &app,
            &format!("c-l{i}"),
            &format!("list{i}@example.com"),
            json!({}),
        )
        .await;
        ids.push(id);
    }
    app.authed(Method::DELETE, &format!("/v1/links/{}", ids[0]))
        .send()
        .await
        .unwrap();
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = "/v1/links?limit=2".to_owned();
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let page = json(app.authed(Method::GET, &path).send().await.unwrap()).await;
        seen.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l["id"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    let mut newest_first = ids.clone();
    newest_first.reverse();
    assert_eq!(seen, newest_first, "every link once, newest first");

    let unlinked = app.get_json("/v1/links?state=unlinked").await;
    assert_eq!(unlinked["items"].as_array().unwrap().len(), 1);
    assert_eq!(unlinked["items"][0]["id"], ids[0].as_str());
    let one = app.get_json("/v1/links?customer_ref=c-l3").await;
    assert_eq!(one["items"][0]["customer_ref"], "c-l3");
    assert_eq!(one["items"].as_array().unwrap().len(), 1);

    let r = app
        .authed(
            Method::GET,
            "/v1/links?state=happy&limit=0&cursor=zzz&colour=red",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<String> = field_codes(&problem(r).await)
        .into_iter()
        .map(|(f, _)| f)
        .collect();
    assert_eq!(fields, ["colour", "cursor", "limit", "state"]);
}

#[tokio::test]
async fn every_link_says_why_it_is_in_its_state_the_list_filters_by_it_and_the_metrics_add_up() {
    let app = spawn_app().await;
    let (active, session, code) = awaiting_code(&app, "r-a", "r-a@example.com", json!({})).await;
    submit(&app, &active, &session, &code).await;
    let (refused, session, _) = awaiting_code(&app, "r-b", "r-b@example.com", json!({})).await;
    let wrong = submit(&app, &refused, &session, "ZZ9ZZ9").await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let (waiting, _, _) = awaiting_code(&app, "r-c", "r-c@example.com", json!({})).await;
    let (gone, _, _) = awaiting_code(&app, "r-d", "r-d@example.com", json!({})).await;
    let r = app
        .authed(Method::DELETE, &format!("/v1/links/{gone}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    for (id, state, reason) in [
        (&active, "active", "identity_matched"),
        (&refused, "awaiting_code", "code_refused"),
        (&waiting, "awaiting_code", "wise_user_exists"),
        (&gone, "unlinked", "unlinked"),
    ] {
        let link = app.get_json(&format!("/v1/links/{id}")).await;
        assert_eq!(
            (link["state"].as_str(), link["reason"].as_str()),
            (Some(state), Some(reason))
        );
    }
    let ids = |page: serde_json::Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        ids(app.get_json("/v1/links?reason=code_refused").await),
        std::slice::from_ref(&refused)
    );
    assert_eq!(
        ids(app
            .get_json("/v1/links?state=awaiting_code&reason=wise_user_exists")
            .await),
        std::slice::from_ref(&waiting)
    );
    assert!(ids(app.get_json("/v1/links?state=active&reason=unlinked").await).is_empty());
    let bad = problem(
        app.authed(Method::GET, "/v1/links?reason=dob_mismatch")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        field_codes(&bad),
        [("reason".to_owned(), "unknown_reason".to_owned())]
    );

    let metrics = app.metrics().await;
    let series: Vec<(&str, f64)> = metrics
        .lines()
        .filter(|l| l.starts_with("wiselink_links{"))
        .map(|l| {
            let (name, value) = l.rsplit_once(' ').unwrap();
            (name, value.parse::<f64>().unwrap())
        })
        .collect();
    let total: f64 = series.iter().map(|(_, v)| v).sum();
    assert_eq!(total, 4.0, "{series:?}");
    let refused_series = series
        .iter()
        .find(|(name, _)| {
            name.contains("state=\"awaiting_code\"") && name.contains("reason=\"code_refused\"")
        })
        .unwrap();
    assert_eq!(refused_series.1, 1.0);
    assert!(series.iter().all(|(name, _)| name.contains("reason=\"")));
}
