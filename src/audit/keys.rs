//! The keys that seal audit rows: Ed25519, configured as `audit.signing_keys` entries
//! `ID:BASE64` (a 32-byte seed), oldest first. The newest seals; every key's public half checks.
//!
//! Seal layout: `0x01 | key-id length (1 byte) | key id | 16-byte nonce | 64-byte signature`,
//! the signature over a domain tag, the nonce and the row's content digest.

use super::Hash;
use crate::crypto::parse_key_entries;
use aws_lc_rs::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

const VERSION: u8 = 1;
const NONCE_LEN: usize = 16;
const SIGNATURE_LEN: usize = 64;
const TAG: &[u8] = b"wiselink-audit-seal-v1\0";

struct Key {
    id: String,
    pair: Ed25519KeyPair,
}

/// The configured audit signing keys.
pub struct SigningKeys {
    keys: Vec<Key>,
    public: PublicKeys,
}

/// The public halves of audit signing keys: they check seals and cannot make them. An auditor
/// holds these (`wiselink audit keys`), not the signing keys.
#[derive(Debug, Clone)]
pub struct PublicKeys {
    keys: Vec<(String, Vec<u8>)>,
}

impl std::fmt::Debug for SigningKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|k| k.id.as_str()).collect();
        f.debug_struct("SigningKeys")
            .field("key_ids", &ids)
            .finish()
    }
}

/// What checking a row's seal found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SealCheck {
    Valid,
    /// The row has no seal.
    Missing,
    /// The seal names a key that is not configured.
    UnknownKey(String),
    /// The seal does not match the row: changed, or not written by wiselink.
    Invalid,
}

impl SigningKeys {
    /// Parses `audit.signing_keys`; one message per problem, never echoing key material.
    pub fn parse(entries: &[String]) -> Result<Self, Vec<String>> {
        let keys: Vec<Key> = parse_key_entries(
            "audit.signing_keys",
            entries,
            "a 32-byte seed in standard base64",
            |seed| {
                (seed.len() == 32)
                    .then(|| Ed25519KeyPair::from_seed_unchecked(seed).ok())
                    .flatten()
            },
        )?
        .into_iter()
        .map(|(id, pair)| Key { id, pair })
        .collect();
        let public = PublicKeys {
            keys: keys
                .iter()
                .map(|k| (k.id.clone(), k.pair.public_key().as_ref().to_vec()))
                .collect(),
        };
        Ok(Self { keys, public })
    }

    /// A new random key in `audit.signing_keys` form.
    pub fn generate_entry(id: &str) -> String {
        let seed: [u8; 32] = rand::random();
        format!("{id}:{}", STANDARD.encode(seed))
    }

    /// Each key's id and public key (base64), oldest first: what an auditor needs to check seals
    /// without the signing keys.
    pub fn public_keys(&self) -> &PublicKeys {
        &self.public
    }

    /// A seal for a row whose content digest is `content`, by the newest key.
    pub fn seal(&self, content: &Hash) -> Vec<u8> {
        // `parse` refuses an empty list, so there is always a newest key.
        let Some(key) = self.keys.last() else {
            return Vec::new();
        };
        let nonce: [u8; NONCE_LEN] = rand::random();
        let signature = key.pair.sign(&message(&nonce, content));
        let mut out = Vec::with_capacity(2 + key.id.len() + NONCE_LEN + SIGNATURE_LEN);
        out.push(VERSION);
        out.push(key.id.len() as u8);
        out.extend_from_slice(key.id.as_bytes());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(signature.as_ref());
        out
    }

    /// Whether `seal` is a seal of `content` by one of the keys.
    pub fn check(&self, content: &Hash, seal: Option<&[u8]>) -> SealCheck {
        self.public.check(content, seal)
    }
}

impl PublicKeys {
    /// Parses `ID:BASE64` entries, each a 32-byte Ed25519 public key.
    pub fn parse(entries: &[String]) -> Result<Self, String> {
        let mut keys = Vec::new();
        for entry in entries {
            let parsed = entry.split_once(':').and_then(|(id, key)| {
                let key = STANDARD.decode(key.trim()).ok().filter(|k| k.len() == 32)?;
                Some((id.to_owned(), key))
            });
            match parsed {
                Some(key) => keys.push(key),
                None => {
                    return Err(format!(
                        "{entry:?} is not ID:BASE64 of a 32-byte public key"
                    ));
                }
            }
        }
        Ok(Self { keys })
    }

    /// Each key as `ID:BASE64`, oldest first.
    pub fn entries(&self) -> Vec<String> {
        self.keys
            .iter()
            .map(|(id, key)| format!("{id}:{}", STANDARD.encode(key)))
            .collect()
    }

    /// Whether `seal` is a seal of `content` by one of the keys.
    pub fn check(&self, content: &Hash, seal: Option<&[u8]>) -> SealCheck {
        let Some(seal) = seal else {
            return SealCheck::Missing;
        };
        let Some((id, nonce, signature)) = split(seal) else {
            return SealCheck::Invalid;
        };
        let Some((_, key)) = self.keys.iter().find(|(k, _)| k.as_bytes() == id) else {
            return SealCheck::UnknownKey(String::from_utf8_lossy(id).into_owned());
        };
        match UnparsedPublicKey::new(&ED25519, key).verify(&message(nonce, content), signature) {
            Ok(()) => SealCheck::Valid,
            Err(_) => SealCheck::Invalid,
        }
    }
}

fn message(nonce: &[u8], content: &Hash) -> Vec<u8> {
    [TAG, nonce, content].concat()
}

/// A seal's key id, nonce and signature, if it is well formed.
fn split(seal: &[u8]) -> Option<(&[u8], &[u8], &[u8])> {
    let (&version, rest) = seal.split_first()?;
    let (&id_len, rest) = rest.split_first()?;
    if version != VERSION || rest.len() != usize::from(id_len) + NONCE_LEN + SIGNATURE_LEN {
        return None;
    }
    let (id, rest) = rest.split_at(id_len.into());
    let (nonce, signature) = rest.split_at(NONCE_LEN);
    Some((id, nonce, signature))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(ids: &[&str]) -> (Vec<String>, SigningKeys) {
        let entries: Vec<String> = ids
            .iter()
            .map(|id| SigningKeys::generate_entry(id))
            .collect();
        let keys = SigningKeys::parse(&entries).unwrap();
        (entries, keys)
    }

    #[test]
    fn a_seal_checks_against_its_content_only() {
        let (_, keys) = ring(&["a"]);
        let seal = keys.seal(&[1; 32]);
        assert_eq!(keys.check(&[1; 32], Some(&seal)), SealCheck::Valid);
        assert_eq!(keys.check(&[2; 32], Some(&seal)), SealCheck::Invalid);
        assert_eq!(keys.check(&[1; 32], None), SealCheck::Missing);
        let mut bent = seal.clone();
        *bent.last_mut().unwrap() ^= 1;
        assert_eq!(keys.check(&[1; 32], Some(&bent)), SealCheck::Invalid);
        assert_eq!(keys.check(&[1; 32], Some(&seal[..10])), SealCheck::Invalid);
    }

    #[test]
    fn two_seals_of_one_content_differ_and_old_keys_still_check() {
        let (mut entries, keys) = ring(&["old"]);
        let old_seal = keys.seal(&[1; 32]);
        assert_ne!(
            old_seal,
            keys.seal(&[1; 32]),
            "the nonce makes each seal unique"
        );
        entries.push(SigningKeys::generate_entry("new"));
        let keys = SigningKeys::parse(&entries).unwrap();
        assert_eq!(keys.check(&[1; 32], Some(&old_seal)), SealCheck::Valid);
        let new_seal = keys.seal(&[1; 32]);
        assert_eq!(split(&new_seal).unwrap().0, b"new");
        let public = PublicKeys::parse(&keys.public_keys().entries()).unwrap();
        assert_eq!(public.check(&[1; 32], Some(&old_seal)), SealCheck::Valid);
        assert_eq!(public.check(&[2; 32], Some(&old_seal)), SealCheck::Invalid);
        let (_, other) = ring(&["old"]);
        assert_eq!(other.check(&[1; 32], Some(&old_seal)), SealCheck::Invalid);
        assert_eq!(
            ring(&["x"]).1.check(&[1; 32], Some(&new_seal)),
            SealCheck::UnknownKey("new".into())
        );
    }

    #[test]
    fn bad_entries_are_named_without_their_material() {
        let problems =
            SigningKeys::parse(&["a:c2hvcnQ=".into(), "nocolon".into(), "b c:AAAA".into()])
                .unwrap_err();
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems.iter().all(|p| !p.contains("c2hvcnQ")));
        assert!(SigningKeys::parse(&[]).is_err());
    }
}
