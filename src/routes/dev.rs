//! `/dev/mailbox`: the messages the `dev` mail transport kept, as a page and as JSON (the newest
//! 100, oldest first, like the simulator's mailbox; `sent_at` in RFC 3339). Mounted only when
//! `mail.transport = "dev"`, which production refuses, and answered only to clients on the same
//! machine: the messages hold link session tokens. The page shows each message as the customer
//! would see it (its HTML part, in a sandboxed frame) beside its text part, and the simulated
//! Wise's emails beside wiselink's.

mod wise_mail;

use crate::crypto::KeyRing;
use crate::routes::api::customers::timestamp;
use crate::services::outbox as outbox_service;
use crate::state::AppState;
use actix_web::{HttpResponse, guard, web};
use askama::Template;
use serde::{Deserialize, Serialize};

const SHOWN: i64 = 100;

/// `local` admits only requests from this machine that name it (see `http::local_host`); for any
/// other the paths do not exist (the app's 404 problem answers).
pub fn configure<G: guard::Guard + 'static>(cfg: &mut web::ServiceConfig, local: impl Fn() -> G) {
    use crate::routes::resource;
    cfg.service(
        resource("/dev/mailbox", "GET")
            .guard(local())
            .route(web::get().to(page)),
    )
    .service(
        resource("/dev/mailbox.json", "GET")
            .guard(local())
            .route(web::get().to(json)),
    );
}

#[derive(Deserialize)]
struct Filter {
    to: Option<String>,
}

/// One kept message.
#[derive(Serialize)]
struct DevMessage {
    message_id: String,
    to: String,
    kind: String,
    subject: String,
    text: String,
    html: String,
    sent_at: String,
}

#[derive(Template)]
#[template(path = "dev/mailbox.html")]
struct MailboxPage {
    to: Option<String>,
    messages: Vec<ShownMessage>,
    wise: wise_mail::WiseBox,
}

/// A kept message as the page shows it.
struct ShownMessage {
    message: DevMessage,
    /// The text part, escaped, its addresses made links.
    text_html: String,
    /// The HTML part for the frame, its links opening in the whole window.
    frame: String,
}

impl ShownMessage {
    fn of(message: DevMessage) -> Self {
        Self {
            text_html: wise_mail::linked_text(&message.text),
            frame: format!("<base target=\"_top\">{}", message.html),
            message,
        }
    }
}

impl wise_mail::WiseMail {
    fn text_html(&self) -> String {
        wise_mail::linked_text(&self.text)
    }
}

async fn messages(
    state: &AppState,
    keys: &KeyRing,
    to: Option<String>,
) -> anyhow::Result<Vec<DevMessage>> {
    let kept = outbox_service::kept_messages(&state.db, keys, to, SHOWN).await?;
    Ok(kept
        .into_iter()
        .map(|m| DevMessage {
            message_id: m.row.message_id,
            to: m.row.recipient,
            kind: m.row.kind,
            subject: m.content.subject,
            text: m.content.text,
            html: m.content.html,
            sent_at: m.row.sent_at.map(timestamp).unwrap_or_default(),
        })
        .collect())
}

fn unavailable(e: &anyhow::Error) -> HttpResponse {
    tracing::error!(error = format!("{e:#}"), "dev mailbox unreadable");
    crate::http::Problem::new(
        actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
        "mailbox_unavailable",
        "The mailbox cannot be read",
    )
    .response()
}

/// Whether the request comes straight from this machine (no proxy header is trusted here).
async fn page(
    state: web::Data<AppState>,
    keys: web::Data<KeyRing>,
    filter: web::Query<Filter>,
) -> HttpResponse {
    let to = filter.into_inner().to;
    let messages = match messages(&state, &keys, to.clone()).await {
        Ok(m) => m.into_iter().map(ShownMessage::of).collect(),
        Err(e) => return unavailable(&e),
    };
    let wise = wise_mail::read(&state.settings.wise.api_url, to.as_deref()).await;
    match (MailboxPage { to, messages, wise }).render() {
        Ok(html) => HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .insert_header(("Cache-Control", "no-store"))
            .insert_header((
                "Content-Security-Policy",
                "default-src 'none'; style-src 'unsafe-inline'; frame-src 'self'; \
                 form-action 'none'; frame-ancestors 'none'",
            ))
            .body(html),
        Err(e) => unavailable(&e.into()),
    }
}

async fn json(
    state: web::Data<AppState>,
    keys: web::Data<KeyRing>,
    filter: web::Query<Filter>,
) -> HttpResponse {
    match messages(&state, &keys, filter.into_inner().to).await {
        Ok(m) => HttpResponse::Ok()
            .insert_header(("Cache-Control", "no-store"))
            .json(m),
        Err(e) => unavailable(&e),
    }
}
