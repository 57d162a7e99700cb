//! Everything the simulated Wise remembers, split by what it keeps: people (users and profiles),
//! codes, tokens, the mailbox, webhook subscriptions, and what tests control. Each keeps its own fields private and
//! changes them only through its rules; the HTTP handlers beside this module call those.

mod codes;
mod control;
mod mailbox;
mod people;
mod rate_limits;
mod subscriptions;
mod tokens;

pub use codes::{AUTH_CODE_MINUTES, Codes};
pub use control::{Call, Control, Fault, Variants};
pub use mailbox::{Mail, Mailbox};
pub use people::{People, Profile, ProfileKind, UserState};
pub use rate_limits::{Limiter, RateLimits};
pub use subscriptions::{
    Attempt, Forgery, PROFILE_VERIFICATION_CHANGE, Subscription, Subscriptions, TRIGGERS,
    USER_STATE_CHANGE, stamp,
};
pub use tokens::{
    ACCESS_TOKEN_SECS, IssuedTokens, REFRESH_TOKEN_SECS, RefreshRules, Revoked, Tokens,
};

use super::errors::WiseReply;
use chrono::{DateTime, Utc};

/// The one API client the simulator knows.
#[derive(Debug, Clone)]
pub struct Client {
    pub id: String,
    pub secret: String,
    pub redirect_uri: String,
}

#[derive(Default)]
pub struct SimState {
    pub people: People,
    pub codes: Codes,
    pub tokens: Tokens,
    pub mailbox: Mailbox,
    pub control: Control,
    pub subscriptions: Subscriptions,
}

impl SimState {
    /// Refreshes under the current variants, for a user who is still active.
    pub fn refresh(
        &mut self,
        client_id: &str,
        refresh_token: &str,
        now: DateTime<Utc>,
    ) -> Result<IssuedTokens, WiseReply> {
        let variants = self.control.variants();
        let rules = RefreshRules {
            email_changed_status: variants.email_changed_status,
            rotate: variants.rotate_refresh_tokens,
        };
        let people = &self.people;
        self.tokens
            .refresh(client_id, refresh_token, now, &rules, |id| {
                people.user_active(id)
            })
    }
}

/// What Wise says about a deactivation (`users#state-change`).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deactivation {
    pub deactivation_type: Option<String>,
    pub deactivation_reason: Option<String>,
}

impl SimState {
    /// Moves a user to `to` as Wise's back office would, and tells the subscribers: a
    /// deactivated user's tokens stop working at once.
    pub fn change_user_state(
        &mut self,
        user_id: i64,
        to: UserState,
        why: Deactivation,
        now: DateTime<Utc>,
    ) -> Result<(), String> {
        let user = self.people.user_mut(user_id).ok_or("no such user")?;
        let from = user.state;
        match (from, to) {
            (UserState::Deactivated, _) => return Err("the user is deactivated".into()),
            (a, b) if a == b => return Err(format!("the user is already {a:?}")),
            _ => user.state = to,
        }
        if to == UserState::Deactivated {
            self.tokens.revoke_user_tokens(user_id, Revoked::Plain);
        }
        let mut data = serde_json::json!({
            "resource": {"id": user_id, "type": "user"},
            "previous_state": from,
            "current_state": to,
            "occurred_at": stamp(now),
        });
        if to == UserState::Deactivated {
            data["deactivation_type"] = why
                .deactivation_type
                .unwrap_or_else(|| "ACCOUNT_CLOSURE".into())
                .into();
            data["deactivation_reason"] = why
                .deactivation_reason
                .unwrap_or_else(|| "REQUESTED_BY_CUSTOMER_CS".into())
                .into();
        }
        self.subscriptions.emit(USER_STATE_CHANGE, data, now);
        Ok(())
    }

    /// Records a profile's verification state and tells the subscribers.
    pub fn change_verification(
        &mut self,
        profile_id: i64,
        verified: bool,
        now: DateTime<Utc>,
    ) -> Result<(), String> {
        self.people.profile(profile_id).ok_or("no such profile")?;
        let data = serde_json::json!({
            "resource": {"type": "profile", "id": profile_id},
            "current_state": if verified { "verified" } else { "not_verified" },
            "occurred_at": stamp(now),
        });
        self.subscriptions
            .emit(PROFILE_VERIFICATION_CHANGE, data, now);
        Ok(())
    }
}

/// Masks an email the way Wise's newer errors do: `ma*****@wise.com`.
pub fn mask(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let keep: String = local.chars().take(2).collect();
            format!(
                "{keep}{}@{domain}",
                "*".repeat(local.chars().count().saturating_sub(2).max(1))
            )
        }
        None => "***".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap()
    }

    #[test]
    fn a_changed_email_finds_the_user_under_the_new_address_only() {
        let mut state = SimState::default();
        let id = state.people.create_user("Ann@Example.com");
        assert_eq!(
            state.people.user_by_email("ann@example.COM").map(|u| u.id),
            Some(id)
        );
        state.people.set_email(id, "ann.new@example.com".into());
        assert!(state.people.user_by_email("ann@example.com").is_none());
        assert_eq!(
            state
                .people
                .user_by_email("ANN.NEW@example.com")
                .map(|u| u.id),
            Some(id)
        );
    }

    #[test]
    fn an_email_of_a_deactivated_user_belongs_to_the_next_one() {
        let mut state = SimState::default();
        let old = state.people.create_user("bo@example.com");
        state.people.user_mut(old).unwrap().state = UserState::Deactivated;
        assert!(state.people.user_by_email("bo@example.com").is_none());
        let new = state.people.create_user("bo@example.com");
        assert_eq!(
            state.people.user_by_email("bo@example.com").map(|u| u.id),
            Some(new)
        );
    }

    #[test]
    fn profiles_of_a_user_are_theirs_personal_first() {
        let mut state = SimState::default();
        let a = state.people.create_user("a@example.com");
        let b = state.people.create_user("b@example.com");
        let business = state
            .people
            .add_profile(a, ProfileKind::Business, None, now());
        state
            .people
            .add_profile(b, ProfileKind::Personal, None, now());
        let personal = state
            .people
            .add_profile(a, ProfileKind::Personal, None, now());
        let ids: Vec<i64> = state.people.profiles_of(a).iter().map(|p| p.id).collect();
        assert_eq!(ids, vec![personal, business]);
    }

    #[test]
    fn a_new_grant_retires_only_that_users_refresh_tokens_and_revoking_ends_their_access() {
        let mut state = SimState::default();
        let a = state.people.create_user("a@example.com");
        let b = state.people.create_user("b@example.com");
        let first = state.tokens.user_grant("client", a, now());
        let other = state.tokens.user_grant("client", b, now());
        let second = state.tokens.user_grant("client", a, now());
        let refresh = |t: &IssuedTokens| t.refresh_token.clone().unwrap();
        assert!(state.refresh("client", &refresh(&first), now()).is_err());
        assert!(state.refresh("client", &refresh(&other), now()).is_ok());
        assert!(state.tokens.access_token(&second.access_token).is_some());

        state.tokens.revoke_user_tokens(a, Revoked::Plain);
        assert!(state.tokens.access_token(&first.access_token).is_none());
        assert!(state.tokens.access_token(&second.access_token).is_none());
        assert!(state.refresh("client", &refresh(&second), now()).is_err());
        let b_access = state.refresh("client", &refresh(&other), now()).unwrap();
        assert!(state.tokens.access_token(&b_access.access_token).is_some());
    }
}
