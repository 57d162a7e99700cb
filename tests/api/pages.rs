//! The customer's code-entry page (`/link/{session token}`), over real HTTP as a browser sends it:
//! form posts, HTML answers. A real browser drives the same page in `tests/browser/`.

mod code_form;
mod language;
mod new_code;
mod outcomes;

use crate::helpers::{TestApp, json, spawn_app, spawn_app_with};
use crate::helpers::{awaiting_code, code_exchanges, customer, start};
use reqwest::{Response, StatusCode};
use serde_json::json;

async fn open(app: &TestApp, session: &str) -> Response {
    app.client
        .get(app.url(&format!("/link/{session}")))
        .send()
        .await
        .unwrap()
}

async fn post_form(app: &TestApp, session: &str, fields: &[(&str, &str)]) -> Response {
    app.client
        .post(app.url(&format!("/link/{session}")))
        .form(fields)
        .send()
        .await
        .unwrap()
}

/// The page as sent, markup and all.
async fn html(response: Response) -> String {
    response.text().await.unwrap()
}

/// The page's text without markup, so that assertions read like what the customer sees.
async fn text(response: Response) -> String {
    plain(&response.text().await.unwrap())
}

/// `html` without markup.
fn plain(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&#39;", "'")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

async fn state_of(app: &TestApp, id: &str) -> String {
    app.get_json(&format!("/v1/links/{id}")).await["state"]
        .as_str()
        .unwrap()
        .to_owned()
}
