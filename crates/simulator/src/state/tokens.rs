//! Access and refresh tokens, indexed by value and by user, so that granting, refreshing and
//! revoking touch only that user's.

use crate::errors::WiseReply;
use chrono::{DateTime, Duration, Utc};
use std::collections::{HashMap, HashSet};

pub const ACCESS_TOKEN_SECS: i64 = 43_199;
pub const REFRESH_TOKEN_SECS: i64 = 628_639_555;

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

#[derive(Default)]
pub struct Tokens {
    access: HashMap<String, AccessToken>,
    refresh: HashMap<String, RefreshToken>,
    by_user: HashMap<i64, UserTokens>,
    /// When a refresh ended each access token it replaced (for tests: was a token handed out
    /// as good until some moment killed before it?).
    replaced_at: HashMap<String, DateTime<Utc>>,
}

/// How a refresh is answered where Wise's documentation allows two behaviours.
pub struct RefreshRules {
    /// Status for a refresh token revoked by an email change (400 or 403).
    pub email_changed_status: u16,
    /// Whether a refresh returns a new refresh token and retires the old one.
    pub rotate: bool,
}

impl Tokens {
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
        if let Some(tokens) = self.by_user.get(&user_id) {
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
    /// `user_active` says whether the token's user may still use it.
    pub fn refresh(
        &mut self,
        client_id: &str,
        refresh_token: &str,
        now: DateTime<Utc>,
        rules: &RefreshRules,
        user_active: impl Fn(i64) -> bool,
    ) -> Result<IssuedTokens, WiseReply> {
        let (status, rotate) = (rules.email_changed_status, rules.rotate);
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
        if r.client_id != client_id || r.expires_at <= now || !user_active(r.user_id) {
            return Err(WiseReply::invalid_grant(400, "Invalid refresh token"));
        }
        if let Some(old) = &r.current_access {
            if self.access.contains_key(old) {
                self.replaced_at.insert(old.clone(), now);
            }
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

    /// Every token of the user stops working (app access revoked, deactivation, email change).
    pub fn revoke_user_tokens(&mut self, user_id: i64, reason: Revoked) {
        let Some(tokens) = self.by_user.get_mut(&user_id) else {
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

    /// Ends a live access token at `now`, as its lifetime running out would. Returns false when
    /// no live token has that value.
    pub fn expire_access_token(&mut self, token: &str, now: DateTime<Utc>) -> bool {
        match self.access.get_mut(token) {
            Some(access) => {
                access.expires_at = access.expires_at.min(now);
                true
            }
            None => false,
        }
    }

    /// When a refresh replaced (and so ended) `token`, if one did.
    pub fn replaced_at(&self, token: &str) -> Option<DateTime<Utc>> {
        self.replaced_at.get(token).copied()
    }

    fn insert_access(&mut self, token: String, access: AccessToken) {
        if let Some(user_id) = access.user_id {
            let tokens = self.by_user.entry(user_id).or_default();
            tokens.access.insert(token.clone());
        }
        self.access.insert(token, access);
    }

    fn remove_access(&mut self, token: &str) {
        if let Some(user_id) = self.access.remove(token).and_then(|a| a.user_id)
            && let Some(tokens) = self.by_user.get_mut(&user_id)
        {
            tokens.access.remove(token);
        }
    }

    fn insert_refresh(&mut self, token: String, refresh: RefreshToken) {
        let tokens = self.by_user.entry(refresh.user_id).or_default();
        tokens.refresh.insert(token.clone());
        self.refresh.insert(token, refresh);
    }

    fn remove_refresh(&mut self, token: &str) {
        if let Some(r) = self.refresh.remove(token)
            && let Some(tokens) = self.by_user.get_mut(&r.user_id)
        {
            tokens.refresh.remove(token);
        }
    }
}
