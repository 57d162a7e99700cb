//! The redirect flow in the browser: the trip to Wise's authorization page (from the link page's
//! "Continue to Wise"), `GET /oauth/callback` where Wise sends the customer back, and the result
//! page the callback redirects to. The callback checks the state before anything reaches Wise,
//! answers `no-store` and `no-referrer`, and never puts the code or the state into a URL it
//! redirects to.

use crate::db::links::LinkRow;
use crate::http::html;
use crate::i18n::Words;
use crate::routes::link_errors;
use crate::services::links::{
    Authorized, BrowserTrip, LinkError, LinkService, Returned, StateRefused,
};
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use secrecy::ExposeSecret;
use serde::Deserialize;

/// Binds a state issued by wiselink's page to the browser that asked for it.
use crate::http::cookies::{self, AUTHORIZE as COOKIE};
use actix_web::cookie::SameSite;

/// How the trip ended, as the result page says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Linked,
    InReview,
    NotLinked,
    Declined,
    /// The state was refused (missing, unknown, used, expired, another browser's).
    Refused,
    /// The link moved on, or its time ran out.
    Ended,
    /// Wise or wiselink failed; try again later.
    Failed,
}

impl Outcome {
    fn param(self) -> &'static str {
        match self {
            Self::Linked => "linked",
            Self::InReview => "in_review",
            Self::NotLinked => "not_linked",
            Self::Declined => "declined",
            Self::Refused => "refused",
            Self::Ended => "ended",
            Self::Failed => "failed",
        }
    }

    /// The locale files' name for the outcome: `{key}-heading`, `{key}-intro`.
    fn key(self) -> &'static str {
        match self {
            Self::Linked => "linked",
            Self::InReview => "review",
            Self::NotLinked => "rejected",
            Self::Declined => "declined",
            Self::Refused => "refused",
            Self::Ended => "closed",
            Self::Failed => "failed",
        }
    }

    fn title_key(self) -> &'static str {
        match self {
            Self::Linked => "title-linked",
            Self::InReview => "title-review",
            Self::NotLinked => "title-rejected",
            Self::Declined => "title-declined",
            Self::Refused => "title-refused",
            Self::Ended => "title-closed",
            Self::Failed => "title-unavailable",
        }
    }

    fn parse(raw: &str) -> Option<Self> {
        [
            Self::Linked,
            Self::InReview,
            Self::NotLinked,
            Self::Declined,
            Self::Refused,
            Self::Ended,
            Self::Failed,
        ]
        .into_iter()
        .find(|o| o.param() == raw)
    }
}

#[derive(Template)]
#[template(path = "pages/authorized.html")]
struct ResultPage {
    outcome: Outcome,
    words: Words,
}

impl ResultPage {
    /// The outcome's `heading` or `intro`.
    fn text(&self, part: &str) -> String {
        self.words.t(&format!("{}-{part}", self.outcome.key()))
    }
}

fn render(outcome: Outcome, status: StatusCode, words: Words) -> HttpResponse {
    let words = words.keeping(&format!("result={}", outcome.param()));
    match (ResultPage { outcome, words }).render() {
        Ok(page) => html::page(status, page),
        Err(e) => {
            tracing::error!(error = %e, "result page could not be rendered");
            HttpResponse::InternalServerError().finish()
        }
    }
}

/// 303 to Wise's page, with the cookie that binds the new state to this browser (lax, so it is
/// sent when Wise's page sends the customer back; for as long as the state lives).
pub fn to_wise(trip: BrowserTrip) -> HttpResponse {
    let lifetime =
        actix_web::cookie::time::Duration::minutes(crate::services::links::STATE_TTL_MINUTES);
    let cookie = cookies::set(
        COOKIE,
        trip.cookie.expose_secret(),
        SameSite::Lax,
        Some(lifetime),
    );
    let answer = HttpResponse::SeeOther()
        .insert_header((
            header::LOCATION,
            trip.redirect.url.expose_secret().to_owned(),
        ))
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("Referrer-Policy", "no-referrer"))
        .finish();
    cookies::with(answer, &cookie)
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    #[serde(rename = "profileId", alias = "profileID")]
    _profile_id: Option<String>,
    #[serde(rename = "error_description")]
    _error_description: Option<String>,
}

#[tracing::instrument(name = "oauth_callback", skip_all)]
pub async fn callback(req: HttpRequest, links: web::Data<LinkService>) -> HttpResponse {
    // Unknown parameters are ignored; unreadable ones are as good as missing.
    let query = web::Query::<CallbackQuery>::from_query(req.query_string())
        .map(web::Query::into_inner)
        .unwrap_or(CallbackQuery {
            code: None,
            state: None,
            error: None,
            _profile_id: None,
            _error_description: None,
        });
    let cookie = req.cookie(COOKIE).map(|c| c.value().to_owned());
    let returned = Returned {
        state: query.state,
        code: query.code,
        error: query.error,
    };
    let words = Words::new(super::browser_locale(&req), links.brand().clone());
    let answer = match links.callback(returned, cookie.as_deref()).await {
        Ok(Authorized::Exchanged(done)) => {
            let outcome = match done.link.state {
                crate::domain::LinkState::Active => Outcome::Linked,
                crate::domain::LinkState::NeedsReview => Outcome::InReview,
                _ => Outcome::NotLinked,
            };
            back(&links, &done.link, outcome).await
        }
        Ok(Authorized::Declined(link)) => back(&links, &link, Outcome::Declined).await,
        Err(LinkError::BadState(refused)) => {
            tracing::info!(refused = refused.code(), "callback state refused");
            let status = match refused {
                StateRefused::Used => StatusCode::CONFLICT,
                StateRefused::Expired => StatusCode::GONE,
                _ => StatusCode::BAD_REQUEST,
            };
            render(Outcome::Refused, status, words)
        }
        Err(e @ (LinkError::WrongState(_) | LinkError::CodeExpired)) => {
            render(Outcome::Ended, link_errors::problem(&e).status(), words)
        }
        Err(e) => {
            let problem = link_errors::problem(&e);
            problem.log();
            render(Outcome::Failed, problem.status(), words)
        }
    };
    forget_cookie(answer)
}

/// 303 to the link's `return_url` (with the link id and the outcome) or to wiselink's result
/// page in the customer's language: never with the code or the state.
async fn back(links: &LinkService, link: &LinkRow, outcome: Outcome) -> HttpResponse {
    let location = match link
        .return_url
        .as_deref()
        .and_then(|u| url::Url::parse(u).ok())
    {
        Some(mut url) => {
            url.query_pairs_mut()
                .append_pair("link_id", link.id.as_str())
                .append_pair("result", outcome.param());
            String::from(url)
        }
        None => {
            // The language is only a nicety here: the page falls back to the browser's.
            let lang = match links.locale_of(&link.id).await {
                Ok(locale) => format!("&lang={}", locale.code()),
                Err(e) => {
                    tracing::warn!(error = %e, "customer's language could not be read");
                    String::new()
                }
            };
            format!("/oauth/result?result={}{lang}", outcome.param())
        }
    };
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("Referrer-Policy", "no-referrer"))
        .finish()
}

fn forget_cookie(answer: HttpResponse) -> HttpResponse {
    cookies::with(answer, &cookies::cleared(COOKIE, SameSite::Lax))
}

#[derive(Deserialize)]
pub struct ResultQuery {
    result: Option<String>,
}

/// `GET /oauth/result?result=…`: what the trip to Wise came to, in words.
pub async fn result(
    req: HttpRequest,
    query: web::Query<ResultQuery>,
    links: web::Data<LinkService>,
) -> HttpResponse {
    let words = Words::new(super::browser_locale(&req), links.brand().clone());
    match query.result.as_deref().and_then(Outcome::parse) {
        Some(outcome) => render(outcome, StatusCode::OK, words),
        None => render(Outcome::Ended, StatusCode::NOT_FOUND, words),
    }
}
