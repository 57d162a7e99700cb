//! The redirect flow: the customer goes to Wise's authorization page with a one-time `state` and
//! comes back to `GET /oauth/callback` (or, in a native app, the app forwards what it received).
//! Every refusal of a state happens before anything is sent to Wise; an accepted one joins the
//! email flow's exactly-once exchange and identity check.
//!
//! A state is 256 random bits, stored as a SHA-256 hash, bound to one link, good for 10 minutes
//! and for one use. A trip started on wiselink's own page also binds the state to a cookie in
//! that browser, so a state copied into another browser is refused.

use super::secrets::{self, SessionToken};
use super::{LinkError, LinkService};
use crate::db::authorization_states::{self as states, NewState};
use crate::db::links::{CustomerLink, LinkRow, Transition};
use crate::domain::{AuthorizationCode, LinkEvent, LinkId, LinkState};
use chrono::{Duration, NaiveDateTime};
use secrecy::{ExposeSecret, SecretString};

/// How long a `state` can be brought back.
pub const STATE_TTL_MINUTES: i64 = 10;

/// Where to send the customer's browser, and until when the trip may come back.
pub struct Redirect {
    pub url: SecretString,
    pub expires_at: NaiveDateTime,
}

/// A state bound to a browser: the cookie value to set there (only its hash is stored).
pub struct BrowserTrip {
    pub redirect: Redirect,
    pub cookie: SecretString,
}

/// Why a returned `state` was refused. Nothing was sent to Wise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateRefused {
    Missing,
    Unknown,
    Used,
    Expired,
    /// Issued for another link.
    Foreign,
    /// Issued to another browser (its cookie is missing or different).
    OtherBrowser,
}

impl StateRefused {
    pub fn code(self) -> &'static str {
        match self {
            Self::Missing => "state_missing",
            Self::Unknown => "state_unknown",
            Self::Used => "state_used",
            Self::Expired => "state_expired",
            Self::Foreign => "state_foreign",
            Self::OtherBrowser => "state_other_browser",
        }
    }
}

/// How a trip to Wise's page ended.
pub enum Authorized {
    /// The code was exchanged: the link is `active`, `needs_review` or `rejected`.
    Exchanged(CustomerLink),
    /// The customer declined (or Wise's page failed): the link still awaits authorization.
    Declined(LinkRow),
}

/// What a trip to Wise's page is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Consent for a link awaiting authorization.
    Authorize,
    /// A partner-created user claiming their account (the link is active).
    Claim,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Self::Authorize => "authorize",
            Self::Claim => "claim",
        }
    }
}

/// What Wise's page sent back (the callback's query, or what a native app forwards).
pub struct Returned {
    pub state: Option<String>,
    pub code: Option<String>,
    pub error: Option<String>,
}

impl Returned {
    /// The returned code, parsed: none at all is `code_missing`; one that cannot be a code is
    /// refused like a wrong one (Wise is not asked).
    pub(super) fn code_for(&self, link: &LinkRow) -> Result<AuthorizationCode, LinkError> {
        self.code
            .as_deref()
            .map(AuthorizationCode::parse)
            .ok_or(LinkError::MissingCode)?
            .map_err(|_| LinkError::InvalidCode {
                attempts_remaining: link.attempts_remaining,
            })
    }
}

impl LinkService {
    /// The authorization URL for `link` with a new state (bound to a browser when `browser` is the
    /// hash of its cookie).
    pub(super) async fn issue_state(
        &self,
        link_id: &LinkId,
        browser: Option<Vec<u8>>,
    ) -> Result<Redirect, LinkError> {
        self.issue_state_for(link_id, browser, Purpose::Authorize, None)
            .await
    }

    /// A new state for `purpose`, and the authorization URL carrying it (and the claim code).
    pub(super) async fn issue_state_for(
        &self,
        link_id: &LinkId,
        browser: Option<Vec<u8>>,
        purpose: Purpose,
        claim_code: Option<&SecretString>,
    ) -> Result<Redirect, LinkError> {
        let state = SessionToken::generate_state();
        let now = self.clock.now();
        let expires_at = now + Duration::minutes(STATE_TTL_MINUTES);
        let (id, hash) = (link_id.clone(), state.hash.clone());
        self.db
            .run(move |conn| {
                states::insert(
                    conn,
                    &NewState {
                        state_hash: &hash,
                        link_id: &id,
                        created_at: now,
                        expires_at,
                        browser_hash: browser.as_deref(),
                        purpose: purpose.as_str(),
                    },
                )
            })
            .await?;
        Ok(Redirect {
            url: self.authorize_url(&state.token, claim_code),
            expires_at,
        })
    }

    /// Wise's authorization page for this client, with `state` (and a claim code).
    fn authorize_url(
        &self,
        state: &SecretString,
        claim_code: Option<&SecretString>,
    ) -> SecretString {
        let settings = self.wise.settings();
        let mut url = match url::Url::parse(&settings.authorize_url) {
            Ok(url) => url,
            // Checked at start-up; kept total anyway.
            Err(_) => return SecretString::from(settings.authorize_url.clone()),
        };
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("client_id", &settings.client_id)
                .append_pair("redirect_uri", &settings.redirect_uri)
                .append_pair("state", state.expose_secret());
            if let Some(code) = claim_code {
                query.append_pair("claim_account_code", code.expose_secret());
            }
        }
        SecretString::from(String::from(url))
    }

    /// The origin of Wise's authorization page (`scheme://host[:port]`), which wiselink's link
    /// page may send the browser to.
    pub fn authorize_origin(&self) -> String {
        url::Url::parse(&self.wise.settings().authorize_url)
            .map(|u| u.origin().ascii_serialization())
            .unwrap_or_default()
    }

    /// A fresh authorization URL for a link awaiting authorization, for a native app whose
    /// earlier URL's state expired or was spent (a declined, refused or lost trip): a new
    /// one-time state, bound to no browser.
    pub async fn authorization_url(&self, link: &LinkRow) -> Result<Redirect, LinkError> {
        if link.state != LinkState::AwaitingAuthorization {
            return Err(LinkError::WrongState(link.state));
        }
        if link.code_expires_at.is_some_and(|t| t <= self.clock.now()) {
            return Err(LinkError::CodeExpired);
        }
        self.issue_state(&link.id, None).await
    }

    /// "Continue to Wise" on wiselink's page: a new state bound to a new cookie for this browser.
    pub async fn continue_to_wise(&self, link: &LinkRow) -> Result<BrowserTrip, LinkError> {
        if link.state != LinkState::AwaitingAuthorization {
            return Err(LinkError::WrongState(link.state));
        }
        let cookie = SessionToken::generate_state();
        let redirect = self.issue_state(&link.id, Some(cookie.hash)).await?;
        Ok(BrowserTrip {
            redirect,
            cookie: cookie.token,
        })
    }

    /// Takes `state` for `expected` (the native-app call names its link) or for whatever link it
    /// was issued to (the callback), checking it before anything reaches Wise: present, known,
    /// unused, unexpired, this link's, this browser's. Returns the link it belongs to.
    async fn take_state(
        &self,
        state: Option<&str>,
        expected: Option<&LinkId>,
        browser_cookie: Option<&str>,
        from_browser: bool,
    ) -> Result<(LinkRow, Purpose), LinkError> {
        let state = state
            .filter(|s| !s.is_empty())
            .ok_or(LinkError::BadState(StateRefused::Missing))?;
        let hash = secrets::session_hash(state);
        let found = {
            let hash = hash.clone();
            self.db.run(move |conn| states::find(conn, &hash)).await?
        };
        let row = found.ok_or(LinkError::BadState(StateRefused::Unknown))?;
        let now = self.clock.now();
        if row.used_at.is_some() {
            return Err(LinkError::BadState(StateRefused::Used));
        }
        if row.expires_at <= now {
            return Err(LinkError::BadState(StateRefused::Expired));
        }
        if expected.is_some_and(|id| *id != row.link_id) {
            return Err(LinkError::BadState(StateRefused::Foreign));
        }
        if let Some(bound) = &row.browser_hash {
            let presented = browser_cookie.map(secrets::session_hash);
            if !from_browser || presented.as_ref() != Some(bound) {
                return Err(LinkError::BadState(StateRefused::OtherBrowser));
            }
        }
        let taken = self
            .db
            .run(move |conn| states::take(conn, &hash, now))
            .await?;
        if !taken {
            return Err(LinkError::BadState(StateRefused::Used));
        }
        let purpose = if row.purpose == "claim" {
            Purpose::Claim
        } else {
            Purpose::Authorize
        };
        Ok((self.reload(&row.link_id).await?, purpose))
    }

    /// What the browser brought back to `GET /oauth/callback`.
    pub async fn callback(
        &self,
        returned: Returned,
        browser_cookie: Option<&str>,
    ) -> Result<Authorized, LinkError> {
        let (link, purpose) = self
            .take_state(returned.state.as_deref(), None, browser_cookie, true)
            .await?;
        match purpose {
            Purpose::Authorize => self.authorized(link, returned).await,
            Purpose::Claim => self.claimed(link, returned).await,
        }
    }

    /// What a native app forwards from its deep link, for the link it names (it only ever
    /// forwards a code: an error stays in the app).
    pub async fn authorize_native(
        &self,
        link_id: &LinkId,
        returned: Returned,
    ) -> Result<CustomerLink, LinkError> {
        let (link, purpose) = self
            .take_state(returned.state.as_deref(), Some(link_id), None, false)
            .await?;
        let authorized = match purpose {
            Purpose::Authorize => self.authorized(link, returned).await?,
            Purpose::Claim => self.claimed(link, returned).await?,
        };
        match authorized {
            Authorized::Exchanged(link) => Ok(link),
            Authorized::Declined(_) => Err(LinkError::AuthorizationDeclined),
        }
    }

    /// A taken state's link, with Wise's answer: declined (the link stays as it was, to be tried
    /// again), or a code to exchange exactly once.
    pub(super) async fn authorized(
        &self,
        link: LinkRow,
        returned: Returned,
    ) -> Result<Authorized, LinkError> {
        if link.state != LinkState::AwaitingAuthorization {
            return Err(LinkError::WrongState(link.state));
        }
        if let Some(error) = returned.error {
            let reason = match error.as_str() {
                "access_denied" => "the customer declined on Wise's page".to_owned(),
                other => format!(
                    "Wise's page returned {}",
                    other.chars().take(64).collect::<String>()
                ),
            };
            let t = Transition::new(
                &link,
                LinkState::AwaitingAuthorization,
                LinkEvent::AuthorizationDeclined,
                "customer",
                &reason,
            );
            return Ok(Authorized::Declined(self.apply(t).await?));
        }
        let code = returned.code_for(&link)?;
        Ok(Authorized::Exchanged(
            self.submit_code(link, code, "customer").await?,
        ))
    }
}
