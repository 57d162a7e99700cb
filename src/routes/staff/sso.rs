//! Signing in at the bank's identity provider: `/staff/sso/start` sends the browser there,
//! `/staff/sso/callback` takes it back.

use super::gate;
use super::login::{LoginLimiter, page};
use super::pages;
use crate::http::cookies::{self, STAFF_SSO};
use crate::services::staff::{SsoCallback, SsoRefusal, StaffService};
use crate::state::AppState;
use actix_web::cookie::{SameSite, time::Duration};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use secrecy::ExposeSecret;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct StartQuery {
    return_to: Option<String>,
    #[serde(default)]
    step_up: Option<String>,
}

/// Sends the browser to the provider, with a cookie that binds the sign-in to it.
pub async fn start(
    req: HttpRequest,
    query: Option<web::Query<StartQuery>>,
    staff: web::Data<StaffService>,
    limiter: web::Data<LoginLimiter>,
) -> HttpResponse {
    if staff.sso_provider_name().is_none() {
        return pages::not_found(None);
    }
    if limiter.0.check_request(&req).await.is_err() {
        return page(
            &staff,
            StatusCode::TOO_MANY_REQUESTS,
            "",
            Some("Too many sign-in attempts from your network. Wait a minute and try again."),
            None,
        );
    }
    let query = query.map(web::Query::into_inner);
    let return_to = query.as_ref().and_then(|q| q.return_to.as_deref());
    let step_up = query.as_ref().is_some_and(|q| q.step_up.is_some());
    match staff.sso_start(return_to, step_up).await {
        Ok(started) => {
            let cookie = cookies::set(
                STAFF_SSO,
                started.browser_secret.expose_secret(),
                SameSite::Lax,
                Some(Duration::minutes(10)),
            );
            cookies::with(pages::see_other(started.url.as_str()), &cookie)
        }
        Err(e) => {
            tracing::error!(error = %e, "a sign-in at the identity provider could not start");
            pages::provider_unavailable(staff.sso_provider_name())
        }
    }
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    #[serde(default)]
    state: String,
    code: Option<String>,
    error: Option<String>,
    iss: Option<String>,
}

pub async fn callback(
    req: HttpRequest,
    query: Option<web::Query<CallbackQuery>>,
    state: web::Data<AppState>,
    staff: web::Data<StaffService>,
) -> HttpResponse {
    if staff.sso_provider_name().is_none() {
        return pages::not_found(None);
    }
    let query = query.map(web::Query::into_inner);
    let empty = CallbackQuery {
        state: String::new(),
        code: None,
        error: None,
        iss: None,
    };
    let q = query.as_ref().unwrap_or(&empty);
    let browser = req.cookie(STAFF_SSO).map(|c| c.value().to_owned());
    let ip = state
        .settings
        .limits
        .proxies()
        .client_ip(&req)
        .map(|ip| ip.to_string());
    let callback = SsoCallback {
        state: &q.state,
        code: q.code.as_deref(),
        error: q.error.as_deref(),
        iss: q.iss.as_deref(),
    };
    let response = match staff
        .sso_finish(browser.as_deref(), &callback, ip.as_deref())
        .await
    {
        Ok(signed_in) => {
            if let Some(old) = gate::cookie_value(&req)
                && let Err(e) = staff.end_session(&old).await
            {
                tracing::warn!(error = %e, "could not end the browser's earlier session");
            }
            // On from a page of ours, not by a redirect: a redirect would still count as the
            // provider's cross-site navigation, and the strict session cookie would not be sent.
            let body = pages::go_on(
                "Signed in",
                "Continue to the back office",
                &signed_in.return_to,
            );
            let cookie = gate::session_cookie(signed_in.session.id.expose_secret());
            cookies::with(body, &cookie)
        }
        Err(refusal) => refused(&staff, refusal),
    };
    cookies::with(response, &cookies::cleared(STAFF_SSO, SameSite::Lax))
}

/// The sign-in page again, saying why the provider's answer did not sign anyone in.
fn refused(staff: &StaffService, refusal: SsoRefusal) -> HttpResponse {
    let provider = staff.sso_provider_name().unwrap_or("the identity provider");
    let (status, text) = match refusal {
        SsoRefusal::State => (
            StatusCode::BAD_REQUEST,
            "This sign-in cannot be finished: it was not started in this browser, was already used, or took more than 10 minutes. Sign in again.".to_owned(),
        ),
        SsoRefusal::NotVouched => (
            StatusCode::UNAUTHORIZED,
            format!("{provider} did not confirm who you are, so you are not signed in. Sign in again."),
        ),
        SsoRefusal::NotFresh => (
            StatusCode::UNAUTHORIZED,
            format!("{provider} did not ask for your sign-in again, which this step needs. Sign in again."),
        ),
        SsoRefusal::NoRole { .. } => (
            StatusCode::FORBIDDEN,
            format!("You signed in at {provider}, but you are in none of the groups that give access to the back office. Ask your administrator to add you to the viewers', reviewers' or admins' group."),
        ),
        SsoRefusal::NameTaken { name } => (
            StatusCode::CONFLICT,
            format!("Your name at {provider} ({name}) is already another staff account's here. Ask an administrator to rename that account."),
        ),
        SsoRefusal::Disabled { .. } => (
            StatusCode::FORBIDDEN,
            "Your staff account here is disabled. Ask an administrator to enable it.".to_owned(),
        ),
        SsoRefusal::ProviderError(code) => (
            if code == "access_denied" { StatusCode::FORBIDDEN } else { StatusCode::BAD_REQUEST },
            format!("The sign-in was not completed at {provider} ({code}). Sign in again."),
        ),
        SsoRefusal::Unexpected(e) => {
            tracing::error!(error = %e, "a sign-in at the identity provider could not finish");
            return pages::provider_unavailable(Some(provider));
        }
    };
    page(staff, status, "", Some(&text), None)
}
