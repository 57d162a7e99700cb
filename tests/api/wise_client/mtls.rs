//! Mutual TLS, proven: the simulator serves HTTPS and requires a client certificate from one CA
//! (as Wise's `api-mtls.…` hosts do). wiselink with `wise.mtls_cert`/`mtls_key` links a customer
//! over it; without a certificate, or with one from another CA, the handshake is refused.
//! Certificates are generated for the run.

use crate::helpers::{TestDatabase, ca, create_api_key, issue, json, settings};
use reqwest::StatusCode;
use serde_json::json;
use std::path::{Path, PathBuf};
use wiselink::settings::Settings;
use wiselink::startup::Application;
use wiselink_simulator::{self as simulator, Simulator, tls::TlsFiles};

/// A simulated Wise on HTTPS that requires a client certificate from the partner's CA, and the
/// files wiselink needs: the partner's certificate and key (`client`), and a pair from another CA
/// (`stranger`).
struct World {
    dir: tempfile::TempDir,
    api_url: String,
    wise_ca: PathBuf,
    client: (PathBuf, PathBuf),
    stranger: (PathBuf, PathBuf),
}

async fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let wise_ca = ca("simulated Wise CA");
    let partner_ca = ca("partner CA");
    let stranger_ca = ca("another CA");
    let ca_path = dir.path().join("wise-ca.pem");
    std::fs::write(&ca_path, &wise_ca.pem).unwrap();
    let partner_ca_path = dir.path().join("partner-ca.pem");
    std::fs::write(&partner_ca_path, &partner_ca.pem).unwrap();
    let (server_cert, server_key) = issue(&wise_ca, dir.path(), "server", false);
    let client = issue(&partner_ca, dir.path(), "client", true);
    let stranger = issue(&stranger_ca, dir.path(), "stranger", true);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let api_url = format!(
        "https://127.0.0.1:{}",
        listener.local_addr().unwrap().port()
    );
    // The simulator needs only the client's id and secret, the defaults wiselink uses too.
    let unused = format!("sqlite://{}/unused.sqlite3", dir.path().display());
    let defaults = settings(&unused, &[]);
    let sim = actix_web::web::Data::new(Simulator::from_settings(&defaults.wise));
    let files = TlsFiles {
        cert: server_cert,
        key: server_key,
        client_ca: Some(partner_ca_path),
    };
    tokio::spawn(simulator::serve_tls(listener, sim, 1, &files).unwrap());
    World {
        dir,
        api_url,
        wise_ca: ca_path,
        client,
        stranger,
    }
}

impl World {
    /// wiselink's settings for this Wise, with the certificate and key at `identity`.
    fn settings(
        &self,
        database_url: &str,
        identity: &(PathBuf, PathBuf),
        extra: &[(&str, &str)],
    ) -> Settings {
        let path = |p: &Path| p.to_str().unwrap().to_owned();
        let authorize = format!("{}/oauth/authorize/", self.api_url);
        let (ca_file, cert_file, key_file) =
            (path(&self.wise_ca), path(&identity.0), path(&identity.1));
        let mut vars = vec![
            ("WISELINK__WISE__API_URL", self.api_url.as_str()),
            ("WISELINK__WISE__AUTHORIZE_URL", authorize.as_str()),
            ("WISELINK__WISE__CA_CERT", ca_file.as_str()),
            ("WISELINK__WISE__MTLS_CERT", cert_file.as_str()),
            ("WISELINK__WISE__MTLS_KEY", key_file.as_str()),
            ("WISELINK__WISE__RETRY_BASE_MS", "20"),
            ("WISELINK__MAIL__TRANSPORT", "dev"),
        ];
        vars.extend_from_slice(extra);
        settings(database_url, &vars)
    }
}

/// Starts wiselink with `settings`; returns its base URL and an API key.
async fn serve(settings: Settings) -> (String, String) {
    let app = Application::build(settings).await.unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    let key = create_api_key(app.db(), "mtls").await;
    tokio::spawn(app.run_until_stopped());
    (base, key)
}

/// Creates customer `customer_ref` (new to Wise) and starts their link; returns the answer.
async fn link(base: &str, key: &str, customer_ref: &str) -> reqwest::Response {
    let client = reqwest::Client::new();
    let mut customer = crate::helpers::customer_body();
    customer["email"] = json!(format!("{customer_ref}@example.com"));
    let put = client
        .put(format!("{base}/v1/customers/{customer_ref}"))
        .bearer_auth(key)
        .json(&customer)
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), StatusCode::CREATED);
    client
        .post(format!("{base}/v1/links"))
        .bearer_auth(key)
        .json(&json!({"customer_ref": customer_ref}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_customer_is_linked_over_mutual_tls_and_calls_without_the_right_certificate_are_refused()
{
    let world = world().await;
    let database = TestDatabase::create();
    let app_settings = world.settings(database.url(), &world.client, &[]);

    // The partner's certificate: a customer new to Wise is created and linked, all over mTLS.
    let (base, key) = serve(app_settings.clone()).await;
    let link = link(&base, &key, "mtls-1").await;
    assert_eq!(link.status(), StatusCode::CREATED);
    let link = json(link).await;
    assert_eq!(link["state"], "active", "{link}");
    let token = reqwest::Client::new()
        .post(format!(
            "{base}/v1/links/{}/access-token",
            link["id"].as_str().unwrap()
        ))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(token.status(), StatusCode::OK);

    // Without a client certificate, and with one from another CA: refused in the handshake.
    let path = |p: &Path| p.to_str().unwrap().to_owned();
    let stranger = (path(&world.stranger.0), path(&world.stranger.1));
    for (cert, key) in [(String::new(), String::new()), stranger] {
        let mut wise = app_settings.wise.clone();
        wise.mtls_cert = cert.clone();
        wise.mtls_key = key;
        let client = wiselink::wise::WiseClient::new(wise).unwrap();
        let err = client.client_token().await.unwrap_err();
        assert!(
            matches!(err, wiselink::wise::WiseError::Transport { .. }),
            "certificate {cert:?}: {err}"
        );
    }
}

#[tokio::test]
async fn a_renewed_certificate_written_over_the_old_files_is_used_without_a_restart() {
    let world = world().await;
    // The files wiselink reads hold a certificate Wise does not take at first.
    let live = (
        world.dir.path().join("live.pem"),
        world.dir.path().join("live.key"),
    );
    std::fs::copy(&world.stranger.0, &live.0).unwrap();
    std::fs::copy(&world.stranger.1, &live.1).unwrap();
    let database = TestDatabase::create();
    let (base, key) = serve(world.settings(
        database.url(),
        &live,
        &[("WISELINK__WORKERS__CREDENTIALS_CHECK_SECS", "1")],
    ))
    .await;
    let refused = link(&base, &key, "mtls-renew-0").await;
    assert!(refused.status().is_server_error(), "{}", refused.status());

    // The renewed certificate is written over the files; within a few checks it is in use.
    std::fs::copy(&world.client.0, &live.0).unwrap();
    std::fs::copy(&world.client.1, &live.1).unwrap();
    for attempt in 1..=20 {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        let answer = link(&base, &key, &format!("mtls-renew-{attempt}")).await;
        if answer.status() == StatusCode::CREATED {
            assert_eq!(json(answer).await["state"], "active");
            return;
        }
    }
    panic!("the renewed certificate was never used");
}
