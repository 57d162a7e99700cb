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

use crate::db::links::LinkRow;
use crate::domain::LinkState;
use crate::http::html;
use crate::services::links::LinkService;
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
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
    fn of(link: &LinkRow, now: NaiveDateTime) -> Self {
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
    expires_at: String,
    attempts_remaining: i32,
    /// When a new code can be asked for, if not yet.
    resend_from: Option<String>,
    error: Option<String>,
    notice: Option<String>,
    /// Where the page's form may send the browser besides wiselink (Wise's authorization page,
    /// for "Continue to Wise"): added to the CSP's `form-action`, which also governs redirects.
    form_to: Option<String>,
}

impl CodePage {
    /// The page for `link` as it is now.
    fn of(link: &LinkRow, links: &LinkService) -> Self {
        let (policy, now) = (links.policy(), links.clock().now());
        let resend_at = policy.resend.resend_available_at(link.last_email_at());
        let screen = Screen::of(link, now);
        Self {
            form_to: (screen == Screen::ContinueToWise).then(|| links.authorize_origin()),
            screen,
            expires_at: link
                .code_expires_at
                .map(|t| clock_time(t, now))
                .unwrap_or_default(),
            attempts_remaining: link.attempts_remaining,
            resend_from: (resend_at > now).then(|| clock_time(resend_at, now)),
            error: None,
            notice: None,
        }
    }

    /// A page with no link behind it.
    fn bare(screen: Screen) -> Self {
        Self {
            screen,
            expires_at: String::new(),
            attempts_remaining: 0,
            resend_from: None,
            error: None,
            notice: None,
            form_to: None,
        }
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

/// The page for an unknown or ended session.
fn closed() -> HttpResponse {
    CodePage::bare(Screen::Closed).respond(StatusCode::NOT_FOUND)
}

/// A post from another site's page: refused before the session is even looked up.
fn cross_site() -> HttpResponse {
    CodePage::bare(Screen::CrossSite).respond(StatusCode::FORBIDDEN)
}

/// Something on wiselink's side failed: logged here, once.
fn unavailable(problem: &crate::http::Problem) -> HttpResponse {
    problem.log();
    CodePage::bare(Screen::Unavailable).respond(problem.status())
}

/// `14:03 UTC`, or with the date when it is not the same day as `now`.
fn clock_time(t: NaiveDateTime, now: NaiveDateTime) -> String {
    if t.date() == now.date() {
        format!("{} UTC", t.format("%H:%M"))
    } else {
        format!("{} UTC", t.format("%-d %B %Y, %H:%M"))
    }
}
