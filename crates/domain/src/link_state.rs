//! The link state machine: every state a link can be in, everything that can happen to it, and the
//! one function that decides where it goes. Pure: storage and HTTP call it, it calls nothing.

use crate::LinkFlow;
use std::fmt;

/// Where a link is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, diesel::deserialize::FromSqlRow,
)]
pub enum LinkState {
    /// Created; Wise has not answered the signup yet.
    Pending,
    /// Wise emailed the customer a code; waiting for it to be typed in.
    AwaitingCode,
    /// Redirect flow: waiting for the customer to come back from Wise's page.
    AwaitingAuthorization,
    /// A code is being exchanged (the recovery point recorded before calling Wise).
    Exchanging,
    /// Tokens obtained; the profile is being checked.
    Verifying,
    Active,
    /// Tokens kept but unusable until support staff decide.
    NeedsReview,
    /// Too many wrong codes.
    Locked,
    /// Wise revoked access; the customer must link again.
    RelinkRequired,
    Rejected,
    Unlinked,
    /// The code window passed without a code.
    Expired,
}

impl LinkState {
    pub const ALL: [LinkState; 12] = [
        Self::Pending,
        Self::AwaitingCode,
        Self::AwaitingAuthorization,
        Self::Exchanging,
        Self::Verifying,
        Self::Active,
        Self::NeedsReview,
        Self::Locked,
        Self::RelinkRequired,
        Self::Rejected,
        Self::Unlinked,
        Self::Expired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::AwaitingCode => "awaiting_code",
            Self::AwaitingAuthorization => "awaiting_authorization",
            Self::Exchanging => "exchanging",
            Self::Verifying => "verifying",
            Self::Active => "active",
            Self::NeedsReview => "needs_review",
            Self::Locked => "locked",
            Self::RelinkRequired => "relink_required",
            Self::Rejected => "rejected",
            Self::Unlinked => "unlinked",
            Self::Expired => "expired",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// Final states: nothing happens to the link any more. At most one link per customer is not
    /// final (the database enforces it with a partial unique index over these same values).
    pub fn is_final(self) -> bool {
        matches!(self, Self::Rejected | Self::Unlinked | Self::Expired)
    }

    /// States a crash can leave a link in mid-way, which the recovery worker resolves.
    pub fn is_in_flight(self) -> bool {
        matches!(self, Self::Pending | Self::Exchanging | Self::Verifying)
    }
}

impl fmt::Display for LinkState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What happened to a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkEvent {
    /// Signup answered 409: Wise emailed the customer a code.
    WiseUserExists,
    /// Signup created the user (at the start, or at a resend after the email changed at Wise),
    /// or a repeated signup turned out to have created it, and the registration-code grant gave
    /// tokens: the partner created this Wise user.
    WiseUserCreated,
    /// Redirect flow started: the authorize URL was handed out.
    RedirectIssued,
    /// The customer came back from Wise's page without consent (`error=access_denied`, or
    /// another error); the link may be tried again.
    AuthorizationDeclined,
    /// Wise refused the signup (400/422).
    SignupRefused,
    /// A well-formed code arrived and the exchange is about to be sent.
    CodeSubmitted,
    /// Wise said `invalid_grant` and attempts remain.
    CodeRefused,
    /// Wise said `invalid_grant` to the last allowed attempt.
    TooManyWrongCodes,
    /// The exchange's outcome is unknown (crash, lost answer): the code is spent, ask for a new one.
    ExchangeLost,
    /// Wise provably did not process the exchange (429, 503 with `Retry-After`, no connection):
    /// the code is still good and no attempt is spent.
    ExchangeDeferred,
    /// The exchange gave tokens; or, for an imported link, the first refresh of the refresh token
    /// the partner brought.
    TokensStored,
    /// DOB and email match.
    IdentityMatched,
    /// DOB or email differ, DOB or personal profile missing, or another Wise user than pinned.
    IdentityDoubtful,
    /// The Wise account has no profile at all.
    NoProfile,
    /// A new code was requested (resend), which also resets the attempt window.
    CodeResent,
    /// The code window passed.
    CodeWindowClosed,
    /// The customer had not typed the code `links.reminder_after_minutes` after the link began
    /// waiting for it: the one reminder email goes out.
    ReminderSent,
    /// With four-eyes review: a first staff approval, which leaves the link for a second one.
    ApprovalRecorded,
    StaffApproved,
    StaffRejected,
    StaffUnlocked,
    /// A refresh got `invalid_grant`: Wise revoked access (for an imported link: the refresh token
    /// the partner brought was dead).
    AccessRevoked,
    /// A refresh's answer was lost after Wise acted on it, and the old refresh token cannot be
    /// reused safely: the tokens Wise issued never arrived, so the customer must link again.
    TokensLost,
    /// Refresh refused, but the partner-created user's registration code still worked: new
    /// tokens from the original grant.
    TokensRegranted,
    /// Refreshes have failed (transiently) for `tokens.failing_after_secs`.
    RefreshFailing,
    /// A refresh worked again after the link was flagged failing.
    RefreshRecovered,
    /// The partner (or staff) unlinked.
    Unlinked,
    /// The customer claimed the Wise account the partner created: authorization-code tokens
    /// replace the registration-code ones, and the registration code is destroyed.
    AccountClaimed,
    /// The partner started the link again in place (after Wise revoked access, or an unlink):
    /// same id and history, a new signup.
    RelinkStarted,
    /// Wise put the linked user in withdraw-only (`users#state-change`): 90 days to move money
    /// out, then deactivated. The link keeps working meanwhile.
    WiseUserWithdrawOnly,
    /// Wise made the linked user active again after withdraw-only.
    WiseUserReactivated,
    /// Wise deactivated the linked user: its tokens are dead, the link ends.
    WiseUserDeactivated,
    /// Wise reports the linked profile verified.
    ProfileVerified,
    /// Wise reports the linked profile not verified.
    ProfileUnverified,
    /// The Wise user is already actively linked to another customer: this link goes to review,
    /// without tokens (before the exchange when the signup email shows it, else after it, its
    /// fresh tokens going to the active link).
    WiseUserLinkedElsewhere,
    /// Another customer's link made Wise issue this Wise user new tokens, which end this link's
    /// refresh token; the new pair is this link's now.
    TokensReissued,
    /// The owner of the Wise account said "this wasn't me" from the "linked" email: the tokens
    /// go, and support staff look into it.
    CustomerDisputed,
}

impl LinkEvent {
    pub const ALL: [LinkEvent; 37] = [
        Self::WiseUserExists,
        Self::WiseUserCreated,
        Self::RedirectIssued,
        Self::AuthorizationDeclined,
        Self::SignupRefused,
        Self::CodeSubmitted,
        Self::CodeRefused,
        Self::TooManyWrongCodes,
        Self::ExchangeLost,
        Self::ExchangeDeferred,
        Self::TokensStored,
        Self::IdentityMatched,
        Self::IdentityDoubtful,
        Self::NoProfile,
        Self::CodeResent,
        Self::CodeWindowClosed,
        Self::ReminderSent,
        Self::ApprovalRecorded,
        Self::StaffApproved,
        Self::StaffRejected,
        Self::StaffUnlocked,
        Self::AccessRevoked,
        Self::TokensLost,
        Self::TokensRegranted,
        Self::RefreshFailing,
        Self::RefreshRecovered,
        Self::Unlinked,
        Self::RelinkStarted,
        Self::AccountClaimed,
        Self::WiseUserWithdrawOnly,
        Self::WiseUserReactivated,
        Self::WiseUserDeactivated,
        Self::ProfileVerified,
        Self::ProfileUnverified,
        Self::WiseUserLinkedElsewhere,
        Self::TokensReissued,
        Self::CustomerDisputed,
    ];

    /// The name stored with each event row.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::WiseUserExists => "wise_user_exists",
            Self::WiseUserCreated => "wise_user_created",
            Self::RedirectIssued => "redirect_issued",
            Self::AuthorizationDeclined => "authorization_declined",
            Self::SignupRefused => "signup_refused",
            Self::CodeSubmitted => "code_submitted",
            Self::CodeRefused => "code_refused",
            Self::TooManyWrongCodes => "too_many_wrong_codes",
            Self::ExchangeLost => "exchange_lost",
            Self::ExchangeDeferred => "exchange_deferred",
            Self::TokensStored => "tokens_stored",
            Self::IdentityMatched => "identity_matched",
            Self::IdentityDoubtful => "identity_doubtful",
            Self::NoProfile => "no_profile",
            Self::CodeResent => "code_resent",
            Self::CodeWindowClosed => "code_window_closed",
            Self::ReminderSent => "reminder_sent",
            Self::ApprovalRecorded => "approval_recorded",
            Self::StaffApproved => "staff_approved",
            Self::StaffRejected => "staff_rejected",
            Self::StaffUnlocked => "staff_unlocked",
            Self::AccessRevoked => "access_revoked",
            Self::TokensLost => "tokens_lost",
            Self::TokensRegranted => "tokens_regranted",
            Self::RefreshFailing => "refresh_failing",
            Self::RefreshRecovered => "refresh_recovered",
            Self::Unlinked => "unlinked",
            Self::RelinkStarted => "relink_started",
            Self::AccountClaimed => "account_claimed",
            Self::WiseUserWithdrawOnly => "wise_user_withdraw_only",
            Self::WiseUserReactivated => "wise_user_reactivated",
            Self::WiseUserDeactivated => "wise_user_deactivated",
            Self::ProfileVerified => "profile_verified",
            Self::ProfileUnverified => "profile_unverified",
            Self::WiseUserLinkedElsewhere => "wise_user_linked_elsewhere",
            Self::TokensReissued => "tokens_reissued",
            Self::CustomerDisputed => "customer_disputed",
        }
    }
}

/// An event that cannot happen in the link's current state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IllegalTransition {
    pub from: LinkState,
    pub event: LinkEvent,
}

impl fmt::Display for IllegalTransition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} cannot happen to a link that is {}",
            self.event, self.from
        )
    }
}

impl std::error::Error for IllegalTransition {}

/// The whole state machine. `flow` decides one thing: where a link goes back to when the
/// customer must act again after an exchange that did not give tokens (a refused, lost or
/// deferred exchange) — the code entry for the email flow, Wise's page for the redirect flow.
pub fn transition(
    from: LinkState,
    event: LinkEvent,
    flow: LinkFlow,
) -> Result<LinkState, IllegalTransition> {
    use LinkEvent as E;
    use LinkState as S;
    let to = match (from, event) {
        (S::Pending, E::WiseUserExists) => S::AwaitingCode,
        // From `locked` too: staff unlocking asks Wise again, which can show the email changed.
        (S::Pending | S::AwaitingCode | S::Expired | S::Locked, E::WiseUserCreated) => S::Active,
        (S::Pending, E::RedirectIssued) => S::AwaitingAuthorization,
        (S::Pending, E::SignupRefused) => S::Rejected,

        (S::AwaitingAuthorization, E::AuthorizationDeclined) => S::AwaitingAuthorization,
        (S::AwaitingCode | S::AwaitingAuthorization, E::CodeSubmitted) => S::Exchanging,
        (S::AwaitingCode | S::AwaitingAuthorization, E::CodeWindowClosed) => S::Expired,
        (S::AwaitingCode | S::Expired, E::CodeResent) => S::AwaitingCode,
        (S::AwaitingCode, E::ReminderSent) => S::AwaitingCode,

        (S::Exchanging, E::CodeRefused | E::ExchangeLost | E::ExchangeDeferred) => {
            flow.waiting_state()
        }
        (S::Exchanging, E::TooManyWrongCodes) => S::Locked,
        (S::Exchanging, E::TokensStored) => S::Verifying,
        // An imported link is proven in `verifying`: a refresh of the partner's refresh token
        // (or, when Wise refuses it, the partner's registration code) gives the tokens that
        // read the identity; a refresh token Wise refuses ends in re-linking.
        (S::Verifying, E::TokensStored | E::TokensRegranted) => S::Verifying,
        (S::Verifying, E::AccessRevoked | E::TokensLost) => S::RelinkRequired,

        (S::Verifying, E::IdentityMatched) => S::Active,
        (S::Verifying, E::IdentityDoubtful) => S::NeedsReview,
        (S::Verifying, E::NoProfile) => S::Rejected,
        (S::AwaitingCode | S::Verifying, E::WiseUserLinkedElsewhere) => S::NeedsReview,

        (S::NeedsReview, E::ApprovalRecorded) => S::NeedsReview,
        (S::NeedsReview, E::StaffApproved) => S::Active,
        (S::NeedsReview, E::StaffRejected) => S::Rejected,
        (S::Locked, E::StaffUnlocked) => S::AwaitingCode,
        (S::Locked, E::StaffRejected) => S::Rejected,

        (S::Active, E::AccessRevoked | E::TokensLost) => S::RelinkRequired,
        (S::Active, E::CustomerDisputed) => S::NeedsReview,
        (S::RelinkRequired | S::Unlinked, E::RelinkStarted) => S::Pending,
        (
            S::Active,
            E::TokensRegranted
            | E::RefreshFailing
            | E::RefreshRecovered
            | E::AccountClaimed
            | E::TokensReissued,
        ) => S::Active,

        // What Wise says about the linked user and profile reaches every link that has tokens
        // from them (or had, until they were revoked).
        (
            S::Active | S::NeedsReview | S::RelinkRequired,
            E::WiseUserWithdrawOnly
            | E::WiseUserReactivated
            | E::ProfileVerified
            | E::ProfileUnverified,
        ) => from,
        (S::Active | S::NeedsReview | S::RelinkRequired, E::WiseUserDeactivated) => S::Unlinked,

        // Unlinking is possible from every state that is not final, except mid-exchange and
        // mid-verification, which finish (or are recovered) first.
        (s, E::Unlinked) if !s.is_final() && !matches!(s, S::Exchanging | S::Verifying) => {
            S::Unlinked
        }

        (from, event) => return Err(IllegalTransition { from, event }),
    };
    Ok(to)
}

#[cfg(test)]
mod tests;
