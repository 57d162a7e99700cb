//! Support staff: accounts (managed from the CLI and the admin screen), signing in, and the
//! server-side sessions the back office runs on.
//!
//! - Passwords are argon2id (19 MiB, 2 passes, 1 lane), hashed on the blocking pool behind a
//!   small semaphore, so a flood of sign-ins waits its turn instead of starving the service.
//! - A sign-in for an unknown user verifies against a stand-in hash: it costs the same time and
//!   fails with the same message as a wrong password.
//! - Past `free_login_failures` wrong passwords in a row, each attempt on that account must wait
//!   twice as long as the last (at most `max_login_delay_secs`); a correct sign-in after the wait
//!   resets it. No lockout is permanent.
//! - A session id is 256 random bits, only ever in the staff member's cookie; the database keeps
//!   its SHA-256. Sessions end after `session_idle_minutes` unused and `session_absolute_hours`
//!   after sign-in; sign-out, disabling, a password reset and a role change end all of the
//!   account's sessions at once.

mod accounts;
mod admin_keys;
mod logout;
mod password;
mod reauth;
mod session;
mod sso;
mod totp;

pub use accounts::{AccountError, StaffSummary};
pub use reauth::Reauth;
pub use session::{Freshness, LoginError, NewSession, StaffSession};
pub use sso::provider::Provider as SsoProvider;
pub use sso::{Callback as SsoCallback, SsoRefusal, SsoSignIn, SsoStart, refresh_aad};
pub use totp::{Enrolment, totp_aad};

use crate::audit::SigningKeys;
use crate::clock::SharedClock;
use crate::crypto::KeyRing;
use crate::db::Db;
use crate::settings::StaffSettings;
use std::sync::Arc;
use tokio::sync::Semaphore;

pub struct StaffService {
    db: Db,
    keys: Arc<KeyRing>,
    /// Seals each row of the staff audit.
    audit: Arc<SigningKeys>,
    clock: SharedClock,
    settings: StaffSettings,
    /// Permits for password hashing.
    hashing: Arc<Semaphore>,
    /// What a sign-in for an unknown user is verified against.
    stand_in_hash: String,
    /// The bank's OpenID Connect provider, when staff sign in there.
    sso: Option<Arc<sso::provider::Provider>>,
}

impl StaffService {
    pub fn new(
        db: Db,
        keys: Arc<KeyRing>,
        audit: Arc<SigningKeys>,
        clock: SharedClock,
        settings: StaffSettings,
    ) -> Self {
        let hashing = Arc::new(Semaphore::new(settings.hashing_concurrency));
        Self {
            db,
            keys,
            audit,
            clock,
            settings,
            hashing,
            stand_in_hash: password::stand_in_hash(),
            sso: None,
        }
    }

    /// Staff sign in at `provider` (and local accounts only as `[staff.sso]` allows).
    pub fn with_sso(mut self, provider: sso::provider::Provider) -> Self {
        // Exported from the start, so the alert sees the first break-glass sign-in as an increase.
        metrics::counter!("wiselink_staff_break_glass_logins_total").increment(0);
        self.sso = Some(Arc::new(provider));
        self
    }

    /// The provider's name for the sign-in button, when staff sign in at one.
    pub fn sso_provider_name(&self) -> Option<&str> {
        self.sso
            .as_ref()
            .map(|p| p.settings().provider_name.as_str())
    }

    pub fn settings(&self) -> &StaffSettings {
        &self.settings
    }

    pub fn clock(&self) -> &SharedClock {
        &self.clock
    }
}
