//! Running the wiselink binary as an operator would.

use super::TestApp;
use reqwest::Client;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

pub const WISELINK: &str = env!("CARGO_BIN_EXE_wiselink");

/// A TCP port nothing listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

/// Waits (up to 20 s) until a wiselink binary started on `base` answers `/healthz`.
pub async fn wait_until_serving(client: &Client, base: &str) {
    let started = std::time::Instant::now();
    while client.get(format!("{base}/healthz")).send().await.is_err() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "server did not start"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// `wiselink serve` as the process tests run: a clean environment, the database at `db_url`,
/// `port`, one HTTP worker, Wise at `sim`, emails by SMTP to `sink`, output discarded. Callers add
/// their own settings, then spawn it.
pub fn serve_command(
    db_url: &str,
    port: u16,
    sim: &super::TestSim,
    sink: &crate::mail_sink::MailSink,
) -> Command {
    let mut cmd = Command::new(WISELINK);
    cmd.arg("serve")
        .env_clear()
        .env("WISELINK__DATABASE__URL", db_url)
        .env("WISELINK__SERVER__PORT", port.to_string())
        .env("WISELINK__SERVER__WORKERS", "1")
        .env("WISELINK__WISE__API_URL", &sim.url)
        .env(
            "WISELINK__WISE__AUTHORIZE_URL",
            sim.url("/oauth/authorize/"),
        )
        .env("WISELINK__MAIL__TRANSPORT", "smtp")
        .env("WISELINK__MAIL__SMTP_URL", sink.url())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

/// An API key made by `wiselink api-key create` on the database at `db_url`.
pub fn cli_api_key(db_url: &str, name: &str) -> String {
    let created = run_cli(
        &["api-key", "create", "--name", name],
        &[("WISELINK__DATABASE__URL", db_url)],
        None,
    );
    assert!(created.status.success(), "api-key create: {created:?}");
    String::from_utf8_lossy(&created.stdout)
        .lines()
        .last()
        .expect("the key is printed last")
        .to_owned()
}

/// Sends SIGTERM to `child` and waits (up to 15 s) until it exits.
pub async fn stop_with_sigterm(child: &mut Child) -> ExitStatus {
    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(term.success());
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "serve did not stop after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The body of a GET to `url`, as text.
pub async fn get_text(client: &Client, url: &str) -> String {
    let response = client.get(url).send().await.expect("GET sent");
    response.text().await.expect("a text body")
}

/// Runs the binary with a clean environment plus `envs`, in `cwd` (a new temp dir if `None`).
pub fn run_cli(args: &[&str], envs: &[(&str, &str)], cwd: Option<&PathBuf>) -> Output {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut cmd = Command::new(WISELINK);
    cmd.args(args)
        .current_dir(cwd.unwrap_or(&dir.path().to_path_buf()))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.output().expect("wiselink runs")
}

/// [`run_cli`] with `input` on standard input.
pub fn run_cli_with_stdin(args: &[&str], envs: &[(&str, &str)], input: &str) -> Output {
    use std::io::Write;
    let dir = tempfile::tempdir().expect("temp dir");
    let mut cmd = Command::new(WISELINK);
    cmd.args(args)
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("wiselink runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{input}\n").as_bytes())
        .expect("password written");
    child.wait_with_output().expect("wiselink ends")
}

impl TestApp {
    /// Runs the wiselink binary against this app's database.
    pub fn cli(&self, args: &[&str]) -> Output {
        run_cli(
            args,
            &[("WISELINK__DATABASE__URL", self.database().url())],
            None,
        )
    }
}

/// Through a `wiselink serve` at `base`: puts customer `customer_ref` (email
/// `{customer_ref}@example.com`) and starts a link for it; the link as answered.
pub async fn start_link_at(
    client: &Client,
    base: &str,
    api_key: &str,
    customer_ref: &str,
) -> serde_json::Value {
    let mut body = super::customer_body();
    body["email"] = serde_json::json!(format!("{customer_ref}@example.com"));
    let put = client
        .put(format!("{base}/v1/customers/{customer_ref}"))
        .bearer_auth(api_key)
        .json(&body)
        .send()
        .await
        .expect("PUT sent");
    assert_eq!(put.status(), reqwest::StatusCode::CREATED);
    let start = client
        .post(format!("{base}/v1/links"))
        .bearer_auth(api_key)
        .json(&serde_json::json!({"customer_ref": customer_ref}))
        .send()
        .await
        .expect("POST sent");
    assert_eq!(start.status(), reqwest::StatusCode::CREATED);
    start.json().await.expect("a link")
}
