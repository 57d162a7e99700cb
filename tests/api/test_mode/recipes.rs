//! `docs/testing-your-integration.md` holds a partner's recipes as shell blocks: every ```bash
//! block is run here, in order, with `bash -euo pipefail`, against a real wiselink and simulator.
//! A recipe that stops working fails this test.

use super::{app, subscribe};
use std::process::Stdio;

/// The ```bash blocks of `markdown`, in order.
fn bash_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut open: Option<String> = None;
    for line in markdown.lines() {
        match (&mut open, line.trim_end()) {
            (None, "```bash") => open = Some(String::new()),
            (Some(block), "```") => {
                blocks.push(std::mem::take(block));
                open = None;
            }
            (Some(block), text) => {
                block.push_str(text);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    assert!(open.is_none(), "a ```bash block is never closed");
    blocks
}

#[tokio::test]
async fn every_recipe_in_testing_your_integration_works_as_written() {
    let doc = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/testing-your-integration.md"),
    )
    .expect("the guide");
    let blocks = bash_blocks(&doc);
    assert!(
        blocks.len() >= 8,
        "the helpers and seven recipes: {}",
        blocks.len()
    );
    let (app, key) = app().await;
    subscribe(&app).await;
    let script = blocks.join("\n");
    let mut bash = std::process::Command::new("bash");
    bash.args(["-euo", "pipefail", "-c", &script])
        .env("WISELINK", &app.address)
        .env("SIM", &app.sim().url)
        .env("WISELINK_KEY", &key)
        .env("LIVE_KEY", &app.api_key)
        .env("RUN", "ci")
        .stdin(Stdio::null());
    // On a blocking thread: wiselink and the simulator answer on this test's own runtime.
    let run = tokio::task::spawn_blocking(move || bash.output().expect("bash runs"))
        .await
        .unwrap();
    assert!(
        run.status.success(),
        "a recipe failed ({}):\nstdout:\n{}\nstderr:\n{}",
        run.status,
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    // Each jq -e check printed `true`; none was skipped.
    let checks = String::from_utf8_lossy(&run.stdout).matches("true").count();
    assert_eq!(
        checks,
        script.matches("jq -e '").count(),
        "{}",
        String::from_utf8_lossy(&run.stdout)
    );
}

#[test]
fn blocks_are_read_in_order_and_other_fences_are_left_out() {
    let doc = "text\n```sh\nnot me\n```\n```bash\none\n```\nmore\n```bash\ntwo\nthree\n```\n";
    assert_eq!(bash_blocks(doc), ["one\n", "two\nthree\n"]);
}
