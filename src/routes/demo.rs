//! The demo's start page (`/`): the sample customers, and buttons that start a link for one of
//! them through wiselink's own API — the call a partner's backend would make — showing the request
//! and the answer. Mounted only by `wiselink demo`, which listens on loopback alone.

use crate::demo::{DemoInfo, SAMPLES, Sample, WiseAccount};
use crate::http::html;
use crate::http::same_origin::is_cross_site;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use secrecy::ExposeSecret;
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

/// `local` admits only requests from this machine that name it (see `http::local_host`).
pub fn configure<G: actix_web::guard::Guard + 'static>(
    cfg: &mut web::ServiceConfig,
    demo: Arc<DemoInfo>,
    local: impl Fn() -> G,
) {
    use crate::routes::resource;
    cfg.app_data(web::Data::from(demo))
        .service(
            resource("/", "GET")
                .guard(local())
                .route(web::get().to(landing)),
        )
        .service(
            resource("/demo/links", "POST")
                .guard(local())
                .route(web::post().to(start)),
        )
        .service(
            resource("/demo/links/{id}/claim", "POST")
                .guard(local())
                .route(web::post().to(claim)),
        );
}

#[derive(Template)]
#[template(path = "demo/landing.html")]
struct Landing {
    samples: &'static [Sample],
}

impl Sample {
    /// The date of birth Wise holds, as the start page shows it.
    pub fn at_wise(&self) -> &'static str {
        match self.wise {
            WiseAccount::Personal(dob) => dob,
            WiseAccount::BusinessOnly => "business profile only",
            WiseAccount::None => "no Wise account",
        }
    }
}

/// One call to wiselink's API, as the page shows it.
#[derive(Template)]
#[template(path = "demo/called.html")]
struct Called {
    method: &'static str,
    path: String,
    request: Option<String>,
    status: String,
    answer: String,
    /// Set from the answer: where the person goes next.
    next: Next,
}

#[derive(Default)]
struct Next {
    email: Option<String>,
    page: Option<String>,
    claim_link_id: Option<String>,
    claim_url: Option<String>,
}

#[derive(Deserialize)]
struct StartForm {
    customer_ref: String,
    flow: String,
}

async fn landing() -> HttpResponse {
    render(&Landing { samples: SAMPLES }, StatusCode::OK)
}

async fn start(
    req: HttpRequest,
    form: web::Form<StartForm>,
    state: web::Data<AppState>,
    demo: web::Data<DemoInfo>,
) -> HttpResponse {
    if is_cross_site(&req, &state.settings.server.public_url) {
        return HttpResponse::Forbidden().finish();
    }
    let Some(sample) = SAMPLES.iter().find(|s| s.customer_ref == form.customer_ref) else {
        return HttpResponse::NotFound().finish();
    };
    let flow = if form.flow == "redirect" {
        "redirect"
    } else {
        "email_code"
    };
    let body = json!({"customer_ref": sample.customer_ref, "flow": flow});
    let mut called = call(&state, &demo, "/v1/links".to_owned(), Some(body)).await;
    if called.next.page.is_some() && flow == "email_code" {
        called.next.email = Some(sample.email.to_owned());
    }
    render(&called, StatusCode::OK)
}

async fn claim(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
    demo: web::Data<DemoInfo>,
) -> HttpResponse {
    if is_cross_site(&req, &state.settings.server.public_url) {
        return HttpResponse::Forbidden().finish();
    }
    let id = path.into_inner();
    if !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return HttpResponse::NotFound().finish();
    }
    let called = call(&state, &demo, format!("/v1/links/{id}/claim"), None).await;
    render(&called, StatusCode::OK)
}

/// `POST path` on wiselink's own API with the demo key, as a partner's backend would send it.
async fn call(state: &AppState, demo: &DemoInfo, path: String, body: Option<Value>) -> Called {
    let url = format!("{}{path}", state.settings.server.public_url);
    let mut request = reqwest::Client::new()
        .post(url)
        .bearer_auth(demo.api_key.expose_secret())
        .header("Idempotency-Key", uuid::Uuid::new_v4().to_string());
    if let Some(body) = &body {
        request = request.json(body);
    }
    let (status, mut answer) = match request.send().await {
        Ok(r) => {
            let status = r.status();
            let text = r.text().await.unwrap_or_default();
            (
                status.to_string(),
                serde_json::from_str(&text).unwrap_or(Value::String(text)),
            )
        }
        Err(e) => ("no answer".to_owned(), Value::String(e.to_string())),
    };
    let next = next_steps(&mut answer);
    Called {
        method: "POST",
        path,
        request: body.map(|b| pretty(&b)),
        status,
        answer: pretty(&answer),
        next,
    }
}

/// Where the person goes after this answer; the answer's secrets (the link session token, a Wise
/// URL carrying a state) are taken out of what the page shows and kept only in its buttons.
fn next_steps(answer: &mut Value) -> Next {
    let mut next = Next::default();
    if let Some(token) = take_secret(answer, "link_session_token") {
        next.page = Some(format!("/link/{token}"));
    }
    // The customer's page has the button to Wise; the URL here carries the link's state.
    if let Some(action) = answer.get_mut("next_action")
        && action.get("type").and_then(Value::as_str) == Some("redirect")
    {
        take_secret(action, "url");
    }
    if let Some(url) = take_secret(answer, "url") {
        next.claim_url = Some(url);
    }
    let created = answer.get("origin").and_then(Value::as_str) == Some("created");
    let active = answer.get("state").and_then(Value::as_str) == Some("active");
    if created && active {
        next.claim_link_id = answer.get("id").and_then(Value::as_str).map(str::to_owned);
    }
    next
}

/// Takes a string field out of `object`, leaving a placeholder that says why it is not shown.
fn take_secret(object: &mut Value, field: &str) -> Option<String> {
    let slot = object.get_mut(field)?;
    let value = slot.as_str()?.to_owned();
    *slot = Value::String("(hidden here: your backend keeps it secret)".to_owned());
    Some(value)
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

fn render(page: &impl Template, status: StatusCode) -> HttpResponse {
    match page.render() {
        Ok(body) => html::page(status, body),
        Err(e) => {
            tracing::error!(error = %e, "demo page could not be rendered");
            HttpResponse::InternalServerError().finish()
        }
    }
}
