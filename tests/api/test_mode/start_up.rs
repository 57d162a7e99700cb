//! A test key works only against the simulator: `api-key create --test` makes one only then,
//! `serve` refuses to start while one is live and Wise is real, and a test key reaching an
//! instance that is not on the simulator is refused.

use crate::helpers::{
    TestDatabase, create_key, problem, run_cli, settings, spawn_app_with, spawn_sim,
};
use reqwest::StatusCode;
use wiselink::services::api_keys::KeyMode;
use wiselink::startup::Application;

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn test_keys_are_made_only_against_the_simulator_and_serve_refuses_them_against_wise() {
    let sim = spawn_sim().await;
    let database = TestDatabase::create();
    let db_url = database.url().to_owned();
    // On a blocking thread: the simulator answers on this test's own runtime.
    let create = |api_url: &str| {
        let (db_url, api_url) = (db_url.clone(), api_url.to_owned());
        tokio::task::spawn_blocking(move || {
            run_cli(
                &["api-key", "create", "--name", "partner ci", "--test"],
                &[
                    ("WISELINK__DATABASE__URL", db_url.as_str()),
                    ("WISELINK__WISE__API_URL", api_url.as_str()),
                ],
                None,
            )
        })
    };
    let refused = create("https://api.wise.com").await.unwrap();
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        said.contains("test keys work only against the simulator"),
        "{said}"
    );

    let made = create(&sim.url).await.unwrap();
    assert!(made.status.success(), "{made:?}");
    let out = stdout(&made);
    let key = out.lines().last().unwrap();
    assert!(key.starts_with("wl_test_"), "a test key says so: {key}");
    let id = &key["wl_test_".len().."wl_test_".len() + 12];
    let listed = stdout(&run_cli(
        &["api-key", "list"],
        &[("WISELINK__DATABASE__URL", db_url.as_str())],
        None,
    ));
    assert!(
        listed
            .lines()
            .any(|l| l.starts_with(id) && l.contains(" test ")),
        "{listed}"
    );

    let real_wise = [("WISELINK__WISE__API_URL", "https://api.wise.com")];
    let err = match Application::build(settings(&db_url, &real_wise)).await {
        Ok(_) => panic!("serve started with a test key against Wise"),
        Err(e) => format!("{e:#}"),
    };
    assert!(
        err.contains(id) && err.contains("is not the simulator"),
        "{err}"
    );

    let revoked = run_cli(
        &["api-key", "revoke", id],
        &[("WISELINK__DATABASE__URL", db_url.as_str())],
        None,
    );
    assert!(revoked.status.success());
    Application::build(settings(&db_url, &real_wise))
        .await
        .expect("with no live test key it starts");
}

#[tokio::test]
async fn a_test_key_reaching_an_instance_off_the_simulator_is_refused() {
    // Nothing listens on port 1: wiselink cannot show this URL is the simulator.
    let app = spawn_app_with(&[("WISELINK__WISE__API_URL", "http://127.0.0.1:1")]).await;
    let key = create_key(&app.db, "late", KeyMode::Test).await;
    let r = app.get_as(&key, "/v1/links").await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(problem(r).await["code"], "test_key_outside_simulator");
    assert_eq!(
        app.get_as(&app.api_key, "/v1/links").await.status(),
        StatusCode::OK,
        "live keys work as ever"
    );
}
