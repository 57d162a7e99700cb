//! What every staff page shares: the header (who is signed in, the form token for signing out),
//! the message page, redirects, and how times and ages read.

use super::gate;

/// What staff pages show where an erased customer's details were.
pub const ERASED: &str = "erased";
use crate::http::html;
use crate::services::staff::{Freshness, StaffService, StaffSession};
use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, LOCATION};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::NaiveDateTime;

/// The header of a signed-in page.
pub struct Chrome {
    pub username: String,
    pub role: &'static str,
    pub admin: bool,
    pub csrf: String,
    /// The identity provider's name, for a session started there (no password to ask again).
    pub sso: Option<String>,
    /// A session started at the provider must sign in there again before a decision.
    pub step_up: bool,
}

pub struct Page;

impl Page {
    pub fn chrome(session: &StaffSession) -> Chrome {
        Chrome {
            username: session.username.clone(),
            role: session.role.as_str(),
            admin: session.role.allows(crate::domain::Role::Admin),
            csrf: session.csrf_token.clone(),
            sso: session.sso.clone(),
            step_up: session.sso.is_some() && !session.recent,
        }
    }
}

/// Renders a staff page with the headers of every HTML response.
pub fn render(status: StatusCode, page: &impl Template) -> HttpResponse {
    match page.render() {
        Ok(body) => html::page(status, body),
        Err(e) => {
            tracing::error!(error = %e, "staff page could not be rendered");
            HttpResponse::InternalServerError().finish()
        }
    }
}

#[derive(Template)]
#[template(path = "staff/message.html")]
struct Message<'a> {
    chrome: Option<Chrome>,
    error: Option<String>,
    notice: Option<String>,
    heading: &'a str,
    body: &'a str,
}

pub fn message(
    status: StatusCode,
    chrome: Option<Chrome>,
    heading: &str,
    body: &str,
) -> HttpResponse {
    render(
        status,
        &Message {
            chrome,
            error: None,
            notice: None,
            heading,
            body,
        },
    )
}

pub fn not_found(chrome: Option<Chrome>) -> HttpResponse {
    message(
        StatusCode::NOT_FOUND,
        chrome,
        "Not found",
        "There is nothing at this address.",
    )
}

pub fn unavailable() -> HttpResponse {
    message(
        StatusCode::SERVICE_UNAVAILABLE,
        None,
        "Please try again",
        "Something on our side failed. Try again in a moment.",
    )
}

/// A session started at the identity provider that the provider cannot confirm right now: nothing
/// is served on it until it can (the session is kept).
pub fn provider_unavailable(provider: Option<&str>) -> HttpResponse {
    let mut response = message(
        StatusCode::SERVICE_UNAVAILABLE,
        None,
        "Your sign-in could not be confirmed",
        &format!(
            "{} did not answer when we asked whether your sign-in still holds. Try again in a minute.",
            provider.unwrap_or("Your identity provider")
        ),
    );
    response.headers_mut().insert(
        actix_web::http::header::RETRY_AFTER,
        actix_web::http::header::HeaderValue::from_static("60"),
    );
    response
}

#[derive(Template)]
#[template(path = "staff/continue.html")]
struct GoOn<'a> {
    chrome: Option<Chrome>,
    error: Option<String>,
    notice: Option<String>,
    heading: &'a str,
    link_text: &'a str,
    next: &'a str,
}

/// A page that sends the browser on to `next` at once (a meta refresh, and a link): for where a
/// redirect will not do.
pub fn go_on(heading: &str, link_text: &str, next: &str) -> HttpResponse {
    render(
        StatusCode::OK,
        &GoOn {
            chrome: None,
            error: None,
            notice: None,
            heading,
            link_text,
            next,
        },
    )
}

/// 303 to `location`, never cached.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((LOCATION, location.to_owned()))
        .insert_header((CACHE_CONTROL, "no-store"))
        .finish()
}

pub fn to_login() -> HttpResponse {
    see_other("/staff/login")
}

/// Any other `/staff` address: the sign-in page for strangers, "not found" for staff.
pub async fn unknown(req: HttpRequest, staff: web::Data<StaffService>) -> HttpResponse {
    let session = match gate::cookie_value(&req) {
        Some(id) => staff.session(&id, Freshness::Current).await.ok().flatten(),
        None => None,
    };
    match session {
        Some(s) => not_found(Some(Page::chrome(&s))),
        None => to_login(),
    }
}

/// `2026-12-02 14:03 UTC`.
pub fn at(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// How long ago, roughly: `45 min`, `3 h 10 min`, `2 d 4 h`.
pub fn age(since: NaiveDateTime, now: NaiveDateTime) -> String {
    age_of((now - since).num_minutes())
}

/// [`age`] of a wait of `minutes`.
pub fn age_of(minutes: i64) -> String {
    match minutes.max(0) {
        m if m < 60 => format!("{m} min"),
        m if m < 24 * 60 => format!("{} h {} min", m / 60, m % 60),
        m => format!("{} d {} h", m / (24 * 60), (m / 60) % 24),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_naturally() {
        let t = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        let now = t("2026-12-02 12:00");
        assert_eq!(age(t("2026-12-02 11:15"), now), "45 min");
        assert_eq!(age(t("2026-12-02 08:50"), now), "3 h 10 min");
        assert_eq!(age(t("2026-11-30 08:00"), now), "2 d 4 h");
    }
}
