//! `GET /v2/profiles` and `GET /v2/profiles/{id}` in Wise's v2 shape.

use super::state::{Profile, ProfileKind, SimState};
use super::{Simulator, WiseReply};
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v2/profiles", web::get().to(list))
        .route("/v2/profiles/{profile_id}", web::get().to(get));
}

async fn list(req: HttpRequest, sim: web::Data<Simulator>) -> Result<HttpResponse, WiseReply> {
    let now = sim.clock.now_utc();
    let state = sim.lock();
    let user_id = state.authenticate_user(&req, now)?;
    let profiles: Vec<Value> = state
        .people
        .profiles_of(user_id)
        .into_iter()
        .map(|p| profile_json(&state, p))
        .collect();
    Ok(HttpResponse::Ok().json(profiles))
}

async fn get(
    req: HttpRequest,
    path: web::Path<String>,
    sim: web::Data<Simulator>,
) -> Result<HttpResponse, WiseReply> {
    let now = sim.clock.now_utc();
    let state = sim.lock();
    let user_id = state.authenticate_user(&req, now)?;
    let profile = path
        .parse::<i64>()
        .ok()
        .and_then(|id| state.people.profile(id));
    match profile {
        Some(p) if p.user_id == user_id => Ok(HttpResponse::Ok().json(profile_json(&state, p))),
        Some(_) => Err(WiseReply::forbidden(req.path())),
        None => Err(WiseReply::not_found(req.path())),
    }
}

fn profile_json(state: &SimState, p: &Profile) -> Value {
    let user = state.people.user(p.user_id);
    let email = user.map(|u| u.email.clone()).unwrap_or_default();
    let created = p
        .created_at
        .naive_utc()
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string();
    let address = json!({
        "id": p.id + 1, "addressFirstLine": "24 Willow Creek Lane", "city": "Bristol",
        "countryIso2Code": "GB", "countryIso3Code": "gbr", "postCode": "BS1 6AE", "stateCode": null
    });
    let mut v = json!({
        "id": p.id,
        "publicId": uuid::Uuid::from_u64_pair(p.user_id as u64, p.id as u64).to_string(),
        "userId": p.user_id,
        "address": address,
        "email": email,
        "createdAt": created,
        "updatedAt": created,
        "currentState": "VISIBLE",
        "contactDetails": {"email": email, "phoneNumber": "+447700900123"},
    });
    let first = user.and_then(|u| u.first_name.clone()).unwrap_or_default();
    let last = user.and_then(|u| u.last_name.clone()).unwrap_or_default();
    let extra = match p.kind {
        ProfileKind::Personal => json!({
            "type": "PERSONAL",
            "firstName": first, "lastName": last, "preferredName": first,
            "dateOfBirth": p.date_of_birth.map(|d| d.to_string()),
            "phoneNumber": "+447700900456", "avatar": null, "secondaryAddresses": [],
            "fullName": format!("{first} {last}"),
        }),
        ProfileKind::Business => {
            let name = p.business_name.clone().unwrap_or_default();
            json!({
                "type": "BUSINESS",
                "businessName": name, "registrationNumber": "SC1234567890", "descriptionOfBusiness": "SOFTWARE_DEVELOPMENT",
                "webpage": "https://example.com", "companyType": "LIMITED_COMPANY", "companyRole": "OWNER",
                "businessFreeFormDescription": "Software", "firstLevelCategory": "TECHNOLOGY",
                "secondLevelCategory": "SOFTWARE_SERVICES", "operationalAddresses": [], "fullName": name,
            })
        }
    };
    if let (Some(map), Value::Object(extra)) = (v.as_object_mut(), extra) {
        for (k, val) in extra {
            // A missing DOB is left out: the schema types dateOfBirth as a string.
            if !val.is_null() || k == "avatar" {
                map.insert(k, val);
            }
        }
    }
    v
}
