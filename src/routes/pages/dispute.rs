//! `GET /dispute/{token}`: the "this wasn't me" page the "linked" email points to — which Wise
//! account was linked, and a button to unlink it. A GET changes nothing (mail scanners open
//! links); only the page's own form, posted from wiselink's origin, unlinks. The token in the path
//! is the only credential and is never written back into the page.

use super::code_entry::browser_locale;
use crate::http::html;
use crate::http::same_origin::is_cross_site;
use crate::i18n::{Arg, Locale, Words};
use crate::routes::link_errors;
use crate::services::links::{DisputeStatus, DisputeTarget, LinkService};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

/// Which screen the page shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Screen {
    Confirm,
    Done,
    Reported,
    Ended,
    Expired,
    Unknown,
    CrossSite,
    Unavailable,
}

impl Screen {
    /// The locale files' name for the screen: `{key}-heading`, `{key}-intro`, `title-{key}`.
    fn key(self) -> &'static str {
        match self {
            Self::Confirm => "dispute-confirm",
            Self::Done => "dispute-done",
            Self::Reported => "dispute-reported",
            Self::Ended => "dispute-ended",
            Self::Expired => "dispute-expired",
            Self::Unknown => "dispute-unknown",
            Self::CrossSite => "dispute-cross-site",
            Self::Unavailable => "unavailable",
        }
    }

    fn of(status: DisputeStatus) -> Self {
        match status {
            DisputeStatus::Open => Self::Confirm,
            DisputeStatus::Reported => Self::Reported,
            DisputeStatus::Ended => Self::Ended,
            DisputeStatus::Expired => Self::Expired,
        }
    }
}

#[derive(Template)]
#[template(path = "pages/dispute.html")]
struct DisputePage {
    screen: Screen,
    words: Words,
    heading: String,
    intro: String,
}

impl DisputePage {
    fn title(&self) -> String {
        self.words.t(&format!("title-{}", self.screen.key()))
    }

    fn respond(
        screen: Screen,
        words: Words,
        email: Option<&str>,
        status: StatusCode,
    ) -> HttpResponse {
        let key = screen.key();
        let args = [("email", Arg::from(email.unwrap_or_default()))];
        let page = Self {
            heading: words.t(&format!("{key}-heading")),
            intro: words.with(&format!("{key}-intro"), &args),
            screen,
            words,
        };
        match page.render() {
            Ok(body) => html::page(status, body),
            Err(e) => {
                tracing::error!(error = %e, "dispute page could not be rendered");
                HttpResponse::InternalServerError().finish()
            }
        }
    }
}

/// The page's language: the address's, else the customer's (else the browser's, else English).
fn words_for(req: &HttpRequest, links: &LinkService, target: Option<&DisputeTarget>) -> Words {
    let locale = match target {
        Some(t) => Locale::from_query(req.query_string())
            .unwrap_or_else(|| Locale::for_language(&t.customer.language)),
        None => browser_locale(req),
    };
    Words::new(locale, links.brand().clone())
}

/// What `token` opens, or the page saying why there is nothing (unknown, or a failure).
async fn target(
    req: &HttpRequest,
    links: &LinkService,
    token: &str,
) -> Result<DisputeTarget, HttpResponse> {
    match links.dispute_target(token).await {
        Ok(Some(target)) => Ok(target),
        Ok(None) => Err(DisputePage::respond(
            Screen::Unknown,
            words_for(req, links, None),
            None,
            StatusCode::NOT_FOUND,
        )),
        Err(e) => {
            let problem = link_errors::problem(&e);
            problem.log();
            let words = words_for(req, links, None);
            Err(DisputePage::respond(
                Screen::Unavailable,
                words,
                None,
                problem.status(),
            ))
        }
    }
}

#[tracing::instrument(name = "dispute_page", skip_all)]
pub async fn show(
    path: web::Path<String>,
    req: HttpRequest,
    links: web::Data<LinkService>,
) -> HttpResponse {
    let target = match target(&req, &links, &path).await {
        Ok(target) => target,
        Err(page) => return page,
    };
    let screen = Screen::of(target.status);
    let status = match screen {
        Screen::Expired => StatusCode::GONE,
        _ => StatusCode::OK,
    };
    let words = words_for(&req, &links, Some(&target));
    DisputePage::respond(screen, words, Some(&target.link.signup_email), status)
}

#[tracing::instrument(name = "dispute_confirm", skip_all, fields(link.id = tracing::field::Empty))]
pub async fn confirm(
    path: web::Path<String>,
    req: HttpRequest,
    state: web::Data<AppState>,
    links: web::Data<LinkService>,
) -> HttpResponse {
    if is_cross_site(&req, &state.settings.server.public_url) {
        let words = words_for(&req, &links, None);
        return DisputePage::respond(Screen::CrossSite, words, None, StatusCode::FORBIDDEN);
    }
    let target = match target(&req, &links, &path).await {
        Ok(target) => target,
        Err(page) => return page,
    };
    tracing::Span::current().record("link.id", target.link.id.as_str());
    let words = words_for(&req, &links, Some(&target));
    let email = Some(target.link.signup_email.as_str());
    match links.dispute(&target).await {
        Ok(DisputeStatus::Reported) if target.status == DisputeStatus::Open => {
            DisputePage::respond(Screen::Done, words, email, StatusCode::OK)
        }
        Ok(DisputeStatus::Expired) => {
            DisputePage::respond(Screen::Expired, words, email, StatusCode::GONE)
        }
        Ok(status) => DisputePage::respond(Screen::of(status), words, email, StatusCode::CONFLICT),
        Err(e) => {
            let problem = link_errors::problem(&e);
            problem.log();
            DisputePage::respond(Screen::Unavailable, words, None, problem.status())
        }
    }
}
