//! Data keys wrapped by a key-encryption key (KEK) that never leaves an HSM, spoken to over
//! PKCS#11 (SoftHSM2 in the tests). A `crypto.keys` entry `ID:hsm:LABEL:BASE64` holds a data key
//! sealed with AES-256-GCM by the HSM's AES key labelled `LABEL`, bound to the entry's id; only
//! the HSM can open it. wiselink opens the entries when it builds its key ring, so neither the
//! configuration nor the database (nor both together) holds a key that opens a sealed value.

use super::KeyRing;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::mechanism::Mechanism;
use cryptoki::mechanism::aead::GcmParams;
use cryptoki::object::{Attribute, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::types::AuthPin;
use secrecy::ExposeSecret;
use serde::Deserialize;

/// `[crypto.hsm]`: the PKCS#11 token whose key-encryption key wraps `crypto.keys` entries written
/// `ID:hsm:LABEL:BASE64`. The PIN is secret; `Debug` leaves it out.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HsmSettings {
    /// The PKCS#11 module (a shared library); empty: no HSM.
    pub module: String,
    pub token_label: String,
    pub pin: secrecy::SecretString,
    /// The label of the key-encryption key new entries are wrapped with.
    pub kek_label: String,
    /// How often, while serving, the HSM is asked to open the wrapped entries again.
    pub check_every_secs: u64,
}

impl std::fmt::Debug for HsmSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HsmSettings")
            .field("module", &self.module)
            .field("token_label", &self.token_label)
            .field("kek_label", &self.kek_label)
            .field("check_every_secs", &self.check_every_secs)
            .finish()
    }
}

impl HsmSettings {
    pub fn enabled(&self) -> bool {
        !self.module.is_empty()
    }
}

const IV_LEN: usize = 12;
const TAG_BITS: u64 = 128;

/// An entry of `crypto.keys` whose key the HSM holds wrapped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrappedEntry<'a> {
    pub id: &'a str,
    pub kek_label: &'a str,
    pub wrapped: &'a str,
}

impl<'a> WrappedEntry<'a> {
    /// `ID:hsm:LABEL:BASE64`, or `None` for any other entry.
    pub fn parse(entry: &'a str) -> Option<Self> {
        let (id, rest) = entry.split_once(':')?;
        let rest = rest.strip_prefix("hsm:")?;
        let (kek_label, wrapped) = rest.split_once(':')?;
        Some(Self {
            id,
            kek_label,
            wrapped,
        })
    }
}

/// A logged-in session with the HSM's token.
pub struct Hsm {
    session: Session,
    _context: Pkcs11,
}

#[derive(Debug, thiserror::Error)]
pub enum HsmError {
    #[error("the HSM cannot be used: {0}")]
    Unavailable(String),
    #[error("the HSM has no key labelled {0:?}")]
    NoKek(String),
    #[error("crypto.keys entry {0:?} does not open with its HSM key")]
    Unwrap(String),
}

fn unavailable(e: impl std::fmt::Display) -> HsmError {
    HsmError::Unavailable(e.to_string())
}

impl Hsm {
    /// Loads the PKCS#11 module, finds the token and logs in with its PIN.
    pub fn open(settings: &HsmSettings) -> Result<Self, HsmError> {
        let context = Pkcs11::new(&settings.module).map_err(unavailable)?;
        context
            .initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))
            .map_err(unavailable)?;
        let slot = context
            .get_slots_with_token()
            .map_err(unavailable)?
            .into_iter()
            .find(|slot| {
                context
                    .get_token_info(*slot)
                    .is_ok_and(|t| t.label() == settings.token_label)
            })
            .ok_or_else(|| unavailable(format!("no token labelled {:?}", settings.token_label)))?;
        let session = context.open_rw_session(slot).map_err(unavailable)?;
        let pin = AuthPin::new(settings.pin.expose_secret().into());
        session
            .login(UserType::User, Some(&pin))
            .map_err(unavailable)?;
        Ok(Self {
            session,
            _context: context,
        })
    }

    fn kek(&self, label: &str) -> Result<ObjectHandle, HsmError> {
        let found = self
            .session
            .find_objects(&[
                Attribute::Class(ObjectClass::SECRET_KEY),
                Attribute::Label(label.as_bytes().to_vec()),
            ])
            .map_err(unavailable)?;
        found
            .first()
            .copied()
            .ok_or_else(|| HsmError::NoKek(label.to_owned()))
    }

    /// The KEK labelled `label`, made in the HSM (AES-256, never extractable) if it has none.
    /// Returns whether it was made.
    pub fn ensure_kek(&self, label: &str) -> Result<bool, HsmError> {
        match self.kek(label) {
            Ok(_) => Ok(false),
            Err(HsmError::NoKek(_)) => {
                self.session
                    .generate_key(
                        &Mechanism::AesKeyGen,
                        &[
                            Attribute::Token(true),
                            Attribute::Private(true),
                            Attribute::Sensitive(true),
                            Attribute::Extractable(false),
                            Attribute::KeyType(KeyType::AES),
                            Attribute::ValueLen(32.into()),
                            Attribute::Encrypt(true),
                            Attribute::Decrypt(true),
                            Attribute::Label(label.as_bytes().to_vec()),
                        ],
                    )
                    .map_err(unavailable)?;
                Ok(true)
            }
            Err(e) => Err(e),
        }
    }

    /// `key` sealed by the KEK `label` for entry `id`, as a `crypto.keys` entry.
    pub fn wrap(&self, label: &str, id: &str, key: &[u8]) -> Result<String, HsmError> {
        let kek = self.kek(label)?;
        let mut iv = [0u8; IV_LEN];
        rand::fill(&mut iv);
        let aad = aad(id);
        let mut params_iv = iv;
        let params = GcmParams::new(&mut params_iv, &aad, TAG_BITS.into()).map_err(unavailable)?;
        let sealed = self
            .session
            .encrypt(&Mechanism::AesGcm(params), kek, key)
            .map_err(unavailable)?;
        let mut out = iv.to_vec();
        out.extend(sealed);
        Ok(format!("{id}:hsm:{label}:{}", STANDARD.encode(out)))
    }

    /// The key an `ID:hsm:LABEL:BASE64` entry holds.
    pub fn unwrap(&self, entry: &WrappedEntry<'_>) -> Result<Vec<u8>, HsmError> {
        let kek = self.kek(entry.kek_label)?;
        let bytes = STANDARD
            .decode(entry.wrapped.trim())
            .map_err(|_| HsmError::Unwrap(entry.id.to_owned()))?;
        if bytes.len() <= IV_LEN {
            return Err(HsmError::Unwrap(entry.id.to_owned()));
        }
        let (iv, sealed) = bytes.split_at(IV_LEN);
        let mut iv: [u8; IV_LEN] = iv.try_into().expect("split at IV_LEN");
        let aad = aad(entry.id);
        let params = GcmParams::new(&mut iv, &aad, TAG_BITS.into()).map_err(unavailable)?;
        self.session
            .decrypt(&Mechanism::AesGcm(params), kek, sealed)
            .map_err(|_| HsmError::Unwrap(entry.id.to_owned()))
    }
}

fn aad(id: &str) -> Vec<u8> {
    format!("wiselink|crypto.keys|{id}").into_bytes()
}

/// The key ring of `entries`, opening wrapped entries with the HSM of `hsm` (opened only when an
/// entry needs it).
pub fn key_ring(entries: &[String], hsm: &HsmSettings) -> anyhow::Result<KeyRing> {
    let session = if entries.iter().any(|e| WrappedEntry::parse(e).is_some()) {
        Some(Hsm::open(hsm)?)
    } else {
        None
    };
    let mut plain = Vec::with_capacity(entries.len());
    for entry in entries {
        match (WrappedEntry::parse(entry), &session) {
            (Some(wrapped), Some(hsm)) => {
                let key = hsm.unwrap(&wrapped)?;
                plain.push(format!("{}:{}", wrapped.id, STANDARD.encode(key)));
            }
            _ => plain.push(entry.clone()),
        }
    }
    KeyRing::parse(&plain).map_err(|p| anyhow::anyhow!(p.join("; ")))
}

/// Whether the HSM still opens every wrapped entry of `entries`: a new PKCS#11 session each time
/// (so a token that went away, or came back, is seen), the unwrapped keys dropped at once.
pub fn check(entries: &[String], hsm: &HsmSettings) -> Result<(), HsmError> {
    let wrapped: Vec<WrappedEntry<'_>> = entries
        .iter()
        .filter_map(|e| WrappedEntry::parse(e))
        .collect();
    if wrapped.is_empty() {
        return Ok(());
    }
    let session = Hsm::open(hsm)?;
    for entry in &wrapped {
        session.unwrap(entry)?;
    }
    Ok(())
}

/// Whether `entries` hold any wrapped entry, so the HSM's custody is worth watching.
pub fn has_wrapped(entries: &[String]) -> bool {
    entries.iter().any(|e| WrappedEntry::parse(e).is_some())
}
