//! wiselink's domain: pure types and rules. Nothing in here performs I/O, and nothing depends on
//! the service, the Wise client or the simulator — the crate graph keeps it so.
//!
//! Every value that crosses the HTTP boundary is parsed into one of these types exactly once;
//! code that holds a `DateOfBirth` or an `EmailAddress` never checks it again. The one clock
//! (`clock`) is here too: every layer reads time from it, so tests move it instead of sleeping.

pub mod clock;
mod code;
mod customer;
mod customer_ref;
mod date_of_birth;
mod email;
mod identity;
mod ids;
mod language;
mod link_flow;
mod link_policy;
mod link_reason;
mod link_state;
pub mod local_names;
mod partner_event;
mod person_name;
mod resend;
mod review;
mod sql;
mod staff;
mod token_policy;

pub use code::AuthorizationCode;
pub use customer::CustomerDetails;
pub use customer_ref::CustomerRef;
pub use date_of_birth::DateOfBirth;
pub use email::EmailAddress;
pub use identity::{Assessment, WiseIdentity, WiseProfile, assess};
pub use ids::{CustomerId, LinkId, WiseProfileId, WiseUserId};
pub use language::Language;
pub use link_flow::{LinkFlow, LinkOrigin};
pub use link_policy::LinkPolicy;
pub use link_reason::{IMPORTED, STARTED, is_link_reason, reason_after, reasons_into};
pub use link_state::{IllegalTransition, LinkEvent, LinkState, transition};
pub use partner_event::{EndpointId, PartnerEventType, is_event_id, new_event_id, partner_events};
pub use person_name::PersonName;
pub use resend::{ResendDecision, ResendPolicy, resend_decision};
pub use review::{DecisionReason, ReviewReason, WiseSide, dob_hint};
pub use staff::{MIN_PASSWORD_CHARS, Role, Username, check_password, mask_dob, mask_email};
pub use token_policy::TokenPolicy;

/// Why a value was refused: a stable machine-readable `code` and a sentence for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub code: &'static str,
    pub message: String,
}

impl Invalid {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

impl std::error::Error for Invalid {}

/// True when `s` holds a control character (including newlines and tabs).
fn has_control(s: &str) -> bool {
    s.chars().any(char::is_control)
}
