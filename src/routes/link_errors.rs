//! How a failed link operation answers: one problem per [`LinkError`], shared by the JSON API
//! and the customer's code-entry page (which shows a sentence instead, with the same status).

use crate::http::{FieldError, Problem};
use crate::services::links::LinkError;
use actix_web::http::StatusCode;

/// The problem answer for a failed link operation; the code-entry page answers with the same
/// status codes.
pub fn problem(e: &LinkError) -> Problem {
    use StatusCode as S;
    match e {
        LinkError::CustomerNotFound => {
            Problem::new(S::NOT_FOUND, "customer_not_found", "Customer not found")
                .detail("Create the customer with PUT /v1/customers/{customer_ref} first.")
        }
        LinkError::CustomerErased => customer_erased(),
        LinkError::LinkNotFound => Problem::new(S::NOT_FOUND, "link_not_found", "Link not found"),
        LinkError::LinkExists => Problem::new(
            S::CONFLICT,
            "link_exists",
            "The customer already has a link",
        )
        .detail("A customer has at most one link in progress or active. Unlink it first."),
        LinkError::WiseRefused { fields } => Problem::new(
            S::UNPROCESSABLE_ENTITY,
            "wise_refused",
            "Wise refused the customer's details",
        )
        .errors(
            fields
                .iter()
                .map(|f| FieldError {
                    field: f.field.to_owned(),
                    code: f.code.clone(),
                    message: f.message.clone(),
                })
                .collect(),
        ),
        LinkError::WiseUnavailable { retry_after } => Problem::new(
            S::SERVICE_UNAVAILABLE,
            "wise_unavailable",
            "Wise is unavailable",
        )
        .detail("Retry later; the link resumes where it stopped.")
        .retry_after(retry_after.unwrap_or(5)),
        LinkError::WrongState(state) => Problem::new(
            S::CONFLICT,
            "invalid_state",
            "Not possible in the link's state",
        )
        .detail(format!("The link is {state}.")),
        LinkError::Locked => Problem::new(S::TOO_MANY_REQUESTS, "locked", "Too many wrong codes")
            .detail("The link is locked. Support staff can unlock it."),
        LinkError::InvalidCode { attempts_remaining } => {
            Problem::new(S::UNPROCESSABLE_ENTITY, "invalid_code", "Wrong code")
                .detail("Wise did not accept this code. Check the email from Wise and try again.")
                .attempts_remaining(*attempts_remaining)
        }
        LinkError::CodeAlreadyUsed => Problem::new(
            S::UNPROCESSABLE_ENTITY,
            "code_already_used",
            "This code was already used",
        )
        .detail("Ask for a new code and enter that one."),
        LinkError::CodeExpired => {
            Problem::new(S::GONE, "code_expired", "The code window has closed")
                .detail("Start a new link to get a new code.")
        }
        LinkError::Busy => Problem::new(S::CONFLICT, "link_busy", "The link is being processed")
            .detail(
                "Another request for this link is in progress. Read the link to see the result.",
            )
            .retry_after(1),
        LinkError::ExchangeLost => Problem::new(
            S::BAD_GATEWAY,
            "code_exchange_failed",
            "The code could not be exchanged",
        )
        .detail("Wise did not answer. The code cannot be used again: ask for a new code, or (redirect flow) send the customer to Wise's page again with a new URL from POST /v1/links/{id}/authorization-url."),
        LinkError::RelinkRequired => {
            Problem::new(S::CONFLICT, "relink_required", "Wise revoked access")
                .detail("The customer must link their Wise account again.")
        }
        LinkError::ResendTooSoon { retry_after_secs } => Problem::new(
            S::TOO_MANY_REQUESTS,
            "resend_too_soon",
            "Too soon for a new code",
        )
        .detail("Wise has only just sent a code. Ask again after the time in Retry-After.")
        .retry_after((*retry_after_secs).max(1) as u64),
        LinkError::ResendLimitReached { retry_after_secs } => Problem::new(
            S::TOO_MANY_REQUESTS,
            "resend_limit_reached",
            "Too many new codes today",
        )
        .detail("The link has asked for as many new codes as a day allows. Ask again after the time in Retry-After.")
        .retry_after((*retry_after_secs).max(1) as u64),
        LinkError::WiseAccountGone => Problem::new(
            S::CONFLICT,
            "wise_account_gone",
            "The Wise account no longer exists",
        )
        .detail("Unlink and start a new link."),
        LinkError::WiseUserDeactivated => Problem::new(
            S::CONFLICT,
            "wise_user_deactivated",
            "Wise deactivated the linked user",
        )
        .detail("Wise closed or suspended the customer's Wise account, so its tokens are gone and the link is unlinked. The customer can link a Wise account again (POST /v1/links/{id}/relink) once Wise lets them."),
        LinkError::CustomerLimited { retry_after_secs } => Problem::new(
            S::TOO_MANY_REQUESTS,
            "customer_rate_limited",
            "Too many wrong codes for this customer today",
        )
        .detail("No more codes are taken for this customer until the time in Retry-After.")
        .retry_after((*retry_after_secs).max(1) as u64),
        LinkError::AlreadyDecided { state, by } => Problem::new(
            S::CONFLICT,
            "already_decided",
            "The link was decided meanwhile",
        )
        .detail(format!("The link is now {state}, last changed by {by}.")),
        LinkError::NoTokens => Problem::new(
            S::CONFLICT,
            "no_tokens",
            "The link holds no tokens",
        )
        .detail("A link without Wise tokens cannot be activated: the customer must link again."),
        LinkError::SecondApproverNeeded => Problem::new(
            S::CONFLICT,
            "second_approver_needed",
            "A second reviewer must approve",
        )
        .detail("Four-eyes review is on: the first approval is yours, the second must be someone else's."),
        LinkError::BadState(refused) => {
            use crate::services::links::StateRefused as R;
            let (status, title, detail) = match refused {
                R::Missing => (S::BAD_REQUEST, "No state", "Wise's answer must carry the state wiselink issued."),
                R::Unknown => (S::BAD_REQUEST, "Unknown state", "This state was not issued by wiselink."),
                R::Used => (S::CONFLICT, "State already used", "Each state works once. Start again from the link."),
                R::Expired => (S::GONE, "State expired", "A state works for 10 minutes. Start again from the link."),
                R::Foreign => (S::BAD_REQUEST, "State of another link", "This state was issued for another link."),
                R::OtherBrowser => (S::BAD_REQUEST, "State of another browser", "This trip to Wise started in another browser; continue from that browser or start again."),
            };
            Problem::new(status, refused.code(), title).detail(detail)
        }
        LinkError::AuthorizationDeclined => Problem::new(
            S::CONFLICT,
            "authorization_declined",
            "The customer did not give consent",
        )
        .detail("The link is still waiting for consent and can be tried again."),
        LinkError::MissingCode => Problem::new(
            S::BAD_REQUEST,
            "code_missing",
            "No authorization code",
        )
        .detail("Forward the code, state and profile id Wise's page returned."),
        LinkError::NotClaimable => Problem::new(
            S::CONFLICT,
            "not_claimable",
            "Nothing to claim",
        )
        .detail("Only an active link whose Wise user the partner created (origin created), not claimed yet, can be claimed."),
        LinkError::WiseUserLinkedElsewhere => Problem::new(
            S::CONFLICT,
            "wise_user_linked_elsewhere",
            "The Wise account is linked to another customer",
        )
        .detail("One Wise account links to one customer: the other customer's link stays active. Reject this link, or unlink the other one and have this customer link again."),
        LinkError::WiseUserBusy => Problem::new(
            S::CONFLICT,
            "wise_user_busy",
            "The Wise account is being linked",
        )
        .detail("Another link with the same email is exchanging its code or being verified. Retry in a moment.")
        .retry_after(1),
        LinkError::Db(e) => Problem::database(e),
        LinkError::Unexpected(e) => Problem::unexpected(e),
    }
}

pub use crate::http::problem::ip_limited;

impl From<LinkError> for Problem {
    fn from(e: LinkError) -> Self {
        problem(&e)
    }
}

/// The customer's personal data was erased (`DELETE /v1/customers/{customer_ref}`).
pub fn customer_erased() -> Problem {
    Problem::new(
        StatusCode::GONE,
        "customer_erased",
        "The customer was erased",
    )
    .detail(
        "This customer's personal data was erased; nothing is left to link with. A customer \
             who comes back is a new customer, with a new customer_ref.",
    )
}
