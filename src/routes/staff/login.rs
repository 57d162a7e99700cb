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
    /// The identity provider's name, when staff sign in there.
    sso: Option<String>,
    /// Whether the password form is shown, and whether only the break-glass account may use it.
    password_form: bool,
    break_glass_only: bool,
}

/// The sign-in page: the identity provider's button when staff sign in there, the password form
/// when local accounts (or the break-glass account) may sign in.
pub(super) fn page(
    staff: &StaffService,
    status: StatusCode,
    username: &str,
    error: Option<&str>,
    notice: Option<&str>,
) -> HttpResponse {
    let sso = &staff.settings().sso;
    let break_glass_only = sso.enabled() && !sso.local_accounts;
    pages::render(
        status,
        &LoginPage {
            chrome: None,
            error: error.map(str::to_owned),
            notice: notice.map(str::to_owned),
            username: username.to_owned(),
            sso: staff.sso_provider_name().map(str::to_owned),
            password_form: !break_glass_only || !sso.break_glass_user.is_empty(),
            break_glass_only,
        },
    )
}

pub async fn show(staff: web::Data<StaffService>) -> HttpResponse {
    page(&staff, StatusCode::OK, "", None, None)
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
            &staff,
            StatusCode::FORBIDDEN,
            "",
            Some("This form was sent from another site's page, so it was not taken."),
            None,
        );
    }
    if let Err(retry_after) = limiter.0.check_request(&req).await {
        let mut response = page(
            &staff,
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
        Err(LoginError::Refused) => page(
            &staff,
            StatusCode::UNAUTHORIZED,
            username,
            Some(REFUSED),
            None,
        ),
        Err(e) => {
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
    let response = match staff.logout(&session, ip.as_deref()).await {
        // Signed out here; now at the identity provider too, which sends the browser back to
        // the sign-in page. From a page, not a redirect: the form's CSP (form-action 'self')
        // would stop a redirect to another origin.
        Ok(Some(at_provider)) => pages::go_on(
            "Signed out",
            "Sign out at your identity provider too",
            at_provider.as_str(),
        ),
        Ok(None) => page(
            &staff,
            StatusCode::OK,
            "",
            None,
            Some("You are signed out."),
        ),
        Err(e) => {
            tracing::error!(error = %e, "staff sign-out failed");
            return pages::unavailable();
        }
    };
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
