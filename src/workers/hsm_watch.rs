//! The HSM's custody, watched while serving: every `crypto.hsm.check_every_secs` the HSM is asked,
//! in a new PKCS#11 session, to open the wrapped `crypto.keys` entries again. When it cannot, or
//! does not answer within the check's time, custody is lost: nothing opens (see
//! [`Custody`](crate::crypto::Custody)) until a check succeeds again.

use super::Stop;
use crate::crypto::KeyRing;
use crate::crypto::hsm::{self, HsmSettings};
use std::sync::Arc;
use std::time::Duration;

/// What the watch needs: the ring whose custody it keeps, and what to ask the HSM.
pub struct HsmWatch {
    pub keys: Arc<KeyRing>,
    pub entries: Vec<String>,
    pub hsm: HsmSettings,
}

pub async fn run(watch: Arc<HsmWatch>, mut stop: Stop) {
    let every = Duration::from_secs(watch.hsm.check_every_secs);
    // A PKCS#11 call that hangs (a network HSM gone quiet) is given this long, then counts as lost.
    let patience = every.max(Duration::from_secs(5));
    metrics::gauge!("wiselink_hsm_custody_held").set(1.0);
    let mut pending: Option<tokio::task::JoinHandle<Result<(), hsm::HsmError>>> = None;
    loop {
        let check = match pending.take() {
            // The last check never came back: custody stays lost until one does.
            Some(hung) if !hung.is_finished() => {
                pending = Some(hung);
                Err("the HSM has not answered the last check".to_owned())
            }
            _ => {
                let asked = Arc::clone(&watch);
                let mut task =
                    tokio::task::spawn_blocking(move || hsm::check(&asked.entries, &asked.hsm));
                match tokio::time::timeout(patience, &mut task).await {
                    Ok(Ok(answer)) => answer.map_err(|e| e.to_string()),
                    Ok(Err(e)) => Err(format!("the HSM check failed: {e}")),
                    Err(_) => {
                        pending = Some(task);
                        Err(format!(
                            "the HSM did not answer in {} s",
                            patience.as_secs()
                        ))
                    }
                }
            }
        };
        let custody = watch.keys.custody();
        match check {
            Ok(()) => {
                if custody.regain() {
                    tracing::warn!("the HSM opens crypto.keys again: custody regained, serving");
                }
                metrics::gauge!("wiselink_hsm_custody_held").set(1.0);
            }
            Err(reason) => {
                if custody.lose(&reason) {
                    tracing::error!(reason = %reason, "HSM custody lost: nothing decrypts until the HSM answers");
                }
                metrics::gauge!("wiselink_hsm_custody_held").set(0.0);
            }
        }
        if stop.sleep(every).await {
            return;
        }
    }
}
