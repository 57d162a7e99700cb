//! Re-linking in place: a link that needs re-linking (Wise revoked access or the tokens were
//! lost) or that was unlinked starts again with either flow. It keeps its id, its audit trail and
//! its customer's pinned Wise user: the identity check sends a different Wise user to review.

use super::secrets;
use super::start::Signup;
use super::{Flow, LinkError, LinkService, Started};
use crate::db::links::{LinkChanges, LinkRow, SealedColumn, Transition};
use crate::domain::{LinkEvent, LinkFlow, LinkState};

impl LinkService {
    /// Starts `link` again with `flow`: a new signup (a new registration code, a new code window
    /// or authorization URL, a new session token), as a new link would.
    pub async fn relink(
        &self,
        link: LinkRow,
        flow: Flow,
        actor: &str,
    ) -> Result<Started, LinkError> {
        self.bounded(self.relink_in_place(link, flow, actor)).await
    }

    async fn relink_in_place(
        &self,
        link: LinkRow,
        flow: Flow,
        actor: &str,
    ) -> Result<Started, LinkError> {
        if !matches!(link.state, LinkState::RelinkRequired | LinkState::Unlinked) {
            return Err(LinkError::WrongState(link.state));
        }
        let customer = self.customer_of(&link).await?;
        let code = secrets::registration_code();
        let (link_flow, return_url) = match &flow {
            Flow::EmailCode => (LinkFlow::EmailCode, None),
            Flow::Redirect { return_url } => (LinkFlow::Redirect, return_url.clone()),
        };
        let changes = LinkChanges {
            flow: Some(link_flow),
            signup_email: Some(customer.email.clone()),
            return_url: Some(return_url),
            registration_code: Some(Some(self.seal(
                &link.id,
                SealedColumn::RegistrationCode,
                &code,
            ))),
            attempts_remaining: Some(self.policy.max_attempts),
            code_expires_at: Some(None),
            session_token_hash: Some(None),
            last_resend_at: Some(None),
            resend_window_start: Some(None),
            resends_in_window: Some(0),
            approvals: Some(0),
            first_approved_by: Some(None),
            refresh_failures: Some(0),
            refresh_failing_since: Some(None),
            refresh_flagged_at: Some(None),
            refresh_in_doubt_at: Some(None),
            // What Wise said of the user and profile belongs to the linking that ended.
            wise_user_state: Some(None),
            wise_user_deactivates_on: Some(None),
            profile_verification: Some(None),
            ..LinkChanges::default()
        };
        let reason = format!("re-link started ({link_flow})");
        let t = Transition::new(&link, link.state, LinkEvent::RelinkStarted, actor, &reason)
            .unchanged_since(link.updated_at)
            .changes(changes);
        let pending = self.apply(t).await?;
        tracing::info!(link.id = %pending.id, flow = link_flow.as_str(), "re-link started");
        self.signup((&pending).into(), &customer, &code, actor, Signup::First)
            .await
    }
}
