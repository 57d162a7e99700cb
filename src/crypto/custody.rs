//! Whether the keys' custodian (the HSM whose key-encryption key wraps `crypto.keys` entries)
//! still vouches for them. While it does not, nothing opens: the key ring refuses every `open`, the
//! service answers 503 and the workers that need keys wait. Held from the start without an HSM.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::watch;

#[derive(Clone)]
pub struct Custody {
    /// `None` while held; why it was lost otherwise.
    lost: Arc<watch::Sender<Option<String>>>,
    /// The same, as one flag: every request and every `open` reads it.
    is_lost: Arc<AtomicBool>,
}

impl Default for Custody {
    fn default() -> Self {
        Self {
            lost: Arc::new(watch::channel(None).0),
            is_lost: Arc::new(AtomicBool::new(false)),
        }
    }
}

impl Custody {
    /// Why custody is lost, or `None` while it holds.
    pub fn lost(&self) -> Option<String> {
        if !self.is_lost.load(Ordering::Acquire) {
            return None;
        }
        self.lost.borrow().clone()
    }

    /// Marks custody lost; returns whether it held until now.
    pub fn lose(&self, reason: &str) -> bool {
        self.is_lost.store(true, Ordering::Release);
        self.lost.send_if_modified(|lost| {
            let was_held = lost.is_none();
            *lost = Some(reason.to_owned());
            was_held
        })
    }

    /// Marks custody held again; returns whether it was lost until now.
    pub fn regain(&self) -> bool {
        let was_lost = self.lost.send_if_modified(|lost| lost.take().is_some());
        self.is_lost.store(false, Ordering::Release);
        was_lost
    }

    /// Completes once custody holds (at once if it does).
    pub async fn held(&self) {
        let mut seen = self.lost.subscribe();
        // An error means the sender is gone: nothing can mark custody lost any more.
        let _ = seen.wait_for(Option::is_none).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn lost_custody_is_waited_out_and_regained_once() {
        let custody = Custody::default();
        assert_eq!(custody.lost(), None);
        assert!(custody.lose("token gone"));
        assert!(!custody.lose("still gone"), "lost once");
        assert_eq!(custody.lost().as_deref(), Some("still gone"));
        let waiting = tokio::spawn({
            let custody = custody.clone();
            async move { custody.held().await }
        });
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        assert!(!waiting.is_finished(), "waits while lost");
        assert!(custody.regain());
        assert!(!custody.regain(), "regained once");
        waiting.await.unwrap();
    }

    #[test]
    fn nothing_opens_while_custody_is_lost() {
        use crate::crypto::{Aad, CryptoError, KeyRing};
        let ring = KeyRing::parse(&[KeyRing::generate_entry("k1")]).unwrap();
        let aad = Aad {
            table: "t",
            column: "c",
            row: "r",
        };
        let sealed = ring.seal(b"secret", aad);
        ring.custody().lose("token gone");
        assert_eq!(
            ring.open(&sealed, aad),
            Err(CryptoError::CustodyLost("token gone".into()))
        );
        assert!(ring.reseal(&sealed, aad).is_err(), "no rotation either");
        ring.custody().regain();
        assert_eq!(ring.open(&sealed, aad).unwrap(), b"secret");
    }
}
