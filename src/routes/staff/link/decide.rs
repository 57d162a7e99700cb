//! `POST /staff/links/{id}/{action}`: a staff decision (approve, reject, unlock, unlink) with its
//! reason, made on what the reviewer saw; approving asks for the password again when it was typed
//! too long ago. A refused decision answers with the link's page as it is now.

use super::Ctx;
use crate::domain::{DecisionReason, LinkId};
use crate::routes::staff::gate::{self, Confirmation, Posted, Reviewer};
use crate::routes::staff::pages::{self, Page};
use crate::routes::staff::queue::label;
use crate::services::links::{Approval, Decision, LinkError, LinkService};
use crate::services::staff::StaffService;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

/// What a reviewer can do to a link from its page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Act {
    Approve,
    Reject,
    Unlock,
    Unlink,
}

impl Act {
    fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "approve" => Self::Approve,
            "reject" => Self::Reject,
            "unlock" => Self::Unlock,
            "unlink" => Self::Unlink,
            _ => return None,
        })
    }
}

/// A decision: the reason, when the reviewer saw the link, and the password when asked again.
#[derive(Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    seen: String,
    password: Option<String>,
}

pub async fn decide(
    posted: Posted<Reviewer, DecisionForm>,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
    staff: web::Data<StaffService>,
    links: web::Data<LinkService>,
) -> HttpResponse {
    let Posted { session, form, .. } = posted;
    let (raw_id, raw_action) = path.into_inner();
    let Some(action) = Act::parse(&raw_action) else {
        return pages::not_found(Some(Page::chrome(&session)));
    };
    let ctx = Ctx::new(&session, &staff, &links, &state);
    let refuse =
        |status: StatusCode, message: String| ctx.respond(&raw_id, status, Some(message), None);
    let Some(id) = LinkId::parse(&raw_id) else {
        return pages::not_found(Some(Page::chrome(&session)));
    };
    let reason = match DecisionReason::parse(&form.reason) {
        Ok(r) => r,
        Err(e) => {
            return refuse(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("Not decided: {}.", e.message),
            )
            .await;
        }
    };
    let seen = form
        .seen
        .parse::<i64>()
        .ok()
        .and_then(chrono::DateTime::from_timestamp_micros)
        .map(|t| t.naive_utc());
    if seen.is_none() {
        return refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Not decided: open the link again and retry.".to_owned(),
        )
        .await;
    }
    if action == Act::Approve && !staff.recently_authenticated(&session) {
        match gate::confirm_password(&staff, &session, form.password.as_deref(), "approved").await {
            Confirmation::Confirmed => {}
            Confirmation::Refused(status, message) => return refuse(status, message).await,
            Confirmation::Answered(response) => return response,
        }
    }
    let actor = session.actor();
    let decision = Decision {
        actor: &actor,
        reason: reason.as_str(),
        seen,
    };
    let outcome = match action {
        Act::Approve => links
            .approve(&id, decision, ctx.approvals_required)
            .await
            .map(|(_, a)| match a {
                Approval::Activated => "approved",
                Approval::AwaitingSecond => "first_approval",
            }),
        Act::Reject => links.reject(&id, decision).await.map(|_| "rejected"),
        Act::Unlock => links.unlock(&id, decision).await.map(|_| "unlocked"),
        Act::Unlink => links
            .unlink_because(&id, &actor, reason.as_str(), seen)
            .await
            .map(|_| "unlinked"),
    };
    match outcome {
        Ok(done) => {
            metrics::counter!("wiselink_review_decisions_total", "decision" => done, "via" => "staff")
                .increment(1);
            pages::see_other(&format!("/staff/links/{id}?done={done}"))
        }
        Err(LinkError::AlreadyDecided { state, by }) => {
            refuse(
                StatusCode::CONFLICT,
                format!(
                    "Not decided: the link changed meanwhile — it is now {} (last by {by}).",
                    label(state)
                ),
            )
            .await
        }
        Err(LinkError::Busy) => {
            refuse(
                StatusCode::CONFLICT,
                "Not decided: the link changed meanwhile. Here it is as it is now.".to_owned(),
            )
            .await
        }
        Err(e) => ctx.refuse_for(&raw_id, "Not decided", &e).await,
    }
}
