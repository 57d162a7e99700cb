//! The HSM's custody of `crypto.keys`, watched while serving when an entry is wrapped by it.

use crate::crypto::KeyRing;
use crate::crypto::hsm;
use crate::settings::CryptoSettings;
use crate::workers::{self, Workers, hsm_watch::HsmWatch};
use std::sync::Arc;

pub(super) fn watch(workers: &mut Workers, keys: &Arc<KeyRing>, settings: &CryptoSettings) {
    if !settings.hsm.enabled() || !hsm::has_wrapped(&settings.keys) {
        return;
    }
    let watch = Arc::new(HsmWatch {
        keys: keys.clone(),
        entries: settings.keys.clone(),
        hsm: settings.hsm.clone(),
    });
    workers.spawn("hsm_watch", move |stop| {
        workers::hsm_watch::run(watch.clone(), stop)
    });
}
