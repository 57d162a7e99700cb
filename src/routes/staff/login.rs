//! Signing in and out.

use super::gate::{self, AnyStaff, Posted};
use super::pages;
use crate::http::cookies;
use crate::http::rate_limit::IpLimiter;
use crate::http::same_origin::is_cross_site;
use crate::services::staff::{LoginError, StaffService};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::http::header::RETRY_AFTER;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use secrecy::SecretString;
use serde::Deserialize;

/// The per-IP limit on sign-in attempts (its own, apart from the code page's).
pub struct LoginLimiter(pub IpLimiter);

/// The one answer to every failed sign-in, whatever was wrong (an administrator who must enrol an
/// authenticator first gets it too: a different answer would confirm the password).
const REFUSED: &str = "Wrong username, password or code. Check them and try again. If your \
    role needs an authenticator code and none is set up for you, ask an administrator to enrol one.";

#[derive(Template)]
#[template(path = "staff/login.html")]
struct LoginPage {
    chrome: Option<pages::Chrome>,
    error: Option<String>,
    notice: Option<String>,
    username: String,
}

fn page(
    status: StatusCode,
    username: &str,
    error: Option<&str>,
    notice: Option<&str>,
) -> HttpResponse {
    pages::render(
        status,
        &LoginPage {
            chrome: None,
            error: error.map(str::to_owned),
            notice: notice.map(str::to_owned),
            username: username.to_owned(),
        },
    )
}

pub async fn show() -> HttpResponse {
    page(StatusCode::OK, "", None, None)
}

/// The sign-in form.
#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    totp: String,
}

pub async fn submit(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    staff: web::Data<StaffService>,
    limiter: web::Data<LoginLimiter>,
) -> HttpResponse {
    if is_cross_site(&req, &state.settings.server.public_url) {
        return page(
            StatusCode::FORBIDDEN,
            "",
            Some("This form was sent from another site's page, so it was not taken."),
            None,
        );
    }
    if let Err(retry_after) = limiter.0.check_request(&req).await {
        let mut response = page(
            StatusCode::TOO_MANY_REQUESTS,
            "",
            Some("Too many sign-in attempts from your network. Wait a minute and try again."),
            None,
        );
        if let Ok(v) = retry_after.to_string().parse() {
            response.headers_mut().insert(RETRY_AFTER, v);
        }
        return response;
    }
    let form: LoginForm = match gate::read_form(&req, payload, &state.settings.server).await {
        Ok(form) => form,
        Err(response) => return response,
    };
    let username = form.username.as_str();
    let password = SecretString::from(form.password);
    let totp = Some(form.totp.as_str()).filter(|t| !t.trim().is_empty());
    let ip = client_ip(&req, &state);
    match staff.login(username, &password, totp, ip.as_deref()).await {
        Ok(session) => {
            // A fresh id at every sign-in: whatever session this browser had before ends.
            if let Some(old) = gate::cookie_value(&req)
                && let Err(e) = staff.end_session(&old).await
            {
                tracing::warn!(error = %e, "could not end the browser's earlier session");
            }
            let cookie = gate::session_cookie(secrecy::ExposeSecret::expose_secret(&session.id));
            cookies::with(pages::see_other("/staff"), &cookie)
        }
        Err(LoginError::Refused) => page(StatusCode::UNAUTHORIZED, username, Some(REFUSED), None),
        Err(LoginError::Unexpected(e)) => {
            tracing::error!(error = %e, "staff sign-in failed");
            pages::unavailable()
        }
    }
}

pub async fn logout(
    posted: Posted<AnyStaff>,
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: web::Data<StaffService>,
) -> HttpResponse {
    let session = posted.session;
    let ip = client_ip(&req, &state);
    if let Err(e) = staff.logout(&session, ip.as_deref()).await {
        tracing::error!(error = %e, "staff sign-out failed");
        return pages::unavailable();
    }
    let response = page(StatusCode::OK, "", None, Some("You are signed out."));
    cookies::with(response, &gate::cleared_cookie())
}

/// The client's address as the sign-in record keeps it (behind trusted proxies, the forwarded one).
fn client_ip(req: &HttpRequest, state: &AppState) -> Option<String> {
    state
        .settings
        .limits
        .proxies()
        .client_ip(req)
        .map(|ip| ip.to_string())
}
