//! Every way a link operation can fail. Expected outcomes have their own variant; `Db` and
//! `Unexpected` are logged once, where they become a response.

use super::redirect::StateRefused;
use crate::db::DbError;
use crate::db::links::Refused;
use crate::domain::LinkState;

#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("no such customer")]
    CustomerNotFound,
    /// The customer's personal data was erased: nothing is left to link with.
    #[error("the customer was erased")]
    CustomerErased,
    #[error("no such link")]
    LinkNotFound,
    #[error("the customer already has a link in progress or active")]
    LinkExists,
    #[error("Wise refused the customer's details")]
    WiseRefused { fields: Vec<WiseFieldError> },
    #[error("Wise is unavailable")]
    WiseUnavailable { retry_after: Option<u64> },
    #[error("the link is {0}")]
    WrongState(LinkState),
    #[error("too many wrong codes")]
    Locked,
    #[error("wrong code")]
    InvalidCode { attempts_remaining: i32 },
    #[error("this code was already used")]
    CodeAlreadyUsed,
    #[error("the code window has closed")]
    CodeExpired,
    #[error("another request for this link is being processed")]
    Busy,
    #[error("the code could not be exchanged; a new code is needed")]
    ExchangeLost,
    #[error("Wise revoked access; the customer must link again")]
    RelinkRequired,
    #[error("a new code may be requested in {retry_after_secs} s")]
    ResendTooSoon { retry_after_secs: i64 },
    #[error("the daily resend limit is reached")]
    ResendLimitReached { retry_after_secs: i64 },
    #[error("the Wise account no longer exists")]
    WiseAccountGone,
    #[error("Wise deactivated the linked user")]
    WiseUserDeactivated,
    #[error("too many wrong codes for this customer today")]
    CustomerLimited { retry_after_secs: i64 },
    #[error("the link was decided or changed meanwhile (now {state}, by {by})")]
    AlreadyDecided { state: LinkState, by: String },
    #[error("the link holds no tokens and cannot be activated")]
    NoTokens,
    #[error("a second, different reviewer must approve")]
    SecondApproverNeeded,
    #[error("the returned state was refused ({})", .0.code())]
    BadState(StateRefused),
    #[error("the customer did not give consent on Wise's page")]
    AuthorizationDeclined,
    #[error("Wise's page returned neither a code nor an error")]
    MissingCode,
    #[error("only an active link of a partner-created, unclaimed Wise user can be claimed")]
    NotClaimable,
    #[error("the Wise user is actively linked to another customer")]
    WiseUserLinkedElsewhere,
    #[error("another customer's link to the same Wise account is being verified")]
    WiseUserBusy,
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<Refused> for LinkError {
    fn from(e: Refused) -> Self {
        match e {
            Refused::Stale(_) => Self::Busy,
            Refused::Illegal(i) => Self::WrongState(i.from),
            Refused::LinkExists => Self::LinkExists,
            Refused::CustomerErased => Self::CustomerErased,
            Refused::CodeSpent => Self::CodeAlreadyUsed,
            Refused::WiseUserTaken => Self::WiseUserLinkedElsewhere,
            Refused::SignupEmailTaken => Self::WiseUserBusy,
        }
    }
}

/// One field Wise refused at signup, under our field name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WiseFieldError {
    /// `email`, `language` or `customer`.
    pub field: &'static str,
    /// Wise's code, e.g. `NOT_VALID`.
    pub code: String,
    pub message: String,
}

impl From<crate::db::customers::ErasedCustomer> for LinkError {
    fn from(_: crate::db::customers::ErasedCustomer) -> Self {
        Self::CustomerErased
    }
}
