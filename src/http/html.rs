//! HTML responses: the security headers every page carries, and the one stylesheet pages use.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;

/// Pages load nothing but wiselink's own style sheets, images and one script (no inline script
/// or style), post only to themselves and cannot be framed.
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; script-src 'self'; \
                   form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

pub const STYLESHEET_PATH: &str = "/assets/wiselink.css";
const STYLESHEET: &str = include_str!("../../templates/pages/wiselink.css");

pub const SCRIPT_PATH: &str = "/assets/wiselink.js";
const SCRIPT: &str = include_str!("../../templates/pages/wiselink.js");

/// A page as the customer's browser must get it: never cached, never framed, never referred.
pub fn page(status: StatusCode, html: String) -> HttpResponse {
    page_with_form_to(status, html, None)
}

/// [`page`] whose forms may also lead to `origin` (a form post answered with a redirect there is
/// governed by `form-action` too).
pub fn page_with_form_to(status: StatusCode, html: String, origin: Option<&str>) -> HttpResponse {
    let csp = match origin {
        Some(origin) => CSP.replace(
            "form-action 'self'",
            &format!("form-action 'self' {origin}"),
        ),
        None => CSP.to_owned(),
    };
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header(("Content-Security-Policy", csp))
        .insert_header((
            "Strict-Transport-Security",
            "max-age=63072000; includeSubDomains",
        ))
        .insert_header(("X-Frame-Options", "DENY"))
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("Referrer-Policy", "no-referrer"))
        .body(html)
}

pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=86400"))
        .body(STYLESHEET)
}

/// The pages' progressive enhancement: local times, and a reload when a wait is over. Every page
/// works without it.
pub async fn script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=86400"))
        .body(SCRIPT)
}

/// `s` with the five characters HTML gives meaning to written as entities, for text placed in
/// markup built outside a template.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
