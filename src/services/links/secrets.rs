//! Random secrets a link needs: the registration code Wise gets, and the session token an app or
//! the code-entry page holds.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

pub const SESSION_PREFIX: &str = "wls_";
/// The prefix of the one-time "this wasn't me" token in a "linked" email.
pub const DISPUTE_PREFIX: &str = "wld_";

fn random_b64(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

/// 256 random bits, 43 characters: comfortably over Wise's 32-character minimum.
pub fn registration_code() -> SecretString {
    SecretString::from(random_b64(32))
}

/// A link-session token (256 random bits) and the hash that is stored instead of it.
pub struct SessionToken {
    pub token: SecretString,
    pub hash: Vec<u8>,
}

impl SessionToken {
    pub fn generate() -> Self {
        let token = SecretString::from(format!("{SESSION_PREFIX}{}", random_b64(32)));
        let hash = session_hash(token.expose_secret());
        Self { token, hash }
    }
}

impl SessionToken {
    /// A redirect-flow `state` (or the cookie that binds one to a browser): 256 random bits, no
    /// prefix, stored as its SHA-256 like a session token.
    pub fn generate_state() -> Self {
        let token = SecretString::from(random_b64(32));
        let hash = session_hash(token.expose_secret());
        Self { token, hash }
    }
}

impl SessionToken {
    /// The one-time "this wasn't me" token of a "linked" email (256 random bits), stored as its
    /// SHA-256 like a session token.
    pub fn generate_dispute() -> Self {
        let token = SecretString::from(format!("{DISPUTE_PREFIX}{}", random_b64(32)));
        let hash = session_hash(token.expose_secret());
        Self { token, hash }
    }
}

pub fn session_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// What is remembered of a code sent to Wise, so the same code is never sent twice.
pub fn code_hash(code: &str) -> Vec<u8> {
    Sha256::digest(format!("code:{code}").as_bytes()).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_long_random_and_distinct() {
        let a = registration_code();
        assert!(a.expose_secret().len() >= 32);
        assert_ne!(a.expose_secret(), registration_code().expose_secret());
        let s = SessionToken::generate();
        assert!(
            s.token.expose_secret().starts_with(SESSION_PREFIX)
                && s.token.expose_secret().len() == 4 + 43
        );
        assert_eq!(s.hash, session_hash(s.token.expose_secret()));
    }
}
