//! `/__sim/about`, `/__sim/users?email=`, a user's date of birth and ending one access token:
//! what wiselink's test triggers (test API keys only) drive the simulator with, beside the user
//! actions in `control.rs`.

use super::{Simulator, bad_request};
use actix_web::{HttpResponse, web};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::json;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/about", web::get().to(about))
        .route("/users", web::get().to(find_user))
        .route("/users/{id}/date-of-birth", web::put().to(date_of_birth))
        .route("/access-tokens/expire", web::post().to(expire));
}

/// What this server is: wiselink asks before it lets test API keys work.
async fn about() -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "simulator": "wiselink-simulator",
        "version": env!("CARGO_PKG_VERSION"),
    }))
}

#[derive(Deserialize)]
struct ByEmail {
    email: String,
}

/// `GET /__sim/users?email=`: the user holding that email (not deactivated), with the profiles.
async fn find_user(query: web::Query<ByEmail>, sim: web::Data<Simulator>) -> HttpResponse {
    let state = sim.lock();
    let Some(user) = state.people.user_by_email(&query.email) else {
        return HttpResponse::NotFound().json(json!({"error": "no user holds this email"}));
    };
    let profile_ids: Vec<i64> = state
        .people
        .profiles_of(user.id)
        .iter()
        .map(|p| p.id)
        .collect();
    HttpResponse::Ok().json(json!({
        "user_id": user.id,
        "state": user.state,
        "profile_ids": profile_ids,
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DateOfBirth {
    date_of_birth: NaiveDate,
}

/// `PUT /__sim/users/{id}/date-of-birth`: the user's personal profiles hold this date from now.
async fn date_of_birth(
    path: web::Path<i64>,
    body: web::Json<DateOfBirth>,
    sim: web::Data<Simulator>,
) -> HttpResponse {
    let id = path.into_inner();
    let mut state = sim.lock();
    if state.people.user(id).is_none() {
        return HttpResponse::NotFound().json(json!({"error": "no such user"}));
    }
    match state.people.set_date_of_birth(id, body.date_of_birth) {
        0 => bad_request("the user has no personal profile"),
        changed => HttpResponse::Ok().json(json!({"profiles_changed": changed})),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Expire {
    access_token: String,
}

/// `POST /__sim/access-tokens/expire`: the lifetime of the access token in the body ends now
/// (in the body, so that no access log holds it).
async fn expire(body: web::Json<Expire>, sim: web::Data<Simulator>) -> HttpResponse {
    let now = sim.clock.now_utc();
    if sim
        .lock()
        .tokens
        .expire_access_token(&body.access_token, now)
    {
        HttpResponse::NoContent().finish()
    } else {
        HttpResponse::NotFound().json(json!({"error": "no live access token has this value"}))
    }
}
