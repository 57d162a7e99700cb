//! Running the wiselink binary as an operator would.

use super::TestApp;
use reqwest::Client;
use std::path::PathBuf;
use std::process::{Command, Output};

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
