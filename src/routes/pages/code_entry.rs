//! `GET /link/{session_token}` shows the customer where their link stands and, while Wise's code
//! is awaited, a form for it; `POST` takes the code (or a request for a new one) and shows the
//! outcome. The session token in the path is the only credential: it is never written back into
//! the page, the form posts to the page's own address, and no other site may frame the page or
//! learn its address through a referrer.

use crate::db::links::LinkRow;
use crate::domain::{AuthorizationCode, LinkState, resend_available_at};
use crate::http::{RequestError, body, html};
use crate::routes::api::links::error::link_problem;
use crate::services::links::{self, LinkError};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use askama::Template;
use chrono::NaiveDateTime;
use serde::Deserialize;

const ACTOR: &str = "customer";
const UNREADABLE_FORM: &str = "The form could not be read. Please try again.";
const NEW_CODE_SENT: &str =
    "Wise is emailing you a new code. Enter the new one: the old code no longer works.";
const NOT_A_CODE: &str =
    "That does not look like a code from Wise. Type the code from Wise's email.";

#[derive(Template)]
#[template(path = "pages/code_entry.html")]
struct CodePage {
    /// Which screen: `enter_code`, `code_expired`, `working`, `linked`, `under_review`, `rejected`,
    /// `locked` or `closed`.
    screen: &'static str,
    expires_at: String,
    attempts_remaining: i32,
    /// When a new code can be asked for, if not yet.
    resend_from: Option<String>,
    error: Option<String>,
    notice: Option<String>,
}

impl CodePage {
    fn of(link: Option<&LinkRow>) -> Self {
        let now = crate::db::now();
        let screen = match link.map(|l| (l, l.state())) {
            None => "closed",
            Some((l, LinkState::AwaitingCode)) if l.code_expires_at.is_some_and(|t| t <= now) => {
                "code_expired"
            }
            Some((_, LinkState::AwaitingCode)) => "enter_code",
            Some((_, LinkState::Pending | LinkState::Exchanging | LinkState::Verifying)) => {
                "working"
            }
            Some((_, LinkState::Active)) => "linked",
            Some((_, LinkState::NeedsReview)) => "under_review",
            Some((_, LinkState::Rejected)) => "rejected",
            Some((_, LinkState::Locked)) => "locked",
            Some(_) => "closed",
        };
        let resend_at = link.map(|l| resend_available_at(l.last_resend_at.unwrap_or(l.created_at)));
        Self {
            screen,
            expires_at: link
                .and_then(|l| l.code_expires_at)
                .map(|t| clock_time(t, now))
                .unwrap_or_default(),
            attempts_remaining: link.map_or(0, |l| l.attempts_remaining),
            resend_from: resend_at.filter(|t| *t > now).map(|t| clock_time(t, now)),
            error: None,
            notice: None,
        }
    }

    fn respond(self, status: StatusCode) -> HttpResponse {
        match self.render() {
            Ok(page) => html::page(status, page),
            Err(e) => {
                tracing::error!(error = %e, "code page could not be rendered");
                HttpResponse::InternalServerError().finish()
            }
        }
    }
}

/// `14:03 UTC`, or with the date when it is not the same day as `now`.
fn clock_time(t: NaiveDateTime, now: NaiveDateTime) -> String {
    if t.date() == now.date() {
        format!("{} UTC", t.format("%H:%M"))
    } else {
        format!("{} UTC", t.format("%-d %B %Y, %H:%M"))
    }
}

#[tracing::instrument(name = "code_page", skip_all)]
pub async fn show(path: web::Path<String>, state: web::Data<AppState>) -> HttpResponse {
    match links::open_session(&state, &path).await {
        Ok(Some(link)) => CodePage::of(Some(&link)).respond(StatusCode::OK),
        Ok(None) => CodePage::of(None).respond(StatusCode::NOT_FOUND),
        Err(e) => unavailable(link_problem(&LinkError::Db(e)).status()),
    }
}

/// The form fields: `code`, or `action=resend`.
#[derive(Deserialize)]
struct Form {
    code: Option<String>,
    action: Option<String>,
}

#[tracing::instrument(name = "code_page_submit", skip_all, fields(link.id = tracing::field::Empty))]
pub async fn submit(
    path: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    let link = match links::open_session(&state, &path).await {
        Ok(Some(link)) => link,
        Ok(None) => return CodePage::of(None).respond(StatusCode::NOT_FOUND),
        Err(e) => return unavailable(link_problem(&LinkError::Db(e)).status()),
    };
    tracing::Span::current().record("link.id", link.id.as_str());
    let rejected = |status: StatusCode, message: &str| {
        let mut page = CodePage::of(Some(&link));
        page.error = Some(message.to_owned());
        page.respond(status)
    };
    if let Err(retry_after_secs) = state
        .ip_limiter
        .check_request(&req, state.settings.limits.trust_forwarded_for)
    {
        let limited = LinkError::IpLimited { retry_after_secs };
        let response = rejected(StatusCode::TOO_MANY_REQUESTS, &error_message(&limited));
        return with_retry_after(response, Some(retry_after_secs));
    }
    let form = match body::read_form(&req, payload, state.settings.server.body_limit_bytes).await {
        Ok(bytes) => serde_urlencoded::from_bytes::<Form>(&bytes).ok(),
        Err(e @ (RequestError::UnsupportedMediaType | RequestError::PayloadTooLarge { .. })) => {
            return rejected(e.status_code(), UNREADABLE_FORM);
        }
        Err(_) => None,
    };
    let Some(form) = form else {
        return rejected(StatusCode::BAD_REQUEST, UNREADABLE_FORM);
    };
    let link_id = link.id.clone();
    let outcome = match (form.action.as_deref(), form.code) {
        (Some("resend"), _) => links::resend(&state, link, ACTOR)
            .await
            .map(|(link, _)| (link, Some(NEW_CODE_SENT))),
        (None, Some(code)) => match AuthorizationCode::parse(&code) {
            Ok(code) => links::submit_code(&state, link, code, ACTOR)
                .await
                .map(|(link, _)| (link, None)),
            Err(_) => {
                return rejected(StatusCode::UNPROCESSABLE_ENTITY, NOT_A_CODE);
            }
        },
        _ => {
            return rejected(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Type the code from Wise's email.",
            );
        }
    };
    match outcome {
        Ok((link, notice)) => {
            let mut page = CodePage::of(Some(&link));
            page.notice = notice.map(str::to_owned);
            page.respond(StatusCode::OK)
        }
        Err(e) => {
            let problem = link_problem(&e);
            if let LinkError::Db(_) | LinkError::Unexpected(_) = e {
                return unavailable(problem.status());
            }
            // The link as it is now, with what went wrong.
            let link = match links::find(&state, &link_id).await {
                Ok(link) => link,
                Err(e) => return unavailable(link_problem(&e).status()),
            };
            let mut page = CodePage::of(Some(&link));
            let status = match e {
                // The page for the link's state says it all.
                LinkError::WrongState(_) => StatusCode::OK,
                LinkError::Locked => problem.status(),
                _ => {
                    page.error = Some(error_message(&e));
                    problem.status()
                }
            };
            with_retry_after(page.respond(status), problem.retry_after_secs())
        }
    }
}

fn with_retry_after(mut response: HttpResponse, secs: Option<u64>) -> HttpResponse {
    if let Some(v) = secs.and_then(|s| s.to_string().parse().ok()) {
        response.headers_mut().insert(header::RETRY_AFTER, v);
    }
    response
}

/// Something on wiselink's side failed (already logged where it happened).
fn unavailable(status: StatusCode) -> HttpResponse {
    let mut page = CodePage::of(None);
    page.screen = "unavailable";
    page.respond(status)
}

/// What went wrong, in the customer's words.
fn error_message(e: &LinkError) -> String {
    match e {
        LinkError::InvalidCode { attempts_remaining } => format!(
            "Wise did not accept that code. Check the email from Wise and try again: {} left.",
            count(u64::try_from(*attempts_remaining).unwrap_or(0), "attempt")
        ),
        LinkError::CodeAlreadyUsed => {
            "That code has already been used. Ask for a new code below.".to_owned()
        }
        LinkError::CodeExpired => {
            "The time to enter this code has run out. Ask for a new code below.".to_owned()
        }
        LinkError::ExchangeLost => "Wise did not answer when we checked that code, and a code \
                                    works only once. Ask for a new code below."
            .to_owned(),
        LinkError::WiseUnavailable { .. } => {
            "Wise is not answering right now. Please try again in a minute.".to_owned()
        }
        LinkError::Busy => {
            "We are still checking a code you sent. This page updates in a moment.".to_owned()
        }
        LinkError::IpLimited { retry_after_secs } => format!(
            "Too many attempts from your network. Please wait {} and try again.",
            wait(*retry_after_secs)
        ),
        LinkError::CustomerLimited { retry_after_secs } => format!(
            "Too many wrong codes today. You can try again in {}.",
            wait(*retry_after_secs as u64)
        ),
        LinkError::ResendTooSoon { retry_after_secs } => format!(
            "Wise has only just sent a code. You can ask for a new one in {}.",
            wait(*retry_after_secs as u64)
        ),
        LinkError::ResendLimitReached { retry_after_secs } => format!(
            "You have asked for five new codes today. You can ask again in {}.",
            wait(*retry_after_secs as u64)
        ),
        _ => "This cannot be done any more. Start again from the app.".to_owned(),
    }
}

/// `40 seconds`, `3 minutes`, `5 hours`.
fn wait(secs: u64) -> String {
    match secs {
        0..=90 => count(secs.max(1), "second"),
        91..=5400 => count(secs.div_ceil(60), "minute"),
        _ => count(secs.div_ceil(3600), "hour"),
    }
}

/// `1 attempt`, `4 attempts`.
fn count(n: u64, unit: &str) -> String {
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_read_in_the_largest_sensible_unit() {
        assert_eq!(wait(0), "1 second");
        assert_eq!(wait(45), "45 seconds");
        assert_eq!(wait(91), "2 minutes");
        assert_eq!(wait(3600), "60 minutes");
        assert_eq!(wait(86_000), "24 hours");
        assert_eq!(count(1, "attempt"), "1 attempt");
    }
}
