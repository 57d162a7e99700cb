//! `GET /link/{session_token}` shows the customer where their link stands and, while Wise's code
//! is awaited, a form for it; `POST` takes the code (or a request for a new one) and shows the
//! outcome. The session token in the path is the only credential: it is never written back into
//! the page, the form posts to the page's own address, and no other site may frame the page or
//! learn its address through a referrer.

mod get;
mod messages;
mod post;

pub use get::show;
pub use post::submit;

use crate::db::links::PageLink;
use crate::domain::LinkState;
use crate::http::html;
use crate::i18n::{Locale, Words};
use crate::services::links::LinkService;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;
use chrono::NaiveDateTime;

/// Which screen the page shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Screen {
    EnterCode,
    /// Redirect flow: a button to Wise's authorization page.
    ContinueToWise,
    CodeExpired,
    /// The code is being exchanged or checked; the page refreshes itself.
    Working,
    Linked,
    /// Staff must decide; the page never says why.
    UnderReview,
    Rejected,
    Locked,
    /// Something on wiselink's side failed.
    Unavailable,
    /// Unknown, ended or expired session.
    Closed,
    /// A form post from another site's page, refused unread.
    CrossSite,
}

impl Screen {
    /// The locale files' name for the screen: `{key}-heading`, `{key}-intro`.
    fn key(self) -> &'static str {
        match self {
            Self::EnterCode => "enter",
            Self::ContinueToWise => "continue",
            Self::CodeExpired => "expired",
            Self::Working => "working",
            Self::Linked => "linked",
            Self::UnderReview => "review",
            Self::Rejected => "rejected",
            Self::Locked => "locked",
            Self::Unavailable => "unavailable",
            Self::Closed => "closed",
            Self::CrossSite => "cross-site",
        }
    }

    fn title_key(self) -> &'static str {
        match self {
            Self::EnterCode => "title-enter-code",
            Self::ContinueToWise => "title-continue",
            Self::CodeExpired => "title-code-expired",
            Self::Working => "title-working",
            Self::Linked => "title-linked",
            Self::UnderReview => "title-review",
            Self::Rejected => "title-rejected",
            Self::Locked => "title-locked",
            Self::Unavailable => "title-unavailable",
            Self::Closed => "title-closed",
            Self::CrossSite => "title-cross-site",
        }
    }

    fn of(link: &PageLink, now: NaiveDateTime) -> Self {
        match link.state {
            LinkState::AwaitingCode if link.code_expires_at.is_some_and(|t| t <= now) => {
                Self::CodeExpired
            }
            LinkState::AwaitingCode => Self::EnterCode,
            LinkState::Pending | LinkState::Exchanging | LinkState::Verifying => Self::Working,
            LinkState::Active => Self::Linked,
            LinkState::NeedsReview => Self::UnderReview,
            LinkState::Rejected => Self::Rejected,
            LinkState::Locked => Self::Locked,
            LinkState::AwaitingAuthorization if link.code_expires_at.is_some_and(|t| t > now) => {
                Self::ContinueToWise
            }
            LinkState::AwaitingAuthorization
            | LinkState::RelinkRequired
            | LinkState::Unlinked
            | LinkState::Expired => Self::Closed,
        }
    }
}

#[derive(Template)]
#[template(path = "pages/code_entry.html")]
struct CodePage {
    screen: Screen,
    words: Words,
    /// Until when the code (or the trip to Wise) can be used, as HTML with a `<time>`.
    until: String,
    attempts_remaining: i32,
    /// When a new code can be asked for, if not yet: the instant, and the sentence saying it.
    resend_later: Option<(String, String)>,
    error: Option<String>,
    notice: Option<String>,
    /// Where the page's form may send the browser besides wiselink (Wise's authorization page,
    /// for "Continue to Wise"): added to the CSP's `form-action`, which also governs redirects.
    form_to: Option<String>,
}

impl CodePage {
    /// The page for `link` as it is now, in `locale`.
    fn of(link: &PageLink, links: &LinkService, locale: Locale) -> Self {
        let (policy, now) = (links.policy(), links.clock().now());
        let words = Words::new(locale, links.brand().clone());
        let resend_at = policy.resend.resend_available_at(link.last_email_at());
        let screen = Screen::of(link, now);
        let until_key = match screen {
            Screen::ContinueToWise => "continue-until",
            _ => "code-until",
        };
        Self {
            form_to: (screen == Screen::ContinueToWise).then(|| links.authorize_origin()),
            screen,
            until: link
                .code_expires_at
                .map(|t| words.when_html(until_key, t, now))
                .unwrap_or_default(),
            attempts_remaining: link.attempts_remaining,
            resend_later: (resend_at > now).then(|| {
                (
                    resend_at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                    words.when_html("resend-later", resend_at, now),
                )
            }),
            words,
            error: None,
            notice: None,
        }
    }

    /// A page with no link behind it.
    fn bare(screen: Screen, words: Words) -> Self {
        Self {
            screen,
            words,
            until: String::new(),
            attempts_remaining: 0,
            resend_later: None,
            error: None,
            notice: None,
            form_to: None,
        }
    }

    /// The screen's `heading` or `intro`.
    fn text(&self, part: &str) -> String {
        self.words.t(&format!("{}-{part}", self.screen.key()))
    }

    fn respond(self, status: StatusCode) -> HttpResponse {
        match self.render() {
            Ok(page) => html::page_with_form_to(status, page, self.form_to.as_deref()),
            Err(e) => {
                tracing::error!(error = %e, "code page could not be rendered");
                HttpResponse::InternalServerError().finish()
            }
        }
    }
}

/// The locale a page is shown in: the one its address asks for, else the customer's.
fn page_locale(req: &HttpRequest, customer: Locale) -> Locale {
    Locale::from_query(req.query_string()).unwrap_or(customer)
}

/// Words for a page with no customer behind it: the address's language, else the browser's,
/// else English.
fn bare_words(req: &HttpRequest, links: &LinkService) -> Words {
    Words::new(browser_locale(req), links.brand().clone())
}

/// The address's language, else the browser's first one wiselink speaks, else English.
pub(crate) fn browser_locale(req: &HttpRequest) -> Locale {
    let accepted = req
        .headers()
        .get(actix_web::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(Locale::from_accept_language);
    page_locale(req, accepted.unwrap_or(Locale::En))
}

/// The page for an unknown or ended session.
fn closed(req: &HttpRequest, links: &LinkService) -> HttpResponse {
    CodePage::bare(Screen::Closed, bare_words(req, links)).respond(StatusCode::NOT_FOUND)
}

/// A post from another site's page: refused before the session is even looked up.
fn cross_site(req: &HttpRequest, links: &LinkService) -> HttpResponse {
    CodePage::bare(Screen::CrossSite, bare_words(req, links)).respond(StatusCode::FORBIDDEN)
}

/// Something on wiselink's side failed: logged here, once.
fn unavailable(
    req: &HttpRequest,
    links: &LinkService,
    problem: &crate::http::Problem,
) -> HttpResponse {
    problem.log();
    CodePage::bare(Screen::Unavailable, bare_words(req, links)).respond(problem.status())
}
