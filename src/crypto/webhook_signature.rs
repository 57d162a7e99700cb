//! Signing deliveries to a partner the way the Standard Webhooks specification says, so partners
//! verify them with its published libraries: the signed content is `<webhook-id>.<webhook-
//! timestamp>.<body>`, the signature `v1,<base64 of its HMAC-SHA256>` under the endpoint's secret,
//! and a secret is written `whsec_<base64 of its bytes>`. While a secret is being replaced, a
//! delivery carries one signature per secret in force, separated by spaces; a receiver holding
//! either accepts it.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretBox, SecretString};
use sha2::Sha256;

const PREFIX: &str = "whsec_";
/// Bytes of a new secret (the specification allows 24 to 64).
const NEW_SECRET_LEN: usize = 32;

/// An endpoint's signing secret. Its text form is shown to the partner once, when it is made.
pub struct WebhookSecret(SecretBox<Vec<u8>>);

/// A secret that is not `whsec_` followed by base64 of 24 to 64 bytes.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("a webhook secret is \"whsec_\" followed by base64 of 24 to 64 bytes")]
pub struct InvalidSecret;

impl WebhookSecret {
    /// A new random secret.
    pub fn generate() -> Self {
        let mut bytes = vec![0u8; NEW_SECRET_LEN];
        rand::rng().fill_bytes(&mut bytes);
        Self(SecretBox::new(Box::new(bytes)))
    }

    /// A secret in its text form.
    pub fn parse(text: &str) -> Result<Self, InvalidSecret> {
        let encoded = text.strip_prefix(PREFIX).ok_or(InvalidSecret)?;
        let bytes = STANDARD.decode(encoded).map_err(|_| InvalidSecret)?;
        if !(24..=64).contains(&bytes.len()) {
            return Err(InvalidSecret);
        }
        Ok(Self(SecretBox::new(Box::new(bytes))))
    }

    /// The text form (`whsec_…`), to show the partner once or to seal at rest.
    pub fn text(&self) -> SecretString {
        SecretString::from(format!(
            "{PREFIX}{}",
            STANDARD.encode(self.0.expose_secret())
        ))
    }

    /// `v1,<signature>` of one delivery.
    fn signature(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(self.0.expose_secret())
            .expect("HMAC takes a key of any length");
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
    }
}

/// The headers that sign one delivery: `webhook-id` (the same on every retry of an event, so
/// receivers can drop duplicates), `webhook-timestamp` (seconds since the epoch, of this attempt)
/// and `webhook-signature`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeaders {
    pub id: String,
    pub timestamp: i64,
    pub signature: String,
}

impl SignedHeaders {
    /// Signs `body` under every secret in force (the current one first).
    pub fn sign(id: &str, timestamp: i64, body: &[u8], secrets: &[&WebhookSecret]) -> Self {
        let signature = secrets
            .iter()
            .map(|secret| secret.signature(id, timestamp, body))
            .collect::<Vec<_>>()
            .join(" ");
        Self {
            id: id.to_owned(),
            timestamp,
            signature,
        }
    }

    /// As `(name, value)` pairs, in the specification's names.
    pub fn pairs(&self) -> [(&'static str, String); 3] {
        [
            ("webhook-id", self.id.clone()),
            ("webhook-timestamp", self.timestamp.to_string()),
            ("webhook-signature", self.signature.clone()),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::{InvalidSecret, SignedHeaders, WebhookSecret};
    use secrecy::ExposeSecret;

    #[test]
    fn a_secret_reads_back_from_its_text_and_bad_ones_are_refused() {
        let secret = WebhookSecret::generate();
        let text = secret.text().expose_secret().to_owned();
        assert!(text.starts_with("whsec_"));
        let again = WebhookSecret::parse(&text).unwrap();
        assert_eq!(again.text().expose_secret(), text);
        for bad in [
            "",
            "whsec_",
            "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "whsec_not base64!",
            "whsec_c2hvcnQ=",
        ] {
            assert_eq!(
                WebhookSecret::parse(bad).err(),
                Some(InvalidSecret),
                "{bad}"
            );
        }
    }

    #[test]
    fn each_secret_in_force_signs_and_any_change_changes_the_signature() {
        let (old, new) = (WebhookSecret::generate(), WebhookSecret::generate());
        let signed = SignedHeaders::sign("evt_1", 1_700_000_000, b"{}", &[&new, &old]);
        let parts: Vec<&str> = signed.signature.split(' ').collect();
        assert_eq!(parts.len(), 2);
        assert!(parts.iter().all(|p| p.starts_with("v1,")));
        assert_ne!(parts[0], parts[1]);
        let alone = SignedHeaders::sign("evt_1", 1_700_000_000, b"{}", &[&new]);
        assert_eq!(alone.signature, parts[0]);
        for other in [
            SignedHeaders::sign("evt_2", 1_700_000_000, b"{}", &[&new]),
            SignedHeaders::sign("evt_1", 1_700_000_001, b"{}", &[&new]),
            SignedHeaders::sign("evt_1", 1_700_000_000, b"{ }", &[&new]),
        ] {
            assert_ne!(other.signature, alone.signature);
        }
    }
}
