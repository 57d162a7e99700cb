//! API keys for the partner's backend: `wl_<id>_<secret>`, 256 random bits of secret, stored as a
//! SHA-256 hash (the secret is random, so a slow password hash adds nothing), compared in constant
//! time, revocable.

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
const ID_BYTES: usize = 6;
const SECRET_BYTES: usize = 32;

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
        },
    )?;
    let token = SecretString::from(format!("{PREFIX}{id}_{secret}"));
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
        })
        .collect())
}

/// Revokes a key at `now`. Returns false when there is no live key with that id.
pub fn revoke(conn: &mut DbConnection, id: &str, now: NaiveDateTime) -> Result<bool, DbError> {
    api_keys::revoke(conn, id, now)
}

/// Checks a presented token against the database. Returns the key id when it names a live key
/// whose secret matches.
pub fn verify(
    conn: &mut DbConnection,
    presented: &SecretString,
) -> Result<Option<String>, DbError> {
    let Some((id, secret)) = split(presented.expose_secret()) else {
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
        .filter(|r| matches && r.revoked_at.is_none())
        .map(|r| r.id))
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
    verified_at: DateTime<Utc>,
}

/// The result of looking a token up in the cache.
pub enum Cached {
    Valid(String),
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
        let Some((id, secret)) = split(presented.expose_secret()) else {
            return Cached::Invalid;
        };
        let Ok(entries) = self.entries.lock() else {
            return Cached::Unknown;
        };
        match entries.get(id) {
            Some(entry) if self.fresh(entry.verified_at) => {
                if same_hash(&hash(secret), &entry.secret_hash) {
                    Cached::Valid(id.to_owned())
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
        let Some((id, secret)) = split(presented.expose_secret()) else {
            return;
        };
        if let Ok(mut entries) = self.entries.lock() {
            let now = self.clock.now_utc();
            entries.retain(|_, e| (now - e.verified_at).to_std().unwrap_or_default() < self.ttl);
            entries.insert(
                id.to_owned(),
                CachedKey {
                    secret_hash: hash(secret),
                    verified_at: now,
                },
            );
        }
    }
}

fn same_hash(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// Splits `wl_<12 hex>_<43 base64url>` into id and secret; anything else is not a key.
fn split(token: &str) -> Option<(&str, &str)> {
    let rest = token.strip_prefix(PREFIX)?;
    let (id, secret) = rest.split_once('_')?;
    let id_ok = id.len() == ID_BYTES * 2 && id.bytes().all(|b| b.is_ascii_hexdigit());
    let secret_ok = secret.len() == 43
        && secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    (id_ok && secret_ok).then_some((id, secret))
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
        assert_eq!(split(&good), Some(("0123456789ab", secret.as_str())));
        let cases = [
            "".to_owned(),
            "wl_".to_owned(),
            format!("xx_0123456789ab_{secret}"),
            format!("wl_0123456789a_{secret}"),
            format!("wl_0123456789zz_{secret}"),
            format!("wl_0123456789ab_{}", "A".repeat(42)),
            format!("wl_0123456789ab_{}=", "A".repeat(42)),
            format!("wl_0123456789ab{secret}"),
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
        assert!(matches!(cache.check(&good), Cached::Valid(id) if id == "0123456789ab"));
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
