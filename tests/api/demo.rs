//! `wiselink demo` as a newcomer runs it: it starts everything with sample data and stops on
//! Ctrl-C; it refuses, in one line, anything that could touch real data or other machines; and
//! the command line's help says what each command does.

use crate::helpers::{WISELINK, free_port, run_cli};
use reqwest::StatusCode;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn the_demo_refuses_real_data_real_wise_and_other_machines() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "WISELINK__DATABASE__URL",
            "postgres://postgres@127.0.0.1:5432/wiselink",
            "database.url",
        ),
        (
            "WISELINK__WISE__API_URL",
            "https://api.wise.com",
            "wise.api_url",
        ),
        (
            "WISELINK__WISE__AUTHORIZE_URL",
            "https://wise.com/oauth/authorize/",
            "wise.authorize_url",
        ),
        ("WISELINK__SERVER__HOST", "0.0.0.0", "server.host"),
    ];
    for (key, value, named) in cases {
        let dir = tempfile::tempdir().unwrap();
        let out = run_cli(
            &[
                "demo",
                "--port",
                &free_port().to_string(),
                "--sim-port",
                &free_port().to_string(),
            ],
            &[(key, value)],
            Some(&dir.path().to_path_buf()),
        );
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{key}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
        assert!(
            err.contains(named) && err.contains("wiselink demo"),
            "{err}"
        );
        assert!(
            !dir.path().join("data").exists(),
            "nothing written for {key}"
        );
    }
    let out = run_cli(&["demo"], &[("WISELINK_ENV", "production")], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("production"), "{}", stderr(&out));
}

/// A running demo, its printed walkthrough, and its folder.
struct Demo {
    child: Child,
    printed: String,
    base: String,
    sim: String,
}

fn start_demo(dir: &std::path::Path) -> Demo {
    let (port, sim_port) = (free_port(), free_port());
    let mut child = Command::new(WISELINK)
        .args([
            "demo",
            "--port",
            &port.to_string(),
            "--sim-port",
            &sim_port.to_string(),
        ])
        .arg("--dir")
        .arg(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut printed = String::new();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    for line in lines.by_ref() {
        let line = line.unwrap();
        printed.push_str(&line);
        printed.push('\n');
        if line.contains("Ctrl-C stops the demo") {
            break;
        }
    }
    // Keep reading in the background so the demo never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    assert!(printed.contains("Ctrl-C stops the demo"), "{printed}");
    Demo {
        child,
        printed,
        base: format!("http://127.0.0.1:{port}"),
        sim: format!("http://127.0.0.1:{sim_port}"),
    }
}

/// The value printed after `label` on the walkthrough's line that has it.
fn printed_value<'a>(printed: &'a str, label: &str) -> &'a str {
    let line = printed.lines().find(|l| l.contains(label)).unwrap();
    line.split(label)
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
}

fn interrupt_and_wait(mut demo: Demo) {
    let int = Command::new("kill")
        .args(["-INT", &demo.child.id().to_string()])
        .status()
        .unwrap();
    assert!(int.success());
    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(status) = demo.child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the demo did not stop on Ctrl-C");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
}

#[tokio::test]
async fn the_demo_starts_everything_with_sample_customers_and_starts_fresh_each_time() {
    let dir = tempfile::tempdir().unwrap();
    let demo = start_demo(dir.path());
    let key = printed_value(&demo.printed, "Demo API key").to_owned();
    let client = reqwest::Client::new();
    for (customer, email) in [
        ("demo-ana", "ana.martins@example.com"),
        ("demo-ben", "ben.keller@example.com"),
        ("demo-cleo", "cleo.ruiz@example.com"),
        ("demo-dana", "dana.novak@example.com"),
    ] {
        let r = client
            .get(format!("{}/v1/customers/{customer}", demo.base))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{customer}");
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["email"], email);
    }
    // A page on another name that DNS re-pointed at this machine gets nothing.
    for (method, path) in [
        ("GET", "/"),
        ("POST", "/demo/links"),
        ("GET", "/dev/mailbox"),
    ] {
        let rebound = client
            .request(method.parse().unwrap(), format!("{}{path}", demo.base))
            .header("Host", "rebind.example")
            .send()
            .await
            .unwrap();
        assert_eq!(rebound.status(), StatusCode::NOT_FOUND, "{method} {path}");
    }
    // The product's own pages carry the label in the demo too (the staff sign-in page here).
    let staff = crate::helpers::get_text(&client, &format!("{}/staff/login", demo.base)).await;
    assert!(staff.contains(r#"class="demo-label""#), "{staff}");
    let start = client.get(format!("{}/", demo.base)).send().await.unwrap();
    assert_eq!(start.status(), StatusCode::OK);
    let html = start.text().await.unwrap();
    assert!(
        html.contains("DEMO") && html.contains("Ben Keller"),
        "{html}"
    );
    // Ben's Wise account is the simulator's, with the other date of birth.
    let wise = client
        .post(format!("{}/__sim/users", demo.sim))
        .json(&serde_json::json!({"email": "ben.keller@example.com", "first_name": "B", "last_name": "K"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        wise.status(),
        StatusCode::CONFLICT,
        "already at the simulated Wise"
    );
    let started = client
        .post(format!("{}/v1/links", demo.base))
        .bearer_auth(&key)
        .json(&serde_json::json!({"customer_ref": "demo-ana"}))
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), StatusCode::CREATED);
    let mailbox = client
        .get(format!(
            "{}/__sim/mailbox?to=ana.martins@example.com",
            demo.sim
        ))
        .send()
        .await
        .unwrap();
    let mails: serde_json::Value = mailbox.json().await.unwrap();
    assert_eq!(
        mails.as_array().unwrap().len(),
        1,
        "Wise emailed Ana a code: {mails}"
    );
    // The demo's key is a test key: it pulls a trigger, here Wise swapping Ana's date of birth.
    assert!(key.starts_with("wl_test_"), "{key}");
    let link: serde_json::Value = started.json().await.unwrap();
    let pulled = client
        .post(format!(
            "{}/v1/test/links/{}/triggers",
            demo.base,
            link["id"].as_str().unwrap()
        ))
        .bearer_auth(&key)
        .json(&serde_json::json!({"trigger": "swap_date_of_birth"}))
        .send()
        .await
        .unwrap();
    assert_eq!(pulled.status(), StatusCode::OK);
    assert!(demo.printed.contains("reviewer / ") && demo.printed.contains("admin / "));
    let db = dir.path().join("wiselink.sqlite3");
    assert!(
        demo.printed.contains(&db.display().to_string()),
        "{}",
        demo.printed
    );
    interrupt_and_wait(demo);

    // A second start begins again: the first start's key and links are gone.
    let again = start_demo(dir.path());
    let old = client
        .get(format!("{}/v1/customers/demo-ana", again.base))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(old.status(), StatusCode::UNAUTHORIZED);
    let new_key = printed_value(&again.printed, "Demo API key").to_owned();
    let links = client
        .get(format!("{}/v1/links?customer_ref=demo-ana", again.base))
        .bearer_auth(&new_key)
        .send()
        .await
        .unwrap();
    let links: serde_json::Value = links.json().await.unwrap();
    assert_eq!(links["items"].as_array().map(Vec::len), Some(0), "{links}");
    interrupt_and_wait(again);
}

#[test]
fn every_command_says_what_it_does_and_what_it_reads() {
    for command in ["serve", "migrate", "demo", "sim"] {
        let out = run_cli(&[command, "--help"], &[], None);
        assert!(out.status.success());
        let help = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(help.lines().count() > 8, "{command}: {help}");
        let first = help.lines().next().unwrap();
        assert!(
            first.len() > 20,
            "{command} starts with what it does: {first}"
        );
    }
    let serve =
        String::from_utf8_lossy(&run_cli(&["serve", "--help"], &[], None).stdout).into_owned();
    for needle in [
        "--port",
        "--config",
        "WISELINK_ENV",
        "WISELINK__SECTION__KEY",
    ] {
        assert!(
            serve.contains(needle),
            "serve --help names {needle}: {serve}"
        );
    }
}

#[tokio::test]
async fn serve_takes_its_port_and_configuration_file_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let missing = run_cli(
        &["serve", "--config", "nowhere.toml"],
        &[],
        Some(&dir.path().to_path_buf()),
    );
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).contains("nowhere.toml"),
        "{}",
        stderr(&missing)
    );

    let config = dir.path().join("wiselink.toml");
    std::fs::write(
        &config,
        "[log]\nfilter = \"warn\"\n[database]\nurl = \"sqlite://from-file.sqlite3\"\n",
    )
    .unwrap();
    let port = free_port();
    let mut child = Command::new(WISELINK)
        .args(["serve", "--port", &port.to_string(), "--config"])
        .arg(&config)
        .current_dir(dir.path())
        .env_clear()
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    crate::helpers::wait_until_serving(&client, &format!("http://127.0.0.1:{port}")).await;
    assert!(
        dir.path().join("from-file.sqlite3").exists(),
        "database.url came from the file"
    );
    child.kill().unwrap();
    child.wait().unwrap();
}
