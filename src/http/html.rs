//! HTML responses: the security headers every page carries, and the one stylesheet pages use.

pub use crate::markup::escape;
use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{Error, HttpResponse};
use std::future::Future;

/// Pages load nothing but wiselink's own style sheets, images and one script (no inline script
/// or style), post only to themselves and cannot be framed.
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; script-src 'self'; \
                   form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The API documentation (Swagger UI at `/docs/`, and `/openapi.json`): Swagger UI's own script
/// and style files, the inline styles and `data:` images it sets from script, and calls for the
/// document on the same origin. Nothing else, and never framed.
const DOCS_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
                        img-src 'self' data:; connect-src 'self'; form-action 'none'; \
                        base-uri 'none'; frame-ancestors 'none'";

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

/// Middleware: the documentation's answers get the headers every page carries.
pub fn docs_headers<S, B>(
    req: ServiceRequest,
    service: &S,
) -> impl Future<Output = Result<ServiceResponse<B>, Error>> + use<S, B>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
    S::Future: 'static,
    B: MessageBody,
{
    let path = req.path();
    let docs = path == "/docs" || path.starts_with("/docs/") || path == "/openapi.json";
    let call = service.call(req);
    async move {
        let mut res = call.await?;
        if docs {
            let headers = res.headers_mut();
            for (name, value) in [
                ("content-security-policy", DOCS_CSP),
                ("x-frame-options", "DENY"),
                (
                    "strict-transport-security",
                    "max-age=63072000; includeSubDomains",
                ),
            ] {
                headers.insert(
                    HeaderName::from_static(name),
                    HeaderValue::from_static(value),
                );
            }
        }
        Ok(res)
    }
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
