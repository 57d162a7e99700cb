//! User creation and lookup: signup, exists, `/v1/me`, `/v1/users/{id}`, claim-account.

use super::state::{Mail, ProfileKind, SimState, mask};
use super::{Simulator, WiseReply};
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};
use validator::ValidateEmail;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/user/signup/registration_code", web::post().to(signup))
        .route("/v1/users/exists", web::post().to(exists))
        .route("/v1/me", web::get().to(me))
        .route("/v1/users/{user_id}", web::get().to(user_by_id))
        .route("/v1/user/claim-account", web::post().to(claim_account));
}

fn json_body(body: &[u8]) -> Result<serde_json::Map<String, Value>, WiseReply> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(WiseReply::spring(
            400,
            "Bad Request",
            "Malformed JSON request",
            "",
        )),
    }
}

/// Validation order as Wise applies it: NotNull → Size → email format → NOT_UNIQUE.
async fn signup(
    req: HttpRequest,
    body: web::Bytes,
    sim: web::Data<Simulator>,
) -> Result<HttpResponse, WiseReply> {
    let now = sim.clock.now_utc();
    let mut state = sim.lock();
    let client_id = state.authenticate_client(&req, now)?;
    let body = json_body(&body)?;
    let text = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_owned);
    let (email, code) = (text("email"), text("registrationCode"));
    let mut missing = Vec::new();
    if email.is_none() {
        missing.push(("NotNull", "must not be null", "email", vec![]));
    }
    if code.is_none() {
        missing.push(("NotNull", "must not be null", "registrationCode", vec![]));
    }
    let (Some(email), Some(code)) = (email, code) else {
        return Err(WiseReply::errors(400, missing));
    };
    if code.chars().count() < 32 {
        let args = vec!["2147483647".to_owned(), "32".to_owned()];
        return Err(WiseReply::errors(
            400,
            vec![(
                "Size",
                "size must be between 32 and 2147483647",
                "registrationCode",
                args,
            )],
        ));
    }
    if !email.validate_email() {
        let args = vec!["email".to_owned(), mask(&email)];
        return Err(WiseReply::errors(
            422,
            vec![("ERROR", "Please provide a valid email", "email", args)],
        ));
    }
    if let Some(existing) = state.people.user_by_email(&email).cloned() {
        if body
            .get("sendAuthorizationCodeAsEmail")
            .and_then(Value::as_bool)
            == Some(true)
        {
            send_code_email(&sim, &mut state, existing.id, &existing.email, now);
        }
        let args = vec!["email".to_owned(), mask(&email)];
        return Err(WiseReply::errors(
            409,
            vec![(
                "NOT_UNIQUE",
                "You're already a member. Please login",
                "email",
                args,
            )],
        ));
    }
    let id = state.people.create_user(&email);
    if let Some(user) = state.people.user_mut(id) {
        user.registration_code = Some(code);
        user.created_by = Some(client_id);
    }
    let status = actix_web::http::StatusCode::from_u16(state.control.variants().signup_status)
        .unwrap_or(actix_web::http::StatusCode::OK);
    Ok(HttpResponse::build(status)
        .json(json!({"id": id, "name": null, "email": email, "active": true, "details": null})))
}

/// The email Wise sends on a 409 when asked to: a link to its login page, which shows the code.
fn send_code_email(
    sim: &Simulator,
    state: &mut SimState,
    user_id: i64,
    email: &str,
    now: chrono::DateTime<chrono::Utc>,
) {
    let code = state.codes.new_auth_code(&sim.client, user_id, now);
    let ticket = uuid::Uuid::new_v4().simple().to_string();
    state.codes.add_email_ticket(ticket.clone(), code.clone());
    let link = format!("{}/oauth/authorize/email/{ticket}", sim.public_url);
    state.mailbox.push(Mail {
        to: email.to_owned(),
        subject: "Connect your Wise account".to_owned(),
        text: format!(
            "Someone asked to connect your Wise account to another app.\n\n\
             Log in to Wise to see your authorization code, then type it into the app:\n{link}\n\n\
             The code works once and expires in 30 minutes. If this wasn't you, ignore this email."
        ),
        authorization_code: Some(code),
        sent_at: now,
    });
}

async fn exists(
    req: HttpRequest,
    body: web::Bytes,
    sim: web::Data<Simulator>,
) -> Result<HttpResponse, WiseReply> {
    let now = sim.clock.now_utc();
    let state = sim.lock();
    state.authenticate_client(&req, now)?;
    let body = json_body(&body)?;
    let Some(email) = body.get("email").and_then(Value::as_str) else {
        return Err(WiseReply::errors(
            400,
            vec![("NotNull", "must not be null", "email", vec![])],
        ));
    };
    Ok(HttpResponse::Ok().json(json!({"exists": state.people.user_by_email(email).is_some()})))
}

async fn me(req: HttpRequest, sim: web::Data<Simulator>) -> Result<HttpResponse, WiseReply> {
    let now = sim.clock.now_utc();
    let state = sim.lock();
    let user_id = state.authenticate_user(&req, now)?;
    Ok(HttpResponse::Ok().json(user_json(&state, user_id)))
}

async fn user_by_id(
    req: HttpRequest,
    path: web::Path<String>,
    sim: web::Data<Simulator>,
) -> Result<HttpResponse, WiseReply> {
    let now = sim.clock.now_utc();
    let state = sim.lock();
    let user_id = state.authenticate_user(&req, now)?;
    match path.parse::<i64>() {
        Ok(id) if id == user_id => Ok(HttpResponse::Ok().json(user_json(&state, user_id))),
        _ => Err(WiseReply::forbidden(req.path())),
    }
}

async fn claim_account(
    req: HttpRequest,
    body: web::Bytes,
    sim: web::Data<Simulator>,
) -> Result<HttpResponse, WiseReply> {
    let now = sim.clock.now_utc();
    let mut state = sim.lock();
    let user_id = state.authenticate_user(&req, now)?;
    let body = json_body(&body)?;
    let Some(code) = body.get("registrationCode").and_then(Value::as_str) else {
        return Err(WiseReply::errors(
            400,
            vec![("NotNull", "must not be null", "registrationCode", vec![])],
        ));
    };
    let user = state.people.user(user_id).cloned();
    match user {
        Some(u) if !u.reclaimed && u.registration_code.as_deref() == Some(code) => {
            let claim = state.codes.new_claim_code(user_id, now);
            Ok(HttpResponse::Ok().json(json!({"claimAccountCode": claim})))
        }
        _ => Err(WiseReply::errors(
            400,
            vec![(
                "INVALID",
                "Invalid registration code",
                "registrationCode",
                vec![],
            )],
        )),
    }
}

/// The v1 user object; `details` mirrors the personal profile and is null without one.
pub fn user_json(state: &SimState, user_id: i64) -> Value {
    let Some(user) = state.people.user(user_id) else {
        return Value::Null;
    };
    let personal = state
        .people
        .profiles_of(user_id)
        .into_iter()
        .find(|p| p.kind == ProfileKind::Personal);
    let name = match (&user.first_name, &user.last_name) {
        (Some(f), Some(l)) => Value::from(format!("{f} {l}")),
        _ => Value::Null,
    };
    let details = match personal {
        Some(p) => json!({
            "firstName": user.first_name.clone().unwrap_or_default(),
            "lastName": user.last_name.clone().unwrap_or_default(),
            "phoneNumber": "+447700900456",
            "dateOfBirth": p.date_of_birth.map(|d| d.to_string()),
            "occupation": "",
            "primaryAddress": p.id + 1,
        }),
        None => Value::Null,
    };
    let mut details = details;
    if let Some(map) = details.as_object_mut() {
        // An absent DOB is left out rather than sent as null, which the schema does not allow.
        map.retain(|_, v| !v.is_null());
    }
    json!({"id": user.id, "name": name, "email": user.email, "active": user.state.can_use_api(), "details": details})
}
