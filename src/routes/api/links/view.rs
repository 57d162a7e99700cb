use crate::db::links::CustomerLink;
use crate::domain::{LinkId, LinkPolicy, LinkState, ReviewReason, WiseProfileId, WiseUserId};
use crate::routes::api::customers::timestamp;
use serde::Serialize;
use utoipa::ToSchema;

/// A link between a customer and a Wise account.
#[derive(Debug, Serialize, ToSchema)]
pub struct LinkView {
    #[schema(value_type = String, example = "lnk_3f1c9d0e6b5a4f7e8d2c1b0a9f8e7d6c")]
    pub id: LinkId,
    pub customer_ref: String,
    /// pending, awaiting_code, awaiting_authorization, exchanging, verifying, active, needs_review,
    /// locked, relink_required, rejected, unlinked or expired.
    pub state: &'static str,
    /// Why the link is in its state, from a closed list (docs/linking.md): `started`, or the event
    /// that put it there, e.g. `code_refused`, `identity_doubtful`, `access_revoked`,
    /// `wise_user_deactivated`.
    #[schema(example = "identity_matched")]
    pub reason: Option<String>,
    /// `email_code` or `redirect`.
    pub flow: String,
    /// `linked` (an existing Wise account) or `created` (Wise created it for the partner).
    pub origin: Option<String>,
    #[schema(value_type = Option<i64>)]
    pub wise_user_id: Option<WiseUserId>,
    #[schema(value_type = Option<i64>)]
    pub wise_profile_id: Option<WiseProfileId>,
    /// Why the identity check left the link to staff review (kept after the decision); `null` when
    /// the last check matched or none ran yet.
    pub review_reason: Option<ReviewReason>,
    /// Approvals given in the current review (four-eyes review needs 2).
    pub approvals: i32,
    /// `true` once refreshing this active link's tokens has failed for
    /// `tokens.failing_after_secs` (Wise unreachable or erroring): the tokens are kept and the
    /// refresher keeps trying; the link is not re-linked for it.
    pub refresh_failing: bool,
    /// When the customer claimed the Wise account the partner created (`origin: created`).
    pub claimed_at: Option<String>,
    /// When an import (`POST /v1/links/import`, `wiselink import`) brought the link; `null` for a
    /// link started here.
    pub imported_at: Option<String>,
    /// What Wise last said of the linked user (its `users#state-change` webhook): `active`,
    /// `withdraw_only` (the customer can only move money out; see `wise_user_deactivates_on`) or
    /// `deactivated` (the link was unlinked and its tokens deleted); `null` until Wise says anything.
    #[schema(example = "withdraw_only")]
    pub wise_user_state: Option<String>,
    /// For a withdraw-only user: the day Wise will deactivate them (`wise_webhooks.withdraw_only_days`
    /// after Wise's event).
    #[schema(value_type = Option<String>, format = Date, example = "2027-03-06")]
    pub wise_user_deactivates_on: Option<chrono::NaiveDate>,
    /// What Wise last said of the linked profile's verification: `verified` or `not_verified`;
    /// `null` until Wise says anything.
    pub profile_verification: Option<String>,
    /// What the customer has to do next, if anything.
    pub next_action: Option<NextAction>,
    pub attempts_remaining: i32,
    pub code_expires_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// Only in the answer that created the link: the token an app or the code-entry page uses
    /// to read this link and submit codes. Shown once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link_session_token: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NextAction {
    /// `enter_code` (email flow) or `redirect` (send the customer's browser to Wise's page).
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub code_expires_at: Option<String>,
    pub attempts_remaining: i32,
    /// When `POST /v1/links/{id}/resend` may ask Wise for a new code (email flow).
    pub resend_available_at: Option<String>,
    /// `redirect`, only in the answer that started the link: Wise's authorization page with a
    /// one-time `state`. Open it in the system browser (never a web view). Later reads of the
    /// link leave it out: `POST /v1/links/{id}/authorization-url` issues a fresh one (and
    /// `GET /link/{link_session_token}` offers one in the browser).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// `redirect`: until when `url` can be used (its state lives 10 minutes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
}

impl LinkView {
    pub fn new(of: &CustomerLink, policy: &LinkPolicy) -> Self {
        let link = &of.link;
        let ts = |t: Option<chrono::NaiveDateTime>| t.map(timestamp);
        let next_action = match link.state {
            LinkState::AwaitingCode => Some(NextAction {
                kind: "enter_code",
                code_expires_at: ts(link.code_expires_at),
                attempts_remaining: link.attempts_remaining,
                resend_available_at: ts(Some(
                    policy.resend.resend_available_at(link.last_email_at()),
                )),
                url: None,
                expires_at: None,
            }),
            LinkState::AwaitingAuthorization => Some(NextAction {
                kind: "redirect",
                code_expires_at: ts(link.code_expires_at),
                attempts_remaining: link.attempts_remaining,
                resend_available_at: None,
                url: None,
                expires_at: None,
            }),
            _ => None,
        };
        Self {
            id: link.id.clone(),
            customer_ref: of.customer_ref.clone(),
            state: link.state.as_str(),
            reason: link.state_reason.clone(),
            flow: link.flow.as_str().to_owned(),
            origin: link.origin.map(|o| o.as_str().to_owned()),
            wise_user_id: link.wise_user_id,
            wise_profile_id: link.wise_profile_id,
            review_reason: link.review_reason,
            approvals: link.approvals,
            refresh_failing: link.state == LinkState::Active && link.refresh_flagged_at.is_some(),
            claimed_at: ts(link.claimed_at),
            imported_at: ts(link.imported_at),
            wise_user_state: link.wise_user_state.clone(),
            wise_user_deactivates_on: link.wise_user_deactivates_on,
            profile_verification: link.profile_verification.clone(),
            next_action,
            attempts_remaining: link.attempts_remaining,
            code_expires_at: ts(link.code_expires_at),
            created_at: timestamp(link.created_at),
            updated_at: timestamp(link.updated_at),
            link_session_token: None,
        }
    }
}
