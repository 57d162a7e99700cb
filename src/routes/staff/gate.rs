//! Who may go through, as extractors a handler names: [`Signed<R>`] for a page, [`Posted<R>`]
//! for a form. Each finds the session from its cookie and checks that its role allows `R`
//! (the handler's type states the least role); a form must also come from this site's own page
//! (`Sec-Fetch-Site` / `Origin`) and carry the session's form token. Strangers are sent to the
//! sign-in page, a role too small or a foreign form gets 403.

use super::pages::{self, Page};
use crate::domain::Role;
use crate::http::cookies::{self, STAFF_SESSION};
use crate::http::same_origin::is_cross_site;
use crate::services::staff::{Freshness, LoginError, StaffService, StaffSession};
use crate::state::AppState;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::error::InternalError;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use futures_util::future::LocalBoxFuture;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::marker::PhantomData;

pub use crate::http::cookies::STAFF_SESSION as SESSION_COOKIE;

/// A form with no fields of its own (its form token is checked by [`Posted`]).
#[derive(Debug, Default, Deserialize)]
pub struct NoFields {}

/// The form token every staff form carries.
#[derive(Deserialize)]
struct FormToken {
    #[serde(default)]
    csrf: String,
}

/// The least role a route allows, named by the handler's extractor.
pub trait Least: 'static {
    const ROLE: Role;
}

/// Any signed-in staff member (viewers and up).
pub struct AnyStaff;
/// Reviewers and admins.
pub struct Reviewer;
/// Admins only.
pub struct Admin;

impl Least for AnyStaff {
    const ROLE: Role = Role::Viewer;
}

impl Least for Reviewer {
    const ROLE: Role = Role::Reviewer;
}

impl Least for Admin {
    const ROLE: Role = Role::Admin;
}

/// A page request by a signed-in staff member whose role allows `R`.
pub struct Signed<R> {
    pub session: StaffSession,
    role: PhantomData<R>,
}

/// A form posted from this site's own page by a signed-in staff member whose role allows `R`,
/// its form token checked and its fields read as `F`.
pub struct Posted<R, F = NoFields> {
    pub session: StaffSession,
    pub form: F,
    role: PhantomData<R>,
}

impl<R: Least> FromRequest for Signed<R> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let staff = wired::<StaffService>(&req)?;
            let session = allowed(&req, &staff, R::ROLE, Freshness::Current)
                .await
                .map_err(refused)?;
            Ok(Self {
                session,
                role: PhantomData,
            })
        })
    }
}

impl<R: Least, F: DeserializeOwned + 'static> FromRequest for Posted<R, F> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let payload = web::Payload::from_request(&req, payload).into_inner();
        Box::pin(async move {
            let staff = wired::<StaffService>(&req)?;
            let state = wired::<AppState>(&req)?;
            if is_cross_site(&req, &state.settings.server.public_url) {
                return Err(refused(pages::message(
                    StatusCode::FORBIDDEN,
                    None,
                    "Not sent from this site",
                    "This form was sent from another site's page, so it was not taken.",
                )));
            }
            let payload = payload.map_err(|_| refused(unreadable()))?;
            let bytes = form_bytes(&req, payload, &state.settings.server)
                .await
                .map_err(refused)?;
            let token: FormToken = parse_form(&bytes).ok_or_else(|| refused(unreadable()))?;
            let form: F = parse_form(&bytes).ok_or_else(|| refused(unreadable()))?;
            // A form is a decision or a change: the identity provider confirms the role now.
            let session = allowed(&req, &staff, R::ROLE, Freshness::Confirmed)
                .await
                .map_err(refused)?;
            if !session.csrf_matches(&token.csrf) {
                return Err(refused(pages::message(
                    StatusCode::FORBIDDEN,
                    Some(Page::chrome(&session)),
                    "Form expired",
                    "This form was not sent from your current session. Open the page again and retry.",
                )));
            }
            Ok(Self {
                session,
                form,
                role: PhantomData,
            })
        })
    }
}

/// The session of `req` if its role allows `least`, or the answer: the sign-in page for
/// strangers, 403 for a role too small.
async fn allowed(
    req: &HttpRequest,
    staff: &StaffService,
    least: Role,
    freshness: Freshness,
) -> Result<StaffSession, HttpResponse> {
    let session = match cookie_value(req) {
        Some(id) => match staff.session(&id, freshness).await {
            Ok(session) => session,
            Err(LoginError::ProviderUnavailable(reason)) => {
                tracing::warn!(reason = %reason, "the identity provider could not confirm a staff session");
                return Err(pages::provider_unavailable(staff.sso_provider_name()));
            }
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
    if !session.role.allows(least) {
        return Err(pages::message(
            StatusCode::FORBIDDEN,
            Some(Page::chrome(&session)),
            "Not allowed",
            &format!("This needs the {least} role; you are a {}.", session.role),
        ));
    }
    Ok(session)
}

/// A refusal page as the extractor's error: actix answers with the page itself.
fn refused(page: HttpResponse) -> actix_web::Error {
    InternalError::from_response("refused at the staff gate", page).into()
}

/// The app's `T`, which startup always registers.
fn wired<T: 'static>(req: &HttpRequest) -> Result<web::Data<T>, actix_web::Error> {
    req.app_data::<web::Data<T>>()
        .cloned()
        .ok_or_else(|| refused(pages::unavailable()))
}

/// The session cookie's value, if the request has one.
pub fn cookie_value(req: &HttpRequest) -> Option<String> {
    req.cookie(STAFF_SESSION).map(|c| c.value().to_owned())
}

/// The cookie that carries a new session id.
pub fn session_cookie(id: &str) -> Cookie<'static> {
    cookies::set(STAFF_SESSION, id, SameSite::Strict, None)
}

/// The cookie that clears the session id from the browser.
pub fn cleared_cookie() -> Cookie<'static> {
    cookies::cleared(STAFF_SESSION, SameSite::Strict)
}

/// The form of a POST read as `F` (fields it does not name are ignored, missing ones take their
/// defaults), or the page for a body that is not one.
pub async fn read_form<F: DeserializeOwned>(
    req: &HttpRequest,
    payload: web::Payload,
    server: &crate::settings::ServerSettings,
) -> Result<F, HttpResponse> {
    parse_form(&form_bytes(req, payload, server).await?).ok_or_else(unreadable)
}

async fn form_bytes(
    req: &HttpRequest,
    payload: web::Payload,
    server: &crate::settings::ServerSettings,
) -> Result<web::Bytes, HttpResponse> {
    crate::http::body::read_form(req, payload, server)
        .await
        .map_err(|e| {
            use actix_web::ResponseError;
            pages::message(
                e.status_code(),
                None,
                "Form not readable",
                "The form could not be read. Open the page again and retry.",
            )
        })
}

/// The form's fields as `F`; `None` for a body that is no form.
fn parse_form<F: DeserializeOwned>(bytes: &[u8]) -> Option<F> {
    serde_urlencoded::from_bytes(bytes).ok()
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
    typed: Option<&str>,
    what: &str,
) -> Confirmation {
    use crate::services::staff::Reauth;
    // A session started at the identity provider has no password here: signing in there again
    // (`/staff/sso/start?step_up=1`, the provider asked to authenticate anew) stands for it.
    if let Some(provider) = &session.sso {
        return if session.recent {
            Confirmation::Confirmed
        } else {
            Confirmation::Refused(
                StatusCode::UNAUTHORIZED,
                format!(
                    "Not {what}: sign in again at {provider} first (the link beside the button)."
                ),
            )
        };
    }
    let password = secrecy::SecretString::from(typed.unwrap_or_default().to_owned());
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
            Confirmation::Answered(cookies::with(pages::to_login(), &cleared_cookie()))
        }
        Err(e) => {
            tracing::error!(error = %e, "re-authentication failed");
            Confirmation::Answered(pages::unavailable())
        }
    }
}
