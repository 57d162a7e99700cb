//! `POST /v1/test/links/{link_id}/triggers`: test keys make an unhappy path happen to a link now
//! (`services/test_mode`). Any other key is told the path does not exist.

use super::auth::TestKeyAuth;
use super::links::LinkView;
use super::write::Write;
use crate::domain::{DateOfBirth, EmailAddress, LinkId};
use crate::http::fields::{ObjectReader, read_body};
use crate::http::{Problem, RequestError};
use crate::services::links::LinkError;
use crate::services::test_mode::{Pulled, Trigger, TriggerError, Triggers, UserChange};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        crate::routes::resource("/v1/test/links/{link_id}/triggers", "POST")
            .route(web::post().to(pull_trigger)),
    );
}

/// The body of a trigger: which one, and what it may be told.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct TriggerInput {
    /// `expire_access_token`, `revoke_grant`, `change_wise_email`, `swap_date_of_birth`,
    /// `deactivate_wise_user`, `withdraw_only_wise_user`, `reactivate_wise_user`,
    /// `verify_profile` or `unverify_profile`.
    #[schema(
        pattern = "^(expire_access_token|revoke_grant|change_wise_email|swap_date_of_birth|deactivate_wise_user|withdraw_only_wise_user|reactivate_wise_user|verify_profile|unverify_profile)$"
    )]
    trigger: String,
    /// `change_wise_email` only: the Wise account's new email (default
    /// `changed-{wise_user_id}@example.com`).
    #[schema(max_length = 254)]
    email: Option<String>,
    /// `swap_date_of_birth` only: what Wise holds from now (default 1901-01-01).
    #[schema(value_type = Option<String>, format = Date)]
    date_of_birth: Option<String>,
    /// `deactivate_wise_user` only: Wise's `deactivation_type` (default `ACCOUNT_CLOSURE`).
    #[schema(max_length = 100)]
    deactivation_type: Option<String>,
    /// `deactivate_wise_user` only: Wise's `deactivation_reason` (default
    /// `REQUESTED_BY_CUSTOMER_CS`).
    #[schema(max_length = 100)]
    deactivation_reason: Option<String>,
}

/// What a trigger did.
#[derive(Serialize, ToSchema)]
pub struct TriggerView {
    /// The trigger pulled.
    trigger: String,
    /// The account event Wise is delivering to wiselink (answered 202): the link changes when it
    /// arrives. Absent when the trigger's effects are in `link` already (answered 200).
    #[serde(skip_serializing_if = "Option::is_none")]
    wise_event: Option<&'static str>,
    /// The link as it is now.
    link: LinkView,
}

/// Pull a test trigger (test API keys only).
///
/// Changes what the simulated Wise holds for the link's customer, as Wise would, and lets
/// wiselink find out the way it does in production: at the link's refresh (run now), at the next
/// code exchange, or from the account event Wise delivers. States, emails and partner events are
/// exactly production's. A live key gets 404, as for a path that does not exist.
#[utoipa::path(
    post,
    path = "/v1/test/links/{link_id}/triggers",
    tag = "test mode",
    params(
        ("link_id" = String, Path),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: the same key and request replay the first answer"),
    ),
    request_body(content = TriggerInput, content_type = "application/json"),
    responses(
        (status = 200, description = "Done: the link shows its effects", body = TriggerView),
        (status = 202, description = "Wise is delivering the account event; the link changes when it arrives", body = TriggerView),
        (status = 401),
        (status = 403, description = "A test key, while wiselink does not talk to the simulator"),
        (status = 404, description = "No such link, or not a test key"),
        (status = 409, description = "Not possible for the link now (`invalid_state`, `no_tokens`, `no_wise_user`, `no_wise_profile`, `simulator_refused`), or Wise's events would not reach wiselink (`wise_events_not_subscribed`, `wise_events_not_trusted`)"),
        (status = 422, description = "Invalid body"),
        (status = 503, description = "The simulator did not answer"),
    ),
    security(("api_key" = []))
)]
#[tracing::instrument(name = "test_trigger", skip_all, fields(link.id = %path))]
pub async fn pull_trigger(
    write: Write<TestKeyAuth>,
    path: web::Path<String>,
    triggers: web::Data<Triggers>,
) -> Result<HttpResponse, RequestError> {
    write.run(pull(&triggers, &path, write.body())).await
}

async fn pull(triggers: &Triggers, path: &str, body: &[u8]) -> Result<HttpResponse, Problem> {
    let today = triggers.links().clock().now().date();
    let (name, trigger) = read_body(body, |reader| read_trigger(reader, today))?;
    let id = LinkId::parse(path).ok_or(LinkError::LinkNotFound)?;
    let pulled = triggers.pull(&id, trigger).await.map_err(problem)?;
    let links = triggers.links();
    let link = links.with_customer(links.find(&id).await?).await?;
    let (status, wise_event) = match pulled {
        Pulled::Applied => (StatusCode::OK, None),
        Pulled::EventSent(event) => (StatusCode::ACCEPTED, Some(event)),
    };
    Ok(HttpResponse::build(status)
        .insert_header(("Cache-Control", "no-store"))
        .json(TriggerView {
            trigger: name,
            wise_event,
            link: LinkView::new(&link, links.policy()),
        }))
}

/// The trigger named, with the fields it takes; any other field is unknown.
fn read_trigger(reader: &mut ObjectReader, today: chrono::NaiveDate) -> Option<(String, Trigger)> {
    let name = reader.required("trigger", |s| Ok(s.to_owned()))?;
    let trigger = match name.as_str() {
        "expire_access_token" => Trigger::ExpireAccessToken,
        "revoke_grant" => Trigger::RevokeGrant,
        "change_wise_email" => Trigger::ChangeEmail {
            email: reader
                .optional("email", EmailAddress::parse)?
                .map(|e| e.as_str().to_owned()),
        },
        "swap_date_of_birth" => Trigger::SwapDateOfBirth {
            date_of_birth: reader
                .optional("date_of_birth", |s| DateOfBirth::parse(s, today))?
                .map(|d| d.date()),
        },
        "deactivate_wise_user" => {
            let word = |s: &str| wise_word(s);
            let deactivation_type = reader.optional("deactivation_type", word);
            let deactivation_reason = reader.optional("deactivation_reason", word);
            Trigger::UserState(UserChange::Deactivate {
                deactivation_type: deactivation_type?,
                deactivation_reason: deactivation_reason?,
            })
        }
        "withdraw_only_wise_user" => Trigger::UserState(UserChange::WithdrawOnly),
        "reactivate_wise_user" => Trigger::UserState(UserChange::Reactivate),
        "verify_profile" => Trigger::ProfileVerification { verified: true },
        "unverify_profile" => Trigger::ProfileVerification { verified: false },
        _ => {
            reader.refuse(
                "trigger",
                "unknown_trigger",
                "trigger names no test trigger",
            );
            return None;
        }
    };
    Some((name, trigger))
}

/// One of Wise's upper-case words (`ACCOUNT_CLOSURE`), 1 to 100 characters.
fn wise_word(s: &str) -> Result<String, crate::domain::Invalid> {
    let ok = (1..=100).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_uppercase() || b == b'_');
    if ok {
        Ok(s.to_owned())
    } else {
        Err(crate::domain::Invalid::new(
            "invalid_format",
            "must be 1 to 100 upper-case letters and underscores",
        ))
    }
}

fn problem(e: TriggerError) -> Problem {
    let conflict = |code: &str, title: &str| Problem::new(StatusCode::CONFLICT, code, title);
    match e {
        TriggerError::Link(e) => e.into(),
        TriggerError::NoWiseUser => conflict("no_wise_user", "No Wise user is known for this link")
            .detail("Start the link first: the trigger needs the Wise account its email belongs to."),
        TriggerError::NoWiseProfile => conflict("no_wise_profile", "The link has no Wise profile yet")
            .detail("Link the customer first: the trigger acts on the profile the link holds."),
        TriggerError::NotSubscribed(event) => conflict("wise_events_not_subscribed", "wiselink does not receive this Wise event")
            .detail(format!("Nothing subscribes wiselink to {event}. Run `wiselink wise subscribe` once.")),
        TriggerError::EventsNotTrusted => conflict("wise_events_not_trusted", "wiselink would refuse the simulator's events")
            .detail("Set wise_webhooks.public_keys to \"simulator\" so wiselink verifies the simulator's signatures."),
        TriggerError::Refused(reason) => conflict("simulator_refused", "The simulated Wise refused the change")
            .detail(reason),
        TriggerError::Unavailable(_) => Problem::new(StatusCode::SERVICE_UNAVAILABLE, "simulator_unavailable", "The simulator did not answer")
            .retry_after(1),
    }
}
