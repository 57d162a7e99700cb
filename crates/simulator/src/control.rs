//! `/__sim/…`: the control API tests and demos drive the simulator with. Not part of Wise.

mod lookups;
mod rate_limits;
mod webhooks;

use super::Simulator;
use super::state::{Deactivation, Fault, ProfileKind, Revoked, UserState, Variants};
use actix_web::{HttpResponse, Scope, guard, web};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::json;

/// The control API answers only requests whose `Host` names this machine or the simulator's own
/// public host: what it shows (the mailbox's codes, the calls with their bodies) is not for a
/// page on a DNS-rebound name. Other requests fall through to the simulated Wise (404).
pub fn scope() -> Scope {
    web::scope("/__sim")
        .guard(guard::fn_guard(|ctx| {
            let public_host = ctx
                .app_data::<web::Data<Simulator>>()
                .and_then(|sim| url::Url::parse(&sim.public_url).ok())
                .and_then(|u| u.host_str().map(str::to_ascii_lowercase));
            ctx.head()
                .headers
                .get(actix_web::http::header::HOST)
                .and_then(|h| h.to_str().ok())
                .is_some_and(|host| {
                    wiselink_domain::local_names::names_this_machine(host, public_host.as_deref())
                })
        }))
        .route("/users", web::post().to(seed_user))
        .configure(lookups::configure)
        .route("/users/{id}/{action}", web::post().to(user_action))
        .configure(webhooks::configure)
        .configure(rate_limits::configure)
        .route("/linked-users", web::post().to(seed_linked_users))
        .route("/mailbox", web::get().to(mailbox))
        .route("/faults", web::post().to(add_fault))
        .route("/faults", web::get().to(list_faults))
        .route("/faults", web::delete().to(clear_faults))
        .route("/calls", web::get().to(calls))
        .route("/access-tokens/{token}", web::get().to(access_token))
        .route("/calls", web::delete().to(clear_calls))
        .route("/clock", web::post().to(advance_clock))
        .route("/variants", web::get().to(get_variants))
        .route("/variants", web::post().to(set_variants))
}

/// `GET /__sim/access-tokens/{token}`: whether Wise takes the token now, and when a refresh
/// replaced it (RFC 3339, simulator clock), if one did.
async fn access_token(path: web::Path<String>, sim: web::Data<Simulator>) -> HttpResponse {
    let token = path.into_inner();
    let now = sim.clock.now_utc();
    let state = sim.lock();
    HttpResponse::Ok().json(json!({
        "live": state.tokens.access_token(&token).is_some_and(|a| a.expires_at > now),
        "replaced_at": state.tokens.replaced_at(&token).map(|t| t.to_rfc3339()),
    }))
}

fn bad_request(message: impl Into<String>) -> HttpResponse {
    HttpResponse::BadRequest().json(json!({"error": message.into()}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewUser {
    email: String,
    date_of_birth: Option<NaiveDate>,
    first_name: String,
    last_name: String,
    /// Shorthand for `profiles: ["business"]`: a business-only user.
    #[serde(default)]
    business: bool,
    /// Which profiles to create: any of "personal" and "business"; `[]` for none. Default personal.
    profiles: Option<Vec<String>>,
}

async fn seed_user(body: web::Json<NewUser>, sim: web::Data<Simulator>) -> HttpResponse {
    let new = body.into_inner();
    let kinds = match (&new.profiles, new.business) {
        (Some(list), _) => list.clone(),
        (None, true) => vec!["business".to_owned()],
        (None, false) => vec!["personal".to_owned()],
    };
    let mut parsed = Vec::new();
    for kind in &kinds {
        match kind.as_str() {
            "personal" => parsed.push(ProfileKind::Personal),
            "business" => parsed.push(ProfileKind::Business),
            other => return bad_request(format!("unknown profile kind {other:?}")),
        }
    }
    let now = sim.clock.now_utc();
    let mut state = sim.lock();
    if state.people.user_by_email(&new.email).is_some() {
        return HttpResponse::Conflict().json(json!({"error": "a user with this email exists"}));
    }
    let user_id = state.people.create_user(&new.email);
    if let Some(user) = state.people.user_mut(user_id) {
        user.first_name = Some(new.first_name);
        user.last_name = Some(new.last_name);
    }
    let profile_ids: Vec<i64> = parsed
        .into_iter()
        .map(|kind| {
            let dob = (kind == ProfileKind::Personal)
                .then_some(new.date_of_birth)
                .flatten();
            state.people.add_profile(user_id, kind, dob, now)
        })
        .collect();
    let profile_id = state.people.default_profile(user_id);
    HttpResponse::Created()
        .json(json!({"user_id": user_id, "profile_id": profile_id, "profile_ids": profile_ids}))
}

#[derive(Deserialize, Default)]
struct ActionBody {
    email: Option<String>,
    deactivation_type: Option<String>,
    deactivation_reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LinkedUsers {
    count: usize,
    /// Emails are `{email_prefix}{n}@example.com`.
    email_prefix: String,
    date_of_birth: NaiveDate,
}

/// `POST /__sim/linked-users`: `count` users with a personal profile, each already linked to the
/// registered client (as after the authorization page and the code exchange): their user and
/// profile ids and token pairs. For benchmarks that need many live links at once.
async fn seed_linked_users(
    body: web::Json<LinkedUsers>,
    sim: web::Data<Simulator>,
) -> HttpResponse {
    let spec = body.into_inner();
    if spec.count > 200_000 {
        return bad_request("count must be at most 200000");
    }
    let now = sim.clock.now_utc();
    let client_id = sim.client.id.clone();
    let mut state = sim.lock();
    let mut users = Vec::with_capacity(spec.count);
    for n in 0..spec.count {
        let email = format!("{}{n}@example.com", spec.email_prefix);
        if state.people.user_by_email(&email).is_some() {
            return HttpResponse::Conflict().json(json!({"error": format!("{email} exists")}));
        }
        let user_id = state.people.create_user(&email);
        let profile_id = state.people.add_profile(
            user_id,
            ProfileKind::Personal,
            Some(spec.date_of_birth),
            now,
        );
        let tokens = state.tokens.user_grant(&client_id, user_id, now);
        users.push(json!({
            "email": email,
            "user_id": user_id,
            "profile_id": profile_id,
            "access_token": tokens.access_token,
            "refresh_token": tokens.refresh_token,
        }));
    }
    HttpResponse::Created().json(users)
}

async fn user_action(
    path: web::Path<(i64, String)>,
    body: Option<web::Json<ActionBody>>,
    sim: web::Data<Simulator>,
) -> HttpResponse {
    let (id, action) = path.into_inner();
    let body = body.map(web::Json::into_inner).unwrap_or_default();
    let now = sim.clock.now_utc();
    let mut state = sim.lock();
    if state.people.user(id).is_none() {
        return HttpResponse::NotFound().json(json!({"error": "no such user"}));
    }
    match action.as_str() {
        "revoke" => state.tokens.revoke_user_tokens(id, Revoked::Plain),
        "reclaim" => {
            if let Some(u) = state.people.user_mut(id) {
                u.reclaimed = true;
            }
        }
        "deactivate" | "withdraw-only" | "reactivate" => {
            let to = match action.as_str() {
                "deactivate" => UserState::Deactivated,
                "withdraw-only" => UserState::WithdrawOnly,
                _ => UserState::Active,
            };
            let why = Deactivation {
                deactivation_type: body.deactivation_type,
                deactivation_reason: body.deactivation_reason,
            };
            if let Err(problem) = state.change_user_state(id, to, why, now) {
                return HttpResponse::Conflict().json(json!({"error": problem}));
            }
        }
        "change-email" => {
            let Some(email) = body.email else {
                return bad_request("change-email needs {\"email\": …}");
            };
            state.people.set_email(id, email);
            state.tokens.revoke_user_tokens(id, Revoked::EmailChanged);
        }
        other => {
            return bad_request(format!(
                "unknown action {other:?}; use revoke, reclaim, deactivate, withdraw-only, reactivate or change-email"
            ));
        }
    }
    HttpResponse::NoContent().finish()
}

#[derive(Deserialize)]
struct MailboxQuery {
    to: Option<String>,
}

async fn mailbox(query: web::Query<MailboxQuery>, sim: web::Data<Simulator>) -> HttpResponse {
    let state = sim.lock();
    HttpResponse::Ok().json(state.mailbox.to(query.to.as_deref()))
}

async fn add_fault(body: web::Json<Fault>, sim: web::Data<Simulator>) -> HttpResponse {
    let fault = body.into_inner();
    if !fault.endpoint.starts_with('/') {
        return bad_request("endpoint must be a path such as /oauth/token");
    }
    if fault.status.is_some_and(|s| !(400..=599).contains(&s)) {
        return bad_request("status must be 400–599");
    }
    if fault.count == 0 {
        return bad_request("count must be at least 1");
    }
    sim.lock().control.arm(fault);
    HttpResponse::Created().finish()
}

async fn list_faults(sim: web::Data<Simulator>) -> HttpResponse {
    HttpResponse::Ok().json(sim.lock().control.faults())
}

async fn clear_faults(sim: web::Data<Simulator>) -> HttpResponse {
    sim.lock().control.clear_faults();
    HttpResponse::NoContent().finish()
}

async fn calls(sim: web::Data<Simulator>) -> HttpResponse {
    HttpResponse::Ok().json(sim.lock().control.calls())
}

async fn clear_calls(sim: web::Data<Simulator>) -> HttpResponse {
    sim.lock().control.clear_calls();
    HttpResponse::NoContent().finish()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Advance {
    advance_secs: i64,
}

async fn advance_clock(body: web::Json<Advance>, sim: web::Data<Simulator>) -> HttpResponse {
    if body.advance_secs < 0 {
        return bad_request("the clock only moves forward");
    }
    let now = sim
        .clock
        .advance(chrono::Duration::seconds(body.advance_secs));
    HttpResponse::Ok().json(json!({"now": now}))
}

async fn get_variants(sim: web::Data<Simulator>) -> HttpResponse {
    HttpResponse::Ok().json(sim.lock().control.variants())
}

async fn set_variants(body: web::Json<Variants>, sim: web::Data<Simulator>) -> HttpResponse {
    let variants = body.into_inner();
    let problems = variants.problems();
    if !problems.is_empty() {
        return bad_request(problems.join("; "));
    }
    sim.lock().control.set_variants(variants);
    HttpResponse::Ok().json(sim.lock().control.variants())
}
