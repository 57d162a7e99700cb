//! Sealing secrets at rest: AES-256-GCM under a key ring.
//!
//! Each sealed value records the id of the key that sealed it, so keys can be rotated: the newest
//! key seals, any key in the ring opens, and re-sealing moves old values to the newest key. The
//! associated data binds a ciphertext to its table, column and row, so a value copied to another
//! row or column fails to open.
//!
//! Layout: `0x01 | key-id length (1 byte) | key id | 12-byte nonce | ciphertext and 16-byte tag`.

mod custody;
pub mod hsm;
mod webhook_signature;

pub use custody::Custody;
pub use webhook_signature::{InvalidSecret, SignedHeaders, WebhookSecret};

use aes_gcm::aead::{Aead, Generate, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

const VERSION: u8 = 1;

/// A well-formed key (32 zero bytes, base64) that stands in for a wrapped entry while the
/// configuration is checked; never used to seal.
pub const PLACEHOLDER_KEY: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
const NONCE_LEN: usize = 12;

/// Where a sealed value lives; it becomes the associated data.
#[derive(Debug, Clone, Copy)]
pub struct Aad<'a> {
    pub table: &'a str,
    pub column: &'a str,
    pub row: &'a str,
}

impl Aad<'_> {
    fn bytes(&self) -> Vec<u8> {
        format!("wiselink|{}|{}|{}", self.table, self.column, self.row).into_bytes()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    #[error("sealed value is malformed")]
    Malformed,
    #[error("sealed value names key {0:?}, which is not in the key ring")]
    UnknownKey(String),
    #[error("sealed value does not open: tampered, or moved from another row or column")]
    Forged,
    /// The HSM whose key-encryption key wraps the keys does not vouch for them now.
    #[error("the keys' custody is lost: {0}")]
    CustodyLost(String),
}

struct RingKey {
    id: String,
    cipher: Aes256Gcm,
}

/// The configured keys. The last one seals; all of them open.
pub struct KeyRing {
    keys: Vec<RingKey>,
    custody: Custody,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|k| k.id.as_str()).collect();
        f.debug_struct("KeyRing").field("key_ids", &ids).finish()
    }
}

/// Parses the key entries of setting `setting`, `ID:BASE64`, oldest first: at least one; ids of
/// 1–32 letters, digits, `-` or `_`, each once; material that `make` turns into a key (`what` says
/// what it must be). Returns one message per problem, never echoing key material.
pub fn parse_key_entries<K>(
    setting: &str,
    entries: &[String],
    what: &str,
    make: impl Fn(&[u8]) -> Option<K>,
) -> Result<Vec<(String, K)>, Vec<String>> {
    let mut problems = Vec::new();
    let mut keys: Vec<(String, K)> = Vec::new();
    if entries.is_empty() {
        problems.push(format!("{setting} must hold at least one key"));
    }
    for (i, entry) in entries.iter().enumerate() {
        let Some((id, material)) = entry.split_once(':') else {
            problems.push(format!("{setting}[{i}] must look like ID:BASE64KEY"));
            continue;
        };
        let id_ok = (1..=32).contains(&id.len())
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !id_ok {
            problems.push(format!(
                "{setting}[{i}] id must be 1–32 letters, digits, - or _"
            ));
            continue;
        }
        if keys.iter().any(|(known, _)| known == id) {
            problems.push(format!("{setting}[{i}] repeats key id {id:?}"));
            continue;
        }
        match STANDARD.decode(material.trim()).ok().and_then(|b| make(&b)) {
            Some(key) => keys.push((id.to_owned(), key)),
            None => problems.push(format!("{setting}[{i}] ({id}) must be {what}")),
        }
    }
    if problems.is_empty() {
        Ok(keys)
    } else {
        Err(problems)
    }
}

impl KeyRing {
    /// Parses `crypto.keys` entries of the form `ID:BASE64` (32 bytes of key), oldest first.
    /// Returns one message per problem; never echoes key material.
    pub fn parse(entries: &[String]) -> Result<Self, Vec<String>> {
        let keys = parse_key_entries("crypto.keys", entries, "32 bytes in standard base64", |b| {
            Aes256Gcm::new_from_slice(b).ok()
        })?;
        Ok(Self {
            keys: keys
                .into_iter()
                .map(|(id, cipher)| RingKey { id, cipher })
                .collect(),
            custody: Custody::default(),
        })
    }

    /// A new random key in `crypto.keys` form.
    pub fn generate_entry(id: &str) -> String {
        let key = aes_gcm::Key::<Aes256Gcm>::generate();
        format!("{id}:{}", STANDARD.encode(key.as_slice()))
    }

    /// Whether the HSM still vouches for these keys (always, without one).
    pub fn custody(&self) -> &Custody {
        &self.custody
    }

    /// The id of the key new values are sealed with.
    pub fn current_key_id(&self) -> &str {
        self.keys.last().map_or("", |k| k.id.as_str())
    }

    pub fn seal(&self, plaintext: &[u8], aad: Aad<'_>) -> Vec<u8> {
        // `parse` refuses an empty ring, so there is always a last key.
        let Some(key) = self.keys.last() else {
            return Vec::new();
        };
        let nonce = Nonce::generate();
        let aad = aad.bytes();
        // Encryption only fails for plaintexts beyond GCM's 64 GiB limit.
        let sealed = key
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            .unwrap_or_default();
        let mut out = Vec::with_capacity(2 + key.id.len() + NONCE_LEN + sealed.len());
        out.push(VERSION);
        out.push(key.id.len() as u8);
        out.extend_from_slice(key.id.as_bytes());
        out.extend_from_slice(nonce.as_slice());
        out.extend_from_slice(&sealed);
        out
    }

    /// Opens a sealed value; nothing opens while the keys' custody is lost.
    pub fn open(&self, sealed: &[u8], aad: Aad<'_>) -> Result<Vec<u8>, CryptoError> {
        if let Some(reason) = self.custody.lost() {
            return Err(CryptoError::CustodyLost(reason));
        }
        let (key_id, nonce, ciphertext) = split(sealed)?;
        let key = self
            .keys
            .iter()
            .find(|k| k.id == key_id)
            .ok_or_else(|| CryptoError::UnknownKey(key_id.to_owned()))?;
        let nonce = Nonce::try_from(nonce).map_err(|_| CryptoError::Malformed)?;
        let aad = aad.bytes();
        key.cipher
            .decrypt(
                &nonce,
                Payload {
                    msg: ciphertext,
                    aad: &aad,
                },
            )
            .map_err(|_| CryptoError::Forged)
    }

    /// True when `sealed` was sealed with an older key than the current one.
    pub fn needs_rotation(&self, sealed: &[u8]) -> bool {
        split(sealed)
            .map(|(id, _, _)| id != self.current_key_id())
            .unwrap_or(false)
    }

    /// Opens with whichever key sealed it and seals again with the current key.
    pub fn reseal(&self, sealed: &[u8], aad: Aad<'_>) -> Result<Vec<u8>, CryptoError> {
        let plain = self.open(sealed, aad)?;
        Ok(self.seal(&plain, aad))
    }
}

fn split(sealed: &[u8]) -> Result<(&str, &[u8], &[u8]), CryptoError> {
    let (&version, rest) = sealed.split_first().ok_or(CryptoError::Malformed)?;
    let (&id_len, rest) = rest.split_first().ok_or(CryptoError::Malformed)?;
    if version != VERSION || rest.len() < id_len as usize + NONCE_LEN + 16 {
        return Err(CryptoError::Malformed);
    }
    let (id, rest) = rest.split_at(id_len as usize);
    let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
    let id = std::str::from_utf8(id).map_err(|_| CryptoError::Malformed)?;
    Ok((id, nonce, ciphertext))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(ids: &[&str]) -> (KeyRing, Vec<String>) {
        let entries: Vec<String> = ids.iter().map(|id| KeyRing::generate_entry(id)).collect();
        (KeyRing::parse(&entries).unwrap(), entries)
    }

    const ROW1: Aad = Aad {
        table: "links",
        column: "access_token",
        row: "1",
    };

    #[test]
    fn seals_and_opens() {
        let (ring, _) = ring(&["k1"]);
        let sealed = ring.seal(b"secret token", ROW1);
        assert!(
            !sealed.windows(12).any(|w| w == b"secret token"),
            "ciphertext hides the plaintext"
        );
        assert_eq!(ring.open(&sealed, ROW1).unwrap(), b"secret token");
        assert_ne!(
            ring.seal(b"secret token", ROW1),
            sealed,
            "a fresh nonce each time"
        );
    }

    #[test]
    fn values_moved_to_another_row_or_column_or_altered_do_not_open() {
        let (ring, _) = ring(&["k1"]);
        let sealed = ring.seal(b"secret", ROW1);
        let other_row = Aad { row: "2", ..ROW1 };
        let other_column = Aad {
            column: "refresh_token",
            ..ROW1
        };
        assert_eq!(ring.open(&sealed, other_row), Err(CryptoError::Forged));
        assert_eq!(ring.open(&sealed, other_column), Err(CryptoError::Forged));
        for i in 2..sealed.len() {
            let mut tampered = sealed.clone();
            tampered[i] ^= 0x01;
            assert!(ring.open(&tampered, ROW1).is_err(), "byte {i}");
        }
        assert_eq!(ring.open(&sealed[..10], ROW1), Err(CryptoError::Malformed));
        assert_eq!(ring.open(b"", ROW1), Err(CryptoError::Malformed));
    }

    #[test]
    fn rotation_opens_old_values_and_reseals_with_the_newest_key() {
        let (old_ring, entries) = ring(&["2025"]);
        let sealed_old = old_ring.seal(b"refresh", ROW1);
        let rotated =
            KeyRing::parse(&[entries[0].clone(), KeyRing::generate_entry("2026")]).unwrap();
        assert_eq!(rotated.current_key_id(), "2026");
        assert!(rotated.needs_rotation(&sealed_old));
        assert_eq!(rotated.open(&sealed_old, ROW1).unwrap(), b"refresh");
        let resealed = rotated.reseal(&sealed_old, ROW1).unwrap();
        assert!(!rotated.needs_rotation(&resealed));
        let only_new = KeyRing::parse(&[KeyRing::generate_entry("2026")]).unwrap();
        assert_eq!(
            only_new.open(&sealed_old, ROW1),
            Err(CryptoError::UnknownKey("2025".into()))
        );
    }

    /// The rolling rotation `docs/security.md` describes: a key listed before the last opens but
    /// does not seal, so every instance can open it before any seals with it.
    #[test]
    fn a_key_listed_before_the_last_opens_but_does_not_seal() {
        let (old_ring, entries) = ring(&["2026"]);
        let new_key = KeyRing::generate_entry("2027");
        let step_one = KeyRing::parse(&[new_key.clone(), entries[0].clone()]).unwrap();
        assert_eq!(step_one.current_key_id(), "2026");
        let sealed_in_step_one = step_one.seal(b"token", ROW1);
        assert_eq!(old_ring.open(&sealed_in_step_one, ROW1).unwrap(), b"token");
        let step_two = KeyRing::parse(&[entries[0].clone(), new_key]).unwrap();
        let sealed_in_step_two = step_two.seal(b"token", ROW1);
        assert_eq!(step_one.open(&sealed_in_step_two, ROW1).unwrap(), b"token");
        assert_eq!(
            old_ring.open(&sealed_in_step_two, ROW1),
            Err(CryptoError::UnknownKey("2027".into()))
        );
    }

    #[test]
    fn bad_configuration_is_reported_without_key_material() {
        let good = KeyRing::generate_entry("a");
        let problems = KeyRing::parse(&[
            "nocolon".into(),
            "bad id!:AAAA".into(),
            "short:QUJD".into(),
            good.clone(),
            good,
        ])
        .unwrap_err();
        assert_eq!(problems.len(), 4, "{problems:?}");
        assert!(problems.iter().all(|p| !p.contains("QUJD")));
        assert!(KeyRing::parse(&[]).is_err());
        let (ring, entries) = ring(&["x"]);
        let material = entries[0].split_once(':').unwrap().1;
        let shown = format!("{ring:?}");
        assert!(
            shown.contains("\"x\"") && !shown.contains(material),
            "{shown}"
        );
    }
}
