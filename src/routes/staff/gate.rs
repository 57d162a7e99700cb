//! Who may go through: the session cookie, the route's role, and for every POST our own origin
//! and the session's form token.

use super::pages::{self, Page};
use super::{ROUTES, StaffRoute};
use crate::http::same_origin::is_cross_site;
use crate::services::staff::{StaffService, StaffSession};
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpRequest, HttpResponse};
use std::collections::HashMap;

/// `__Host-`: only ever set by this origin over HTTPS, for the whole site, never shared with a
/// subdomain.
pub const SESSION_COOKIE: &str = "__Host-wiselink-staff";

/// A submitted form's fields.
pub type Form = HashMap<String, String>;

/// The route `method path` is, if any: `{…}` segments match any one segment.
pub fn route_of(method: &Method, path: &str) -> Option<&'static StaffRoute> {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    ROUTES.iter().find(|r| {
        let pattern: Vec<&str> = r.path.split('/').collect();
        r.method == method.as_str()
            && pattern.len() == segments.len()
            && pattern
                .iter()
                .zip(&segments)
                .all(|(p, s)| (p.starts_with('{') && !s.is_empty()) || p == s)
    })
}

/// The session cookie's value, if the request has one.
pub fn cookie_value(req: &HttpRequest) -> Option<String> {
    req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned())
}

/// The cookie that carries a new session id.
pub fn session_cookie(id: &str) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, id.to_owned())
        .path("/")
        .secure(true)
        .http_only(true)
        .same_site(SameSite::Strict)
        .finish()
}

/// The cookie that clears the session id from the browser.
pub fn cleared_cookie() -> Cookie<'static> {
    let mut c = session_cookie("");
    c.make_removal();
    c
}

/// The signed-in staff member allowed on this route, or the answer for everyone else: the
/// sign-in page for strangers, 403 for a role too small, a cross-site post or a missing form
/// token.
pub async fn gate(
    req: &HttpRequest,
    staff: &StaffService,
    public_url: &str,
    form: Option<&Form>,
) -> Result<StaffSession, HttpResponse> {
    let Some(route) = route_of(req.method(), req.path()) else {
        return Err(pages::not_found(None));
    };
    let posting = req.method() == Method::POST;
    if posting && is_cross_site(req, public_url) {
        return Err(pages::message(
            StatusCode::FORBIDDEN,
            None,
            "Not sent from this site",
            "This form was sent from another site's page, so it was not taken.",
        ));
    }
    let session = match cookie_value(req) {
        Some(id) => match staff.session(&id).await {
            Ok(session) => session,
            Err(e) => {
                tracing::error!(error = %e, "staff session lookup failed");
                return Err(pages::unavailable());
            }
        },
        None => None,
    };
    let Some(session) = session else {
        return Err(pages::to_login());
    };
    let chrome = Page::chrome(&session);
    if let Some(needed) = route.role
        && !session.role.allows(needed)
    {
        return Err(pages::message(
            StatusCode::FORBIDDEN,
            Some(chrome),
            "Not allowed",
            &format!("This needs the {needed} role; you are a {}.", session.role),
        ));
    }
    if posting {
        let token = form.and_then(|f| f.get("csrf")).map(String::as_str);
        if !token.is_some_and(|t| session.csrf_matches(t)) {
            return Err(pages::message(
                StatusCode::FORBIDDEN,
                Some(chrome),
                "Form expired",
                "This form was not sent from your current session. Open the page again and retry.",
            ));
        }
    }
    Ok(session)
}

/// The form of a POST, or the page for a body that is not one.
pub async fn read_form(
    req: &HttpRequest,
    payload: actix_web::web::Payload,
    server: &crate::settings::ServerSettings,
) -> Result<Form, HttpResponse> {
    match crate::http::body::read_form(req, payload, server).await {
        Ok(bytes) => serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
            .map(|pairs| pairs.into_iter().collect())
            .map_err(|_| unreadable()),
        Err(e) => {
            use actix_web::ResponseError;
            Err(pages::message(
                e.status_code(),
                None,
                "Form not readable",
                "The form could not be read. Open the page again and retry.",
            ))
        }
    }
}

fn unreadable() -> HttpResponse {
    pages::message(
        StatusCode::BAD_REQUEST,
        None,
        "Form not readable",
        "The form could not be read. Open the page again and retry.",
    )
}

/// What asking for the password again came to, for the page to answer.
pub enum Confirmation {
    Confirmed,
    /// Not confirmed: the status and the sentence to show on the page.
    Refused(StatusCode, String),
    /// The answer is already made: the session ended (back to sign-in), or the service failed.
    Answered(HttpResponse),
}

/// Checks the password typed again in `typed` before `what` ("approved", "added", "created")
/// happens. Too many wrong ones end the session: the browser goes back to the sign-in page.
pub async fn confirm_password(
    staff: &StaffService,
    session: &StaffSession,
    typed: Option<&String>,
    what: &str,
) -> Confirmation {
    use crate::services::staff::Reauth;
    let password = secrecy::SecretString::from(typed.cloned().unwrap_or_default());
    match staff.reauthenticate(session, &password).await {
        Ok(Reauth::Confirmed) => Confirmation::Confirmed,
        Ok(Reauth::Wrong { left }) => Confirmation::Refused(
            StatusCode::UNAUTHORIZED,
            format!(
                "Not {what}: that is not your password. {left} more wrong and you are signed out."
            ),
        ),
        Ok(Reauth::Waiting) => Confirmation::Refused(
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "Not {what}: your account had too many wrong passwords. Wait a few minutes, then try again."
            ),
        ),
        Ok(Reauth::SessionEnded) => {
            let mut response = pages::to_login();
            let _ = response.add_cookie(&cleared_cookie());
            Confirmation::Answered(response)
        }
        Err(e) => {
            tracing::error!(error = %e, "re-authentication failed");
            Confirmation::Answered(pages::unavailable())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_find_their_routes() {
        let get = Method::GET;
        let post = Method::POST;
        assert_eq!(route_of(&get, "/staff").unwrap().path, "/staff");
        assert_eq!(
            route_of(&post, "/staff/links/lnk_1/approve").unwrap().path,
            "/staff/links/{link_id}/approve"
        );
        assert!(route_of(&post, "/staff/links/lnk_1/delete").is_none());
        assert!(route_of(&get, "/staff/links/lnk_1/approve").is_none());
        assert!(route_of(&get, "/staff/links/").is_none());
    }
}
