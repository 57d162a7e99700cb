//! Everything the simulated Wise remembers, and the rules that change it. No HTTP in here.

use super::errors::WiseReply;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use rand::Rng;
use rand::distr::Alphanumeric;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet, VecDeque};

pub const ACCESS_TOKEN_SECS: i64 = 43_199;
pub const REFRESH_TOKEN_SECS: i64 = 628_639_555;
pub const AUTH_CODE_MINUTES: i64 = 30;
pub const CLAIM_CODE_MINUTES: i64 = 5;
const CALLS_KEPT: usize = 10_000;

/// The one API client the simulator knows.
#[derive(Debug, Clone)]
pub struct Client {
    pub id: String,
    pub secret: String,
    pub redirect_uri: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum UserState {
    Active,
    Deactivated,
}

#[derive(Debug, Clone)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub registration_code: Option<String>,
    pub created_by: Option<String>,
    pub reclaimed: bool,
    pub state: UserState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProfileKind {
    Personal,
    Business,
}

#[derive(Debug, Clone)]
pub struct Profile {
    pub id: i64,
    pub user_id: i64,
    pub kind: ProfileKind,
    pub date_of_birth: Option<NaiveDate>,
    pub business_name: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct AuthCode {
    pub client_id: String,
    pub redirect_uri: String,
    pub user_id: i64,
    pub created_at: DateTime<Utc>,
    pub used: bool,
}

#[derive(Debug, Clone)]
pub struct ClaimCode {
    pub user_id: i64,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct AccessToken {
    /// `None` for a client-credentials token.
    pub user_id: Option<i64>,
    pub client_id: String,
    pub expires_at: DateTime<Utc>,
}

/// Why a refresh token stopped working, which decides the error a later refresh gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revoked {
    /// Replaced by a new grant, revoked by the user, or the user was deactivated.
    Plain,
    /// The user changed their email at Wise.
    EmailChanged,
}

#[derive(Debug, Clone)]
pub struct RefreshToken {
    pub user_id: i64,
    pub client_id: String,
    pub expires_at: DateTime<Utc>,
    pub current_access: Option<String>,
    pub revoked: Option<Revoked>,
}

/// An email the simulated Wise sent.
#[derive(Debug, Clone, Serialize)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub authorization_code: Option<String>,
    pub sent_at: DateTime<Utc>,
}

/// Every email Wise sent, in order, with an index by recipient (case-insensitive) so that reading
/// one customer's mail does not scan everyone's while the state lock is held.
#[derive(Default)]
pub struct Mailbox {
    mails: Vec<Mail>,
    by_recipient: HashMap<String, Vec<usize>>,
}

impl Mailbox {
    pub fn push(&mut self, mail: Mail) {
        self.by_recipient
            .entry(mail.to.to_ascii_lowercase())
            .or_default()
            .push(self.mails.len());
        self.mails.push(mail);
    }

    /// Messages to `to`, or all of them, oldest first.
    pub fn to(&self, to: Option<&str>) -> Vec<&Mail> {
        match to {
            None => self.mails.iter().collect(),
            Some(to) => self
                .by_recipient
                .get(&to.to_ascii_lowercase())
                .map(|ids| ids.iter().map(|&i| &self.mails[i]).collect())
                .unwrap_or_default(),
        }
    }
}

/// A fault armed for the next `count` calls to `endpoint`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    pub endpoint: String,
    pub status: Option<u16>,
    pub retry_after: Option<u64>,
    pub latency_ms: Option<u64>,
    #[serde(default)]
    pub drop_response: bool,
    #[serde(default = "one")]
    pub count: u32,
}

fn one() -> u32 {
    1
}

/// One call received, as `/__sim/calls` reports it.
#[derive(Debug, Clone, Serialize)]
pub struct Call {
    pub method: String,
    pub path: String,
    pub status: u16,
    pub at: DateTime<Utc>,
    pub body: serde_json::Value,
}

/// Switches for behaviour Wise's documentation leaves open.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Variants {
    /// Status of `invalid_grant` for a wrong registration code or a reclaimed user: 401 (API
    /// reference) or 400 (guides).
    pub reclaimed_status: u16,
    /// Status of a successful signup: 200 (documented) or 201.
    pub signup_status: u16,
    /// Status of a refresh after the user changed their email at Wise: 400 or 403.
    pub email_changed_status: u16,
    /// Whether a refresh returns a new refresh token (and retires the old one) or the same one.
    pub rotate_refresh_tokens: bool,
}

impl Default for Variants {
    fn default() -> Self {
        Self {
            reclaimed_status: 401,
            signup_status: 200,
            email_changed_status: 400,
            rotate_refresh_tokens: false,
        }
    }
}

impl Variants {
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if ![400, 401].contains(&self.reclaimed_status) {
            out.push("reclaimed_status must be 400 or 401".to_owned());
        }
        if ![200, 201].contains(&self.signup_status) {
            out.push("signup_status must be 200 or 201".to_owned());
        }
        if ![400, 403].contains(&self.email_changed_status) {
            out.push("email_changed_status must be 400 or 403".to_owned());
        }
        out
    }
}

/// A user's new tokens.
pub struct IssuedTokens {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A user's tokens, so that granting, refreshing and revoking touch only that user's.
#[derive(Default)]
struct UserTokens {
    access: HashSet<String>,
    refresh: HashSet<String>,
}

/// Every lookup a call makes under the state lock is by key: users by id and by email, profiles
/// by user, tokens by value and by user. The simulator answers in the same time with one user or
/// with the hundreds of thousands a long benchmark leaves behind.
#[derive(Default)]
pub struct SimState {
    next_id: i64,
    users: HashMap<i64, User>,
    /// Lower-cased email → every user that has held it (at most one of them active).
    users_by_email: HashMap<String, Vec<i64>>,
    pub profiles: HashMap<i64, Profile>,
    profiles_by_user: HashMap<i64, Vec<i64>>,
    pub auth_codes: HashMap<String, AuthCode>,
    pub claim_codes: HashMap<String, ClaimCode>,
    access: HashMap<String, AccessToken>,
    refresh: HashMap<String, RefreshToken>,
    tokens_by_user: HashMap<i64, UserTokens>,
    /// Email-flow page ticket → authorization code it reveals.
    pub email_tickets: HashMap<String, String>,
    pub mailbox: Mailbox,
    pub faults: Vec<Fault>,
    pub calls: VecDeque<Call>,
    pub variants: Variants,
}

impl SimState {
    fn id(&mut self) -> i64 {
        self.next_id += 1;
        // Wise ids are large numbers; keep ours recognisably in that range.
        10_000_000 + self.next_id
    }

    pub fn user(&self, id: i64) -> Option<&User> {
        self.users.get(&id)
    }

    /// A user to change; the email changes only through [`SimState::set_email`].
    pub fn user_mut(&mut self, id: i64) -> Option<&mut User> {
        self.users.get_mut(&id)
    }

    /// The active user with this email (case-insensitive).
    pub fn user_by_email(&self, email: &str) -> Option<&User> {
        self.users_by_email
            .get(&email.to_ascii_lowercase())?
            .iter()
            .filter_map(|id| self.users.get(id))
            .find(|u| u.state == UserState::Active && u.email.eq_ignore_ascii_case(email))
    }

    pub fn set_email(&mut self, id: i64, email: String) {
        let Some(user) = self.users.get_mut(&id) else {
            return;
        };
        if let Some(ids) = self
            .users_by_email
            .get_mut(&user.email.to_ascii_lowercase())
        {
            ids.retain(|&other| other != id);
        }
        self.users_by_email
            .entry(email.to_ascii_lowercase())
            .or_default()
            .push(id);
        user.email = email;
    }

    pub fn create_user(&mut self, email: &str) -> i64 {
        let id = self.id();
        self.users_by_email
            .entry(email.to_ascii_lowercase())
            .or_default()
            .push(id);
        self.users.insert(
            id,
            User {
                id,
                email: email.to_owned(),
                first_name: None,
                last_name: None,
                registration_code: None,
                created_by: None,
                reclaimed: false,
                state: UserState::Active,
            },
        );
        id
    }

    pub fn add_profile(
        &mut self,
        user_id: i64,
        kind: ProfileKind,
        date_of_birth: Option<NaiveDate>,
        now: DateTime<Utc>,
    ) -> i64 {
        let id = self.id();
        let business_name = (kind == ProfileKind::Business).then(|| format!("Business {id} Ltd"));
        self.profiles_by_user.entry(user_id).or_default().push(id);
        self.profiles.insert(
            id,
            Profile {
                id,
                user_id,
                kind,
                date_of_birth,
                business_name,
                created_at: now,
            },
        );
        id
    }

    pub fn profiles_of(&self, user_id: i64) -> Vec<&Profile> {
        let mut list: Vec<&Profile> = self
            .profiles_by_user
            .get(&user_id)
            .into_iter()
            .flatten()
            .filter_map(|id| self.profiles.get(id))
            .collect();
        list.sort_by_key(|p| (p.kind == ProfileKind::Business, p.id));
        list
    }

    /// The profile a login grants by default: the personal one, else the first.
    pub fn default_profile(&self, user_id: i64) -> Option<i64> {
        self.profiles_of(user_id).first().map(|p| p.id)
    }

    pub fn new_auth_code(&mut self, client: &Client, user_id: i64, now: DateTime<Utc>) -> String {
        let code = short_code();
        self.auth_codes.insert(
            code.clone(),
            AuthCode {
                client_id: client.id.clone(),
                redirect_uri: client.redirect_uri.clone(),
                user_id,
                created_at: now,
                used: false,
            },
        );
        code
    }

    pub fn new_claim_code(&mut self, user_id: i64, now: DateTime<Utc>) -> String {
        let code = uuid::Uuid::new_v4().to_string();
        self.claim_codes.insert(
            code.clone(),
            ClaimCode {
                user_id,
                expires_at: now + Duration::minutes(CLAIM_CODE_MINUTES),
            },
        );
        code
    }

    pub fn client_token(&mut self, client_id: &str, now: DateTime<Utc>) -> IssuedTokens {
        let token = uuid::Uuid::new_v4().to_string();
        self.insert_access(
            token.clone(),
            AccessToken {
                user_id: None,
                client_id: client_id.to_owned(),
                expires_at: now + Duration::seconds(ACCESS_TOKEN_SECS),
            },
        );
        IssuedTokens {
            access_token: token,
            refresh_token: None,
            created_at: now,
        }
    }

    /// A new token pair from an original grant. The user's previous refresh tokens for this client
    /// stop working at once; access tokens already minted stay valid until they expire.
    pub fn user_grant(
        &mut self,
        client_id: &str,
        user_id: i64,
        now: DateTime<Utc>,
    ) -> IssuedTokens {
        if let Some(tokens) = self.tokens_by_user.get(&user_id) {
            for token in &tokens.refresh {
                if let Some(r) = self.refresh.get_mut(token)
                    && r.client_id == client_id
                    && r.revoked.is_none()
                {
                    r.revoked = Some(Revoked::Plain);
                }
            }
        }
        let access = self.user_access(client_id, user_id, now);
        let refresh = uuid::Uuid::new_v4().to_string();
        self.insert_refresh(
            refresh.clone(),
            RefreshToken {
                user_id,
                client_id: client_id.to_owned(),
                expires_at: now + Duration::seconds(REFRESH_TOKEN_SECS),
                current_access: Some(access.clone()),
                revoked: None,
            },
        );
        IssuedTokens {
            access_token: access,
            refresh_token: Some(refresh),
            created_at: now,
        }
    }

    /// Refreshes: a new access token, and the one this refresh token minted last stops working.
    pub fn refresh(
        &mut self,
        client_id: &str,
        refresh_token: &str,
        now: DateTime<Utc>,
    ) -> Result<IssuedTokens, WiseReply> {
        let status = self.variants.email_changed_status;
        let rotate = self.variants.rotate_refresh_tokens;
        let Some(r) = self.refresh.get(refresh_token).cloned() else {
            return Err(WiseReply::invalid_grant(400, "Invalid refresh token"));
        };
        match r.revoked {
            Some(Revoked::EmailChanged) => {
                return Err(WiseReply::invalid_grant(status, "Invalid refresh token"));
            }
            Some(Revoked::Plain) => {
                return Err(WiseReply::invalid_grant(400, "Invalid refresh token"));
            }
            None => {}
        }
        if r.client_id != client_id || r.expires_at <= now || !self.user_active(r.user_id) {
            return Err(WiseReply::invalid_grant(400, "Invalid refresh token"));
        }
        if let Some(old) = &r.current_access {
            self.remove_access(old);
        }
        let access = self.user_access(client_id, r.user_id, now);
        let refresh = if rotate {
            self.remove_refresh(refresh_token);
            uuid::Uuid::new_v4().to_string()
        } else {
            refresh_token.to_owned()
        };
        self.insert_refresh(
            refresh.clone(),
            RefreshToken {
                current_access: Some(access.clone()),
                ..r
            },
        );
        Ok(IssuedTokens {
            access_token: access,
            refresh_token: Some(refresh),
            created_at: now,
        })
    }

    fn user_access(&mut self, client_id: &str, user_id: i64, now: DateTime<Utc>) -> String {
        let token = uuid::Uuid::new_v4().to_string();
        self.insert_access(
            token.clone(),
            AccessToken {
                user_id: Some(user_id),
                client_id: client_id.to_owned(),
                expires_at: now + Duration::seconds(ACCESS_TOKEN_SECS),
            },
        );
        token
    }

    pub fn user_active(&self, user_id: i64) -> bool {
        self.users
            .get(&user_id)
            .is_some_and(|u| u.state == UserState::Active)
    }

    /// Every token of the user stops working (app access revoked, deactivation, email change).
    pub fn revoke_user_tokens(&mut self, user_id: i64, reason: Revoked) {
        let Some(tokens) = self.tokens_by_user.get_mut(&user_id) else {
            return;
        };
        for token in tokens.access.drain() {
            self.access.remove(&token);
        }
        for token in &tokens.refresh {
            if let Some(r) = self.refresh.get_mut(token)
                && r.revoked.is_none()
            {
                r.revoked = Some(reason);
            }
        }
    }

    pub fn access_token(&self, token: &str) -> Option<&AccessToken> {
        self.access.get(token)
    }

    fn insert_access(&mut self, token: String, access: AccessToken) {
        if let Some(user_id) = access.user_id {
            let tokens = self.tokens_by_user.entry(user_id).or_default();
            tokens.access.insert(token.clone());
        }
        self.access.insert(token, access);
    }

    fn remove_access(&mut self, token: &str) {
        if let Some(user_id) = self.access.remove(token).and_then(|a| a.user_id)
            && let Some(tokens) = self.tokens_by_user.get_mut(&user_id)
        {
            tokens.access.remove(token);
        }
    }

    fn insert_refresh(&mut self, token: String, refresh: RefreshToken) {
        let tokens = self.tokens_by_user.entry(refresh.user_id).or_default();
        tokens.refresh.insert(token.clone());
        self.refresh.insert(token, refresh);
    }

    fn remove_refresh(&mut self, token: &str) {
        if let Some(r) = self.refresh.remove(token)
            && let Some(tokens) = self.tokens_by_user.get_mut(&r.user_id)
        {
            tokens.refresh.remove(token);
        }
    }

    pub fn record(&mut self, call: Call) {
        if self.calls.len() == CALLS_KEPT {
            self.calls.pop_front();
        }
        self.calls.push_back(call);
    }

    /// Takes one use of the first fault armed for `path`.
    pub fn take_fault(&mut self, path: &str) -> Option<Fault> {
        let i = self
            .faults
            .iter()
            .position(|f| f.endpoint == path && f.count > 0)?;
        let fault = self.faults[i].clone();
        self.faults[i].count -= 1;
        if self.faults[i].count == 0 {
            self.faults.remove(i);
        }
        Some(fault)
    }
}

/// A code shaped like Wise's examples (`G2s8EJ`): six mixed-case letters and digits.
pub fn short_code() -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(6)
        .map(char::from)
        .collect()
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
        let id = state.create_user("Ann@Example.com");
        assert_eq!(
            state.user_by_email("ann@example.COM").map(|u| u.id),
            Some(id)
        );
        state.set_email(id, "ann.new@example.com".into());
        assert!(state.user_by_email("ann@example.com").is_none());
        assert_eq!(
            state.user_by_email("ANN.NEW@example.com").map(|u| u.id),
            Some(id)
        );
    }

    #[test]
    fn an_email_of_a_deactivated_user_belongs_to_the_next_one() {
        let mut state = SimState::default();
        let old = state.create_user("bo@example.com");
        state.user_mut(old).unwrap().state = UserState::Deactivated;
        assert!(state.user_by_email("bo@example.com").is_none());
        let new = state.create_user("bo@example.com");
        assert_eq!(
            state.user_by_email("bo@example.com").map(|u| u.id),
            Some(new)
        );
    }

    #[test]
    fn profiles_of_a_user_are_theirs_personal_first() {
        let mut state = SimState::default();
        let a = state.create_user("a@example.com");
        let b = state.create_user("b@example.com");
        let business = state.add_profile(a, ProfileKind::Business, None, now());
        state.add_profile(b, ProfileKind::Personal, None, now());
        let personal = state.add_profile(a, ProfileKind::Personal, None, now());
        let ids: Vec<i64> = state.profiles_of(a).iter().map(|p| p.id).collect();
        assert_eq!(ids, vec![personal, business]);
    }

    #[test]
    fn a_new_grant_retires_only_that_users_refresh_tokens_and_revoking_ends_their_access() {
        let mut state = SimState::default();
        let a = state.create_user("a@example.com");
        let b = state.create_user("b@example.com");
        let first = state.user_grant("client", a, now());
        let other = state.user_grant("client", b, now());
        let second = state.user_grant("client", a, now());
        let refresh = |t: &IssuedTokens| t.refresh_token.clone().unwrap();
        assert!(state.refresh("client", &refresh(&first), now()).is_err());
        assert!(state.refresh("client", &refresh(&other), now()).is_ok());
        assert!(state.access_token(&second.access_token).is_some());

        state.revoke_user_tokens(a, Revoked::Plain);
        assert!(state.access_token(&first.access_token).is_none());
        assert!(state.access_token(&second.access_token).is_none());
        assert!(state.refresh("client", &refresh(&second), now()).is_err());
        let b_access = state.refresh("client", &refresh(&other), now()).unwrap();
        assert!(state.access_token(&b_access.access_token).is_some());
    }
}
