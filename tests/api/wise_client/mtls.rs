//! Mutual TLS, proven: the simulator serves HTTPS and requires a client certificate from one CA
//! (as Wise's `api-mtls.…` hosts do). wiselink with `wise.mtls_cert`/`mtls_key` links a customer
//! over it; without a certificate, or with one from another CA, the handshake is refused.
//! Certificates are generated for the run.

use crate::helpers::{TestDatabase, create_api_key, json, settings};
use rcgen::{BasicConstraints, CertificateParams, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair};
use reqwest::StatusCode;
use serde_json::json;
use std::path::{Path, PathBuf};
use wiselink::startup::Application;
use wiselink_simulator::{self as simulator, Simulator, tls::TlsFiles};

/// A CA: its certificate (PEM) and what signs with it.
struct Ca {
    pem: String,
    issuer: Issuer<'static, KeyPair>,
}

fn ca(name: &str) -> Ca {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    let pem = params.self_signed(&key).unwrap().pem();
    Ca {
        pem,
        issuer: Issuer::new(params, key),
    }
}

/// A certificate signed by `ca` (server: for 127.0.0.1; client: for client authentication),
/// written as `name.pem` and `name.key` in `dir`.
fn issue(ca: &Ca, dir: &Path, name: &str, client: bool) -> (PathBuf, PathBuf) {
    let key = KeyPair::generate().unwrap();
    let mut params =
        CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap();
    params.extended_key_usages = vec![if client {
        ExtendedKeyUsagePurpose::ClientAuth
    } else {
        ExtendedKeyUsagePurpose::ServerAuth
    }];
    let cert = params.signed_by(&key, &ca.issuer).unwrap();
    let (cert_path, key_path) = (
        dir.join(format!("{name}.pem")),
        dir.join(format!("{name}.key")),
    );
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    (cert_path, key_path)
}

#[tokio::test]
async fn a_customer_is_linked_over_mutual_tls_and_calls_without_the_right_certificate_are_refused()
{
    let dir = tempfile::tempdir().unwrap();
    let wise_ca = ca("simulated Wise CA");
    let partner_ca = ca("partner CA");
    let stranger_ca = ca("another CA");
    let ca_path = dir.path().join("wise-ca.pem");
    std::fs::write(&ca_path, &wise_ca.pem).unwrap();
    let partner_ca_path = dir.path().join("partner-ca.pem");
    std::fs::write(&partner_ca_path, &partner_ca.pem).unwrap();
    let (server_cert, server_key) = issue(&wise_ca, dir.path(), "server", false);
    let (client_cert, client_key) = issue(&partner_ca, dir.path(), "client", true);
    let (stranger_cert, stranger_key) = issue(&stranger_ca, dir.path(), "stranger", true);

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let api_url = format!(
        "https://127.0.0.1:{}",
        listener.local_addr().unwrap().port()
    );
    let authorize = format!("{api_url}/oauth/authorize/");
    let path = |p: &Path| p.to_str().unwrap().to_owned();
    let (ca_file, cert_file, key_file) = (path(&ca_path), path(&client_cert), path(&client_key));
    let wise_vars = [
        ("WISELINK__WISE__API_URL", api_url.as_str()),
        ("WISELINK__WISE__AUTHORIZE_URL", authorize.as_str()),
        ("WISELINK__WISE__CA_CERT", ca_file.as_str()),
        ("WISELINK__WISE__MTLS_CERT", cert_file.as_str()),
        ("WISELINK__WISE__MTLS_KEY", key_file.as_str()),
        ("WISELINK__WISE__RETRY_BASE_MS", "20"),
        ("WISELINK__MAIL__TRANSPORT", "dev"),
    ];
    let database = TestDatabase::create();
    let app_settings = settings(database.url(), &wise_vars);
    let sim = actix_web::web::Data::new(Simulator::from_settings(&app_settings.wise));
    let files = TlsFiles {
        cert: server_cert,
        key: server_key,
        client_ca: Some(partner_ca_path),
    };
    tokio::spawn(simulator::serve_tls(listener, sim, 1, &files).unwrap());

    // The partner's certificate: a customer new to Wise is created and linked, all over mTLS.
    let app = Application::build(app_settings.clone()).await.unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    let key = create_api_key(app.db(), "mtls").await;
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::new();
    let mut customer = crate::helpers::customer_body();
    customer["email"] = json!("mtls.person@example.com");
    let put = client
        .put(format!("{base}/v1/customers/mtls-1"))
        .bearer_auth(&key)
        .json(&customer)
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), StatusCode::CREATED);
    let link = client
        .post(format!("{base}/v1/links"))
        .bearer_auth(&key)
        .json(&json!({"customer_ref": "mtls-1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(link.status(), StatusCode::CREATED);
    let link = json(link).await;
    assert_eq!(link["state"], "active", "{link}");
    let token = client
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
    let stranger = (path(&stranger_cert), path(&stranger_key));
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
