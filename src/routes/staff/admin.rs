//! `/staff/admin`: staff accounts (add, role, disable, enable) and API keys (list, create — the
//! key is shown once — and revoke), with the recent sign-in record.

use super::gate::{self, Admin, Confirmation, Posted, Signed};
use super::pages::{self, Chrome, Page};
use crate::services::api_keys::IssuedKey;
use crate::services::staff::{AccountError, StaffService, StaffSession, StaffSummary};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

struct KeyLine {
    id: String,
    name: String,
    created: String,
    revoked: bool,
}

struct NewKey {
    id: String,
    token: String,
}

struct AuditLine {
    at: String,
    event: String,
    username: String,
    actor: Option<String>,
    ip: Option<String>,
}

#[derive(Template)]
#[template(path = "staff/admin.html")]
struct AdminPage {
    chrome: Option<Chrome>,
    error: Option<String>,
    notice: Option<String>,
    csrf: String,
    staff: Vec<StaffSummary>,
    keys: Vec<KeyLine>,
    new_key: Option<NewKey>,
    audit: Vec<AuditLine>,
    /// With single sign-on and local accounts off: the provider's name (a local account added
    /// here signs in only as the break-glass account).
    local_off: Option<String>,
}

async fn respond(
    session: &StaffSession,
    staff: &StaffService,
    status: StatusCode,
    error: Option<String>,
    notice: Option<String>,
    new_key: Option<IssuedKey>,
) -> HttpResponse {
    let built = async {
        Ok::<_, AccountError>(AdminPage {
            chrome: Some(Page::chrome(session)),
            error,
            notice,
            csrf: session.csrf_token.clone(),
            local_off: staff
                .sso_provider_name()
                .filter(|_| !staff.settings().sso.local_accounts)
                .map(str::to_owned),
            staff: staff.list().await?,
            keys: staff
                .api_keys()
                .await?
                .into_iter()
                .map(|k| KeyLine {
                    id: k.id,
                    name: k.name,
                    created: pages::at(k.created_at),
                    revoked: k.revoked_at.is_some(),
                })
                .collect(),
            new_key: new_key.map(|k| NewKey {
                id: k.id,
                token: k.token.expose_secret().to_owned(),
            }),
            audit: staff
                .recent_audit(20)
                .await?
                .into_iter()
                .map(|a| AuditLine {
                    at: pages::at(a.created_at),
                    event: a.event,
                    username: a.username,
                    actor: a.actor,
                    ip: a.client_ip,
                })
                .collect(),
        })
    };
    match built.await {
        Ok(page) => pages::render(status, &page),
        Err(e) => {
            tracing::error!(error = %e, "admin page could not be built");
            pages::unavailable()
        }
    }
}

pub async fn show(signed: Signed<Admin>, staff: web::Data<StaffService>) -> HttpResponse {
    respond(&signed.session, &staff, StatusCode::OK, None, None, None).await
}

/// The admin's password, typed again in `your_password`: creating someone who could act (a
/// staff account, an API key) is never done on a session alone.
async fn confirmed(
    session: &StaffSession,
    staff: &StaffService,
    your_password: &str,
    what: &str,
) -> Result<(), HttpResponse> {
    match gate::confirm_password(staff, session, Some(your_password), what).await {
        Confirmation::Confirmed => Ok(()),
        Confirmation::Refused(status, message) => {
            Err(respond(session, staff, status, Some(message), None, None).await)
        }
        Confirmation::Answered(response) => Err(response),
    }
}

/// The admin page after a change: the notice, or what was wrong.
async fn after(
    session: &StaffSession,
    staff: &StaffService,
    result: Result<String, AccountError>,
) -> HttpResponse {
    let (status, message) = match result {
        Ok(notice) => {
            return respond(session, staff, StatusCode::OK, None, Some(notice), None).await;
        }
        Err(AccountError::Invalid(e)) => (StatusCode::UNPROCESSABLE_ENTITY, e.message),
        Err(e @ AccountError::NotFound(_)) => (StatusCode::NOT_FOUND, e.to_string()),
        Err(e @ (AccountError::Exists(_) | AccountError::LastAdmin(_))) => {
            (StatusCode::CONFLICT, e.to_string())
        }
        Err(e) => {
            tracing::error!(error = %e, "admin change failed");
            return pages::unavailable();
        }
    };
    let error = Some(format!("Not changed: {message}."));
    respond(session, staff, status, error, None, None).await
}

/// Adding a staff member.
#[derive(Deserialize)]
pub struct NewStaffForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    your_password: String,
}

pub async fn add_staff(
    posted: Posted<Admin, NewStaffForm>,
    staff: web::Data<StaffService>,
) -> HttpResponse {
    let Posted { session, form, .. } = posted;
    if let Err(response) = confirmed(&session, &staff, &form.your_password, "added").await {
        return response;
    }
    let (username, role) = (form.username, form.role);
    let password = SecretString::from(form.password);
    let result = staff
        .add(&username, &role, &password, &session.actor())
        .await
        .map(|()| {
            format!(
                "Added {} as {}.",
                username.trim().to_ascii_lowercase(),
                role
            )
        });
    after(&session, &staff, result).await
}

/// What an admin can change of a staff account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    Disable,
    Enable,
    Role,
}

impl Change {
    fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "disable" => Self::Disable,
            "enable" => Self::Enable,
            "role" => Self::Role,
            _ => return None,
        })
    }
}

/// Changing a staff account: the new role, for a role change.
#[derive(Deserialize)]
pub struct ChangeForm {
    #[serde(default)]
    role: String,
}

pub async fn change_staff(
    posted: Posted<Admin, ChangeForm>,
    path: web::Path<(String, String)>,
    staff: web::Data<StaffService>,
) -> HttpResponse {
    let Posted { session, form, .. } = posted;
    let (username, raw_change) = path.into_inner();
    let Some(change) = Change::parse(&raw_change) else {
        return pages::not_found(Some(Page::chrome(&session)));
    };
    let actor = session.actor();
    let result = match change {
        Change::Disable => staff
            .disable(&username, &actor)
            .await
            .map(|()| format!("Disabled {username}; their sessions have ended.")),
        Change::Enable => staff
            .enable(&username, &actor)
            .await
            .map(|()| format!("Enabled {username}.")),
        Change::Role => {
            let role = form.role;
            staff
                .set_role(&username, &role, &actor)
                .await
                .map(|()| format!("{username} is now {role}; their sessions have ended."))
        }
    };
    // Changing one's own account ends one's own session too: back to the sign-in page.
    if result.is_ok()
        && username.trim().eq_ignore_ascii_case(&session.username)
        && change != Change::Enable
    {
        return pages::to_login();
    }
    after(&session, &staff, result).await
}

/// Creating an API key.
#[derive(Deserialize)]
pub struct NewKeyForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    your_password: String,
}

pub async fn create_key(
    posted: Posted<Admin, NewKeyForm>,
    staff: web::Data<StaffService>,
) -> HttpResponse {
    let Posted { session, form, .. } = posted;
    if let Err(response) = confirmed(&session, &staff, &form.your_password, "created").await {
        return response;
    }
    let name = form.name;
    match staff.create_api_key(&name, &session.actor()).await {
        Ok(key) => respond(&session, &staff, StatusCode::OK, None, None, Some(key)).await,
        Err(e) => after(&session, &staff, Err(e)).await,
    }
}

pub async fn revoke_key(
    posted: Posted<Admin>,
    path: web::Path<String>,
    staff: web::Data<StaffService>,
) -> HttpResponse {
    let session = posted.session;
    let id = path.into_inner();
    let result = staff
        .revoke_api_key(&id, &session.actor())
        .await
        .map(|()| format!("Revoked API key {id}."));
    after(&session, &staff, result).await
}
