//! argon2id hashing and verification, off the event loop and a few at a time.

use super::StaffService;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash};
use argon2::{Algorithm, Argon2, Params, Version};
use secrecy::{ExposeSecret, SecretString};

/// argon2id, m = 19 MiB, t = 2, p = 1 (OWASP's first choice).
fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or(Params::DEFAULT);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

pub(super) fn hash(password: &str) -> anyhow::Result<String> {
    Ok(argon2()
        .hash_password(password.as_bytes())
        .map_err(|e| anyhow::anyhow!("password hashing failed: {e}"))?
        .to_string())
}

fn verify(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|parsed| {
            argon2()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash of a random password, for unknown users to be checked against.
pub(super) fn stand_in_hash() -> String {
    let random: [u8; 16] = rand::random();
    hash(&hex::encode(random)).unwrap_or_default()
}

impl StaffService {
    /// Hashes on a thread of its own, within the hashing semaphore.
    pub(super) async fn hash_password(&self, password: &SecretString) -> anyhow::Result<String> {
        let _permit = self.hashing.acquire().await?;
        let password = password.clone();
        off_the_event_loop(move || hash(password.expose_secret())).await?
    }

    /// Checks a password against a stored hash (or the stand-in), on the blocking pool, within
    /// the hashing semaphore.
    pub(super) async fn verify_password(
        &self,
        password: &SecretString,
        stored: Option<&str>,
    ) -> anyhow::Result<bool> {
        let _permit = self.hashing.acquire().await?;
        let password = password.clone();
        let (stored, real) = match stored {
            Some(hash) => (hash.to_owned(), true),
            None => (self.stand_in_hash.clone(), false),
        };
        let matched = off_the_event_loop(move || verify(password.expose_secret(), &stored)).await?;
        Ok(matched && real)
    }
}

/// Runs `work` on a thread of its own: the semaphore bounds how many there are, and they do not
/// take the blocking threads the database calls run on.
async fn off_the_event_loop<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> anyhow::Result<T> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("password-hash".into())
        .spawn(move || {
            let _ = tx.send(work());
        })?;
    Ok(rx.await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_with_the_stated_cost_and_verify() {
        let stored = hash("violet-otter-27-lantern").unwrap();
        assert!(
            stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{stored}"
        );
        assert!(verify("violet-otter-27-lantern", &stored));
        assert!(!verify("violet-otter-27-lanterN", &stored));
        assert!(!verify("anything", "not a hash"));
    }
}
