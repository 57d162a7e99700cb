//! API keys for the partner's backend: `wl_<id>_<secret>`, 256 random bits of secret, stored as a
//! SHA-256 hash (the secret is random, so a slow password hash adds nothing), compared in constant
//! time, revocable. A test key reads `wl_test_<id>_<secret>`: it works only against the simulator
//! and is the only key that may pull the test triggers (`services/test_mode.rs`).

use crate::clock::SharedClock;
use crate::db::{DbConnection, DbError, api_keys};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::NaiveDateTime;
use chrono::{DateTime, Utc};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use subtle::ConstantTimeEq;

const PREFIX: &str = "wl_";
const TEST_PREFIX: &str = "test_";
const ID_BYTES: usize = 6;
const SECRET_BYTES: usize = 32;

/// Whether a key acts on real Wise accounts or only on the simulator's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyMode {
    Live,
    Test,
}

impl KeyMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Live => "live",
            Self::Test => "test",
        }
    }

    fn stored(value: &str) -> Self {
        if value == "test" {
            Self::Test
        } else {
            Self::Live
        }
    }
}

/// A key the database or the cache confirmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedKey {
    pub id: String,
    pub mode: KeyMode,
}

/// A new key: the id to manage it by and the token, which is shown once and never stored.
pub struct IssuedKey {
    pub id: String,
    pub token: SecretString,
}

/// What `api-key list` shows. Never holds the secret or its hash.
#[derive(Debug, Clone)]
pub struct KeySummary {
    pub id: String,
    pub name: String,
    pub created_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
    pub mode: KeyMode,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiKeyError {
    #[error("the key name must be 1 to 100 characters without control characters")]
    InvalidName,
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Creates a key named `name` at `now`; its token is in the answer only.
pub fn create(
    conn: &mut DbConnection,
    name: &str,
    mode: KeyMode,
    now: NaiveDateTime,
) -> Result<IssuedKey, ApiKeyError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(ApiKeyError::InvalidName);
    }
    let mut rng = rand::rng();
    let mut id_bytes = [0u8; ID_BYTES];
    rng.fill_bytes(&mut id_bytes);
    let mut secret = [0u8; SECRET_BYTES];
    rng.fill_bytes(&mut secret);
    let id = hex::encode(id_bytes);
    let secret = URL_SAFE_NO_PAD.encode(secret);
    api_keys::insert(
        conn,
        &api_keys::NewApiKey {
            id: &id,
            name,
            secret_hash: &hash(&secret),
            created_at: now,
            mode: mode.as_str(),
        },
    )?;
    let marker = if mode == KeyMode::Test {
        TEST_PREFIX
    } else {
        ""
    };
    let token = SecretString::from(format!("{PREFIX}{marker}{id}_{secret}"));
    Ok(IssuedKey { id, token })
}

pub fn list(conn: &mut DbConnection) -> Result<Vec<KeySummary>, DbError> {
    Ok(api_keys::list(conn)?
        .into_iter()
        .map(|row| KeySummary {
            id: row.id,
            name: row.name,
            created_at: row.created_at,
            revoked_at: row.revoked_at,
            mode: KeyMode::stored(&row.mode),
        })
        .collect())
}

/// Revokes a key at `now`. Returns false when there is no live key with that id.
pub fn revoke(conn: &mut DbConnection, id: &str, now: NaiveDateTime) -> Result<bool, DbError> {
    api_keys::revoke(conn, id, now)
}

/// Checks a presented token against the database. Returns the key when it names a key not
/// revoked whose secret and mode match.
pub fn verify(
    conn: &mut DbConnection,
    presented: &SecretString,
) -> Result<Option<VerifiedKey>, DbError> {
    let Some((mode, id, secret)) = split(presented.expose_secret()) else {
        return Ok(None);
    };
    let row = api_keys::find(conn, id)?;
    // Compare against a dummy when the id is unknown, so both paths do the same work.
    let stored = row
        .as_ref()
        .map(|r| r.secret_hash.as_slice())
        .unwrap_or(&[0u8; 32]);
    let matches = same_hash(&hash(secret), stored);
    Ok(row
        .filter(|r| matches && r.revoked_at.is_none() && KeyMode::stored(&r.mode) == mode)
        .map(|r| VerifiedKey { id: r.id, mode }))
}

/// Keys verified recently, so that most requests need no database round trip to authenticate.
///
/// Only successful verifications are kept, each for `ttl`: a key revoked in the database stops
/// working on every instance within `ttl`. A `ttl` of zero disables the cache.
pub struct KeyCache {
    ttl: Duration,
    clock: SharedClock,
    entries: Mutex<HashMap<String, CachedKey>>,
}

struct CachedKey {
    secret_hash: [u8; 32],
    mode: KeyMode,
    verified_at: DateTime<Utc>,
}

/// The result of looking a token up in the cache.
pub enum Cached {
    Valid(VerifiedKey),
    Invalid,
    Unknown,
}

impl KeyCache {
    /// A cache keeping each verification for `ttl` by `clock`.
    pub fn new(ttl: Duration, clock: SharedClock) -> Self {
        Self {
            ttl,
            clock,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// Whether a verification made at `at` is still good.
    fn fresh(&self, at: DateTime<Utc>) -> bool {
        (self.clock.now_utc() - at).to_std().unwrap_or_default() < self.ttl
    }

    pub fn check(&self, presented: &SecretString) -> Cached {
        let Some((mode, id, secret)) = split(presented.expose_secret()) else {
            return Cached::Invalid;
        };
        let Ok(entries) = self.entries.lock() else {
            return Cached::Unknown;
        };
        match entries.get(id) {
            Some(entry) if self.fresh(entry.verified_at) => {
                if same_hash(&hash(secret), &entry.secret_hash) && entry.mode == mode {
                    Cached::Valid(VerifiedKey {
                        id: id.to_owned(),
                        mode,
                    })
                } else {
                    Cached::Invalid
                }
            }
            _ => Cached::Unknown,
        }
    }

    /// Remembers a token the database just confirmed.
    pub fn remember(&self, presented: &SecretString) {
        if self.ttl.is_zero() {
            return;
        }
        let Some((mode, id, secret)) = split(presented.expose_secret()) else {
            return;
        };
        if let Ok(mut entries) = self.entries.lock() {
            let now = self.clock.now_utc();
            entries.retain(|_, e| (now - e.verified_at).to_std().unwrap_or_default() < self.ttl);
            entries.insert(
                id.to_owned(),
                CachedKey {
                    secret_hash: hash(secret),
                    mode,
                    verified_at: now,
                },
            );
        }
    }
}

fn same_hash(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// Splits `wl_[test_]<12 hex>_<43 base64url>` into mode, id and secret; anything else is not a
/// key.
fn split(token: &str) -> Option<(KeyMode, &str, &str)> {
    let rest = token.strip_prefix(PREFIX)?;
    let (mode, rest) = match rest.strip_prefix(TEST_PREFIX) {
        Some(rest) => (KeyMode::Test, rest),
        None => (KeyMode::Live, rest),
    };
    let (id, secret) = rest.split_once('_')?;
    let id_ok = id.len() == ID_BYTES * 2 && id.bytes().all(|b| b.is_ascii_hexdigit());
    let secret_ok = secret.len() == 43
        && secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    (id_ok && secret_ok).then_some((mode, id, secret))
}

fn hash(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn split_accepts_only_the_issued_shape() {
        let secret = "A".repeat(43);
        let good = format!("wl_0123456789ab_{secret}");
        assert_eq!(
            split(&good),
            Some((KeyMode::Live, "0123456789ab", secret.as_str()))
        );
        let test = format!("wl_test_0123456789ab_{secret}");
        assert_eq!(
            split(&test),
            Some((KeyMode::Test, "0123456789ab", secret.as_str()))
        );
        let cases = [
            "".to_owned(),
            "wl_".to_owned(),
            format!("xx_0123456789ab_{secret}"),
            format!("wl_0123456789a_{secret}"),
            format!("wl_0123456789zz_{secret}"),
            format!("wl_0123456789ab_{}", "A".repeat(42)),
            format!("wl_0123456789ab_{}=", "A".repeat(42)),
            format!("wl_0123456789ab{secret}"),
            format!("wl_live_0123456789ab_{secret}"),
            format!("wl_test_test_0123456789ab_{secret}"),
        ];
        for case in cases {
            assert_eq!(split(&case), None, "{case:?}");
        }
    }

    #[test]
    fn cache_confirms_only_the_remembered_secret_and_forgets_it() {
        let secret = "B".repeat(43);
        let good = SecretString::from(format!("wl_0123456789ab_{secret}"));
        let wrong = SecretString::from(format!("wl_0123456789ab_{}", "C".repeat(43)));
        let clock = crate::clock::Clock::system();
        let cache = KeyCache::new(Duration::from_millis(50), clock.clone());
        assert!(matches!(cache.check(&good), Cached::Unknown));
        cache.remember(&good);
        assert!(matches!(cache.check(&good), Cached::Valid(k) if k.id == "0123456789ab"));
        // The same id and secret presented as a test key is not the live key the cache holds.
        let as_test = SecretString::from(format!("wl_test_0123456789ab_{secret}"));
        assert!(matches!(cache.check(&as_test), Cached::Invalid));
        assert!(matches!(cache.check(&wrong), Cached::Invalid));
        assert!(matches!(
            cache.check(&SecretString::from("junk".to_owned())),
            Cached::Invalid
        ));
        clock.advance(chrono::Duration::milliseconds(60));
        assert!(matches!(cache.check(&good), Cached::Unknown));

        let off = KeyCache::new(Duration::ZERO, clock);
        off.remember(&good);
        assert!(matches!(off.check(&good), Cached::Unknown));
    }

    proptest! {
        #[test]
        fn split_never_panics(s in "\\PC*") {
            let _ = split(&s);
        }
    }
}
