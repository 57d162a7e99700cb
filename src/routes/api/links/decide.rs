//! `POST /v1/links/{link_id}/approve` and `/reject`: a partner's own back office deciding links in
//! review, under the rules of the staff screen (reason required, four-eyes included), recorded
//! with actor `api_key:<id>`.

use super::LinkView;
use crate::domain::DecisionReason;
use crate::http::Problem;
use crate::http::RequestError;
use crate::http::fields::{ObjectReader, read_body};
use crate::routes::api::auth::ApiKeyAuth;
use crate::routes::api::write::Write;
use crate::services::links::{Approval, Decision, LinkService};
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use utoipa::ToSchema;

/// The body of `POST /v1/links/{link_id}/approve` and `/reject`.
#[derive(ToSchema)]
pub struct DecisionInput {
    /// Why: kept in the link's audit trail. 3–500 characters.
    #[schema(
        value_type = String,
        example = "DOB typo confirmed with the customer by phone",
        min_length = 3,
        max_length = 500
    )]
    reason: DecisionReason,
}

impl DecisionInput {
    fn read(reader: &mut ObjectReader) -> Option<Self> {
        let reason = reader.required("reason", DecisionReason::parse);
        Some(Self { reason: reason? })
    }
}

/// Approve a link in review (`needs_review` → `active`; partner API key only).
///
/// With four-eyes review (`staff.approvals_required = 2`) the first approval leaves the link in
/// `needs_review` (`approvals: 1`); a second approval by another API key or staff member
/// activates it. A link without tokens is never activated.
#[utoipa::path(
    post,
    path = "/v1/links/{link_id}/approve",
    tag = "review",
    params(
        ("link_id" = String, Path),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: the same key and request replay the first answer (1–255 visible ASCII characters)"),
    ),
    request_body(content = DecisionInput, content_type = "application/json"),
    responses(
        (status = 200, description = "Approved: the link (active, or still needs_review awaiting a second approval)", body = LinkView),
        (status = 409, description = "`already_decided` (someone decided first, or the link is not in review), `no_tokens`, `second_approver_needed`, `wise_user_linked_elsewhere` (its Wise user is actively linked to another customer)"),
        (status = 422, description = "Missing or invalid `reason`"),
    ),
    security(("api_key" = []))
)]
#[tracing::instrument(name = "approve_link", skip_all, fields(link.id = %path))]
pub async fn approve(
    write: Write<ApiKeyAuth>,
    path: web::Path<String>,
    state: web::Data<AppState>,
    links: web::Data<LinkService>,
) -> Result<HttpResponse, RequestError> {
    let verdict = Verdict::Approve {
        required: state.settings.staff.approvals_required,
    };
    write
        .run(decide(&links, &write.caller, &path, write.body(), verdict))
        .await
}

/// Reject a link in review or locked (→ `rejected`; partner API key only).
///
/// Its tokens and registration code are destroyed and the customer gets a neutral "we could not
/// link your account" email that gives no reason.
#[utoipa::path(
    post,
    path = "/v1/links/{link_id}/reject",
    tag = "review",
    params(
        ("link_id" = String, Path),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: the same key and request replay the first answer (1–255 visible ASCII characters)"),
    ),
    request_body(content = DecisionInput, content_type = "application/json"),
    responses(
        (status = 200, description = "Rejected", body = LinkView),
        (status = 409, description = "`already_decided`: someone decided first, or the link is not in review or locked"),
        (status = 422, description = "Missing or invalid `reason`"),
    ),
    security(("api_key" = []))
)]
#[tracing::instrument(name = "reject_link", skip_all, fields(link.id = %path))]
pub async fn reject(
    write: Write<ApiKeyAuth>,
    path: web::Path<String>,
    links: web::Data<LinkService>,
) -> Result<HttpResponse, RequestError> {
    write
        .run(decide(
            &links,
            &write.caller,
            &path,
            write.body(),
            Verdict::Reject,
        ))
        .await
}

/// Reads the body and decides once per `Idempotency-Key`.
/// What the partner decided.
#[derive(Debug, Clone, Copy)]
enum Verdict {
    /// Approve, counting toward `required` approvals (`staff.approvals_required`).
    Approve {
        required: i32,
    },
    Reject,
}

/// Approves (with the approvals required) or, given `None`, rejects.
async fn decide(
    links: &LinkService,
    auth: &ApiKeyAuth,
    path: &str,
    body: &[u8],
    verdict: Verdict,
) -> Result<HttpResponse, Problem> {
    let DecisionInput { reason } = read_body(body, DecisionInput::read)?;
    let id = super::link_id(path)?;
    let actor = auth.actor();
    let decision = Decision {
        actor: &actor,
        reason: reason.as_str(),
        seen: None,
    };
    let (link, done) = match verdict {
        Verdict::Approve { required } => match links.approve(&id, decision, required).await? {
            (link, Approval::Activated) => (link, "approved"),
            (link, Approval::AwaitingSecond) => (link, "first_approval"),
        },
        Verdict::Reject => (links.reject(&id, decision).await?, "rejected"),
    };
    metrics::counter!("wiselink_review_decisions_total", "decision" => done, "via" => "api")
        .increment(1);
    let view = LinkView::new(&links.with_customer(link).await?, links.policy());
    Ok(HttpResponse::Ok().json(view))
}
