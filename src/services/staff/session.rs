//! Signing in and out, and the sessions in between.

use super::StaffService;
use crate::db::staff::{self, SessionRow, StaffRow};
use crate::domain::{Role, Username};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{Duration, NaiveDateTime};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Why a sign-in failed. `Refused` is all a caller may tell the person signing in.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Unknown user, wrong password, wrong or missing TOTP code, disabled account, an account
    /// that must wait after too many failures, or an admin who must enrol a second factor first:
    /// one answer for all.
    #[error("sign-in refused")]
    Refused,
    /// The identity provider could not be asked whether a session it started still holds.
    #[error("the identity provider could not confirm the session: {0}")]
    ProviderUnavailable(String),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// How one sign-in attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    SignedIn,
    /// The password was right, but the role needs a second factor the account has not enrolled
    /// (recorded as such; answered as any refusal, and counted).
    NeedsEnrolment,
    /// `counts`: one more failure toward the account's sign-in delay.
    Refused {
        counts: bool,
    },
    /// Local accounts are off: staff sign in at the identity provider (recorded as such;
    /// answered as any refusal, never counted).
    LocalOff,
}

impl Outcome {
    fn counts(self) -> bool {
        matches!(self, Self::NeedsEnrolment | Self::Refused { counts: true })
    }
}

impl From<crate::db::DbError> for LoginError {
    fn from(e: crate::db::DbError) -> Self {
        Self::Unexpected(e.into())
    }
}

/// How recently the identity provider must have confirmed a session it started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// Within `staff.sso.recheck_minutes` (a page).
    Current,
    /// Now (a form: a decision or a change).
    Confirmed,
}

/// A session just started: the id goes into the cookie and nowhere else.
pub struct NewSession {
    pub id: SecretString,
    pub username: String,
}

/// A signed-in staff member, as each request sees them.
#[derive(Debug, Clone)]
pub struct StaffSession {
    pub staff_id: i64,
    pub username: String,
    pub role: Role,
    /// The form token of this session (derived from its id; never stored).
    pub csrf_token: String,
    pub authenticated_at: NaiveDateTime,
    /// The identity provider's name, for a session started there.
    pub sso: Option<String>,
    /// Whether the person authenticated (password typed, or signed in at the provider) within
    /// `staff.reauth_minutes`.
    pub recent: bool,
    pub(super) id_hash: Vec<u8>,
}

impl StaffSession {
    /// `staff:<user>`, as decisions record it.
    pub fn actor(&self) -> String {
        format!("staff:{}", self.username)
    }

    /// Whether `token` is this session's form token (constant time).
    pub fn csrf_matches(&self, token: &str) -> bool {
        self.csrf_token.as_bytes().ct_eq(token.as_bytes()).into()
    }
}

const SESSION_BYTES: usize = 32;

pub(super) fn id_hash(id: &str) -> Vec<u8> {
    Sha256::digest(id.as_bytes()).to_vec()
}

fn csrf_token(id: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"wiselink staff csrf\0");
    h.update(id.as_bytes());
    URL_SAFE_NO_PAD.encode(&h.finalize()[..24])
}

impl StaffService {
    /// Signs in: checks the password (and the TOTP code, if the account has one) and starts a
    /// new session. Every attempt is recorded. Whatever was wrong, the answer is the same
    /// `Refused`: a right password with a wrong code, an admin without a second factor where one
    /// is required, or a secret that cannot be opened never tell the password was right.
    pub async fn login(
        &self,
        username: &str,
        password: &SecretString,
        totp_code: Option<&str>,
        client_ip: Option<&str>,
    ) -> Result<NewSession, LoginError> {
        let name = Username::parse(username).ok();
        let row = match &name {
            Some(n) => {
                let n = n.to_string();
                self.db.run(move |conn| staff::find(conn, &n)).await?
            }
            None => None,
        };
        // Always one hash verification, whoever asks: an unknown user costs what a known one does.
        let matched = self
            .verify_password(password, row.as_ref().map(|r| r.password_hash.as_str()))
            .await?;
        let now = self.clock.now();
        let recorded_name = name
            .as_ref()
            .map(|n| n.to_string())
            .unwrap_or_else(|| "(invalid username)".to_owned());
        let outcome = match &row {
            Some(row) => self.check(row, matched, totp_code, now).await,
            None => Outcome::Refused { counts: false },
        };
        let break_glass =
            outcome == Outcome::SignedIn && self.settings.sso.is_break_glass(&recorded_name);
        let event = match outcome {
            Outcome::SignedIn if break_glass => "break_glass_login",
            Outcome::LocalOff => "login_local_accounts_off",
            Outcome::SignedIn => "login",
            Outcome::NeedsEnrolment => "login_needs_totp_enrolment",
            Outcome::Refused { .. } => "login_failed",
        };
        let ip = client_ip.map(str::to_owned);
        let session = SessionId::generate();
        let (staff_id, hash) = (
            row.as_ref().map(|r| r.id),
            id_hash(session.0.expose_secret()),
        );
        let audited = recorded_name.clone();
        let audit = self.audit.clone();
        self.db
            .run(move |conn| {
                match (outcome, staff_id) {
                    (Outcome::SignedIn, Some(id)) => {
                        staff::start_session(conn, id, &hash, staff::SignedInAt::Password, now)?
                    }
                    (o, Some(id)) if o.counts() => staff::record_failure(conn, id, now)?,
                    _ => {}
                }
                staff::audit(conn, &audit, &audited, event, None, ip.as_deref(), now)
            })
            .await?;
        if outcome != Outcome::SignedIn {
            return Err(LoginError::Refused);
        }
        if break_glass {
            metrics::counter!("wiselink_staff_break_glass_logins_total").increment(1);
            tracing::error!(staff.username = %recorded_name, "BREAK-GLASS sign-in with a local password while single sign-on is on");
        } else {
            tracing::info!(staff.username = %recorded_name, "staff signed in");
        }
        Ok(NewSession {
            id: session.0,
            username: recorded_name,
        })
    }

    /// What a sign-in attempt on an existing account comes to. While the account waits out
    /// earlier failures nothing is checked or counted, so the wait reveals nothing about the
    /// password either.
    async fn check(
        &self,
        row: &StaffRow,
        password_matched: bool,
        totp_code: Option<&str>,
        now: NaiveDateTime,
    ) -> Outcome {
        if row.disabled_at.is_some() || self.must_wait(row, now) {
            return Outcome::Refused { counts: false };
        }
        if !self.settings.sso.allows_password(&row.username) {
            return Outcome::LocalOff;
        }
        if !password_matched {
            return Outcome::Refused { counts: true };
        }
        match (&row.totp_secret, totp_code) {
            (Some(_), Some(code)) => match self.take_totp(row, code).await {
                Ok(true) => Outcome::SignedIn,
                Ok(false) => Outcome::Refused { counts: true },
                Err(e) => {
                    // Answered like a wrong code: an unreadable secret must not tell the password
                    // was right. The operator learns it here.
                    tracing::error!(staff.username = %row.username, error = %e, "TOTP secret could not be checked");
                    Outcome::Refused { counts: true }
                }
            },
            (Some(_), None) => Outcome::Refused { counts: true },
            (None, _) if self.totp_required(row) => Outcome::NeedsEnrolment,
            (None, _) => Outcome::SignedIn,
        }
    }

    /// Whether the account's role needs a second factor it does not have (a password account:
    /// the identity provider asks for its own second factors).
    fn totp_required(&self, row: &StaffRow) -> bool {
        self.settings.require_totp_for_admin
            && row.sso_subject.is_none()
            && row.role == Role::Admin.as_str()
            && row.totp_secret.is_none()
    }

    /// Whether the account must still wait after its last failure: none for the first
    /// `free_login_failures`, then 2 s, 4 s, 8 s … at most `max_login_delay_secs`.
    pub(super) fn must_wait(&self, row: &StaffRow, now: NaiveDateTime) -> bool {
        let over = row.failed_logins - self.settings.free_login_failures;
        let Some(last) = row.last_failed_at else {
            return false;
        };
        if over < 0 {
            return false;
        }
        let delay = 2i64
            .checked_pow((over + 1).min(20) as u32)
            .unwrap_or(i64::MAX)
            .min(self.settings.max_login_delay_secs);
        now < last + Duration::seconds(delay)
    }

    /// The signed-in staff member behind a session cookie, if the session is still good. Ends
    /// (and records) a session past its idle or absolute limit.
    pub async fn session(
        &self,
        id: &str,
        freshness: Freshness,
    ) -> Result<Option<StaffSession>, LoginError> {
        if id.is_empty() || id.len() > 100 {
            return Ok(None);
        }
        let hash = id_hash(id);
        let lookup = hash.clone();
        let Some((session, row)) = self
            .db
            .run(move |conn| staff::session(conn, &lookup))
            .await?
        else {
            return Ok(None);
        };
        let now = self.clock.now();
        if let Some(ended) = self.ended(&session, &row, now) {
            let username = row.username.clone();
            let audit = self.audit.clone();
            self.db
                .run(move |conn| {
                    staff::end_session(conn, &hash)?;
                    staff::audit(conn, &audit, &username, ended, None, None, now)
                })
                .await?;
            return Ok(None);
        }
        let Some(mut role) = Role::parse(&row.role) else {
            return Ok(None);
        };
        if row.sso_subject.is_some() {
            match self.sso_role(&session, &row, role, freshness).await? {
                Some(now) => role = now,
                None => return Ok(None),
            }
        }
        // One write per minute of use at most: the idle limit is minutes, not seconds.
        if now - session.last_seen_at >= Duration::seconds(60) {
            let touched = hash.clone();
            self.db
                .run(move |conn| staff::touch(conn, &touched, now, false))
                .await?;
        }
        let sso = row
            .sso_subject
            .as_ref()
            .and_then(|_| self.sso_provider_name().map(str::to_owned));
        Ok(Some(StaffSession {
            staff_id: row.id,
            username: row.username,
            role,
            csrf_token: csrf_token(id),
            authenticated_at: session.authenticated_at,
            sso,
            recent: now - session.authenticated_at
                < Duration::minutes(self.settings.reauth_minutes),
            id_hash: hash,
        }))
    }

    /// Why a session is over, if it is.
    fn ended(&self, s: &SessionRow, row: &StaffRow, now: NaiveDateTime) -> Option<&'static str> {
        if row.disabled_at.is_some() {
            return Some("session_ended_disabled");
        }
        // A password session from before local accounts were turned off.
        if row.sso_subject.is_none() && !self.settings.sso.allows_password(&row.username) {
            return Some("session_ended_local_accounts_off");
        }
        // A session from before `require_totp_for_admin` was turned on keeps no admin rights
        // that a sign-in now would not give.
        if self.totp_required(row) {
            return Some("session_ended_totp_required");
        }
        if now - s.last_seen_at >= Duration::minutes(self.settings.session_idle_minutes) {
            return Some("session_idle_timeout");
        }
        if now - s.created_at >= Duration::hours(self.settings.session_absolute_hours) {
            return Some("session_absolute_timeout");
        }
        None
    }
}

/// A new session id: 256 random bits, URL-safe.
pub(super) struct SessionId(pub(super) SecretString);

impl SessionId {
    pub(super) fn generate() -> Self {
        let bytes: [u8; SESSION_BYTES] = rand::random();
        Self(SecretString::from(URL_SAFE_NO_PAD.encode(bytes)))
    }
}
