//! The credentials wiselink holds for Wise, watched: the mTLS client certificate's expiry and the
//! client secret's rotation date are exported as timestamps and warned about at start-up. Runs
//! the real binary (its own process, so its gauges are its own).

use crate::helpers::{WISELINK, free_port, get_text, wait_until_serving};
use chrono::{Duration, NaiveDate, Utc};
use rcgen::{CertificateParams, KeyPair};
use std::process::{Command, Stdio};

/// A self-signed client certificate valid until `until` (midnight UTC), and its key, in `dir`.
fn certificate(dir: &std::path::Path, until: NaiveDate) -> (String, String) {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(vec!["partner.example".to_owned()]).unwrap();
    params.not_after = rcgen::date_time_ymd(
        until.format("%Y").to_string().parse().unwrap(),
        until.format("%m").to_string().parse().unwrap(),
        until.format("%d").to_string().parse().unwrap(),
    );
    let cert = params.self_signed(&key).unwrap();
    let (cert_path, key_path) = (dir.join("client.pem"), dir.join("client.key"));
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    (
        cert_path.display().to_string(),
        key_path.display().to_string(),
    )
}

fn gauge(metrics: &str, name: &str) -> i64 {
    let line = metrics
        .lines()
        .find(|l| l.starts_with(&format!("{name} ")))
        .unwrap_or_else(|| panic!("no {name} in:\n{metrics}"));
    line.rsplit(' ').next().unwrap().parse::<f64>().unwrap() as i64
}

#[tokio::test]
async fn certificate_expiry_and_secret_rotation_dates_are_exported_and_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let today = Utc::now().date_naive();
    let expires = today + Duration::days(10);
    let rotate_by = today - Duration::days(2);
    let (cert, key) = certificate(dir.path(), expires);
    let port = free_port();
    let log = std::fs::File::create(dir.path().join("serve.log")).unwrap();
    let mut child = Command::new(WISELINK)
        .args(["serve", "--port", &port.to_string()])
        .current_dir(dir.path())
        .env_clear()
        .env("WISELINK__WISE__MTLS_CERT", &cert)
        .env("WISELINK__WISE__MTLS_KEY", &key)
        .env(
            "WISELINK__WISE__CLIENT_SECRET_ROTATE_BY",
            rotate_by.to_string(),
        )
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    wait_until_serving(&client, &base).await;
    let metrics = get_text(&client, &format!("{base}/metrics")).await;
    child.kill().unwrap();
    child.wait().unwrap();

    let midnight = |d: NaiveDate| d.and_time(chrono::NaiveTime::MIN).and_utc().timestamp();
    assert_eq!(
        gauge(
            &metrics,
            "wiselink_wise_client_certificate_expiry_timestamp_seconds"
        ),
        midnight(expires)
    );
    assert_eq!(
        gauge(
            &metrics,
            "wiselink_wise_client_secret_rotate_by_timestamp_seconds"
        ),
        midnight(rotate_by)
    );
    let log = std::fs::read_to_string(dir.path().join("serve.log")).unwrap();
    assert!(
        log.contains("the Wise mTLS client certificate (wise.mtls_cert) expires soon"),
        "{log}"
    );
    assert!(log.contains("days_left"), "{log}");
    assert!(
        log.contains("the Wise client secret is due for rotation (wise.client_secret_rotate_by): the date has passed"),
        "{log}"
    );
}
