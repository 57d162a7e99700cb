//! The audit trail's workers: the sealer on every instance, and the live stream to the
//! operator's collector when `audit.stream.address` is set.

use crate::audit::SigningKeys;
use crate::audit::syslog::Sender;
use crate::clock::SharedClock;
use crate::db::Db;
use crate::settings::AuditSettings;
use crate::workers::{self, Workers};
use std::sync::Arc;

pub(super) fn spawn(
    workers: &mut Workers,
    db: &Db,
    clock: &SharedClock,
    keys: &Arc<SigningKeys>,
    settings: &AuditSettings,
) -> anyhow::Result<()> {
    let (sealer_db, sealer_clock, sealer_keys) = (db.clone(), clock.clone(), keys.clone());
    let checkpoint_every =
        chrono::Duration::seconds(settings.checkpoint_every_secs.min(u32::MAX.into()) as i64);
    workers.spawn("audit_sealer", move |stop| {
        workers::audit_sealer::run(
            sealer_db.clone(),
            sealer_clock.clone(),
            sealer_keys.clone(),
            checkpoint_every,
            stop,
        )
    });
    let stream = &settings.stream;
    if !stream.enabled() {
        return Ok(());
    }
    let streamer = Arc::new(workers::audit_stream::Streamer {
        db: db.clone(),
        clock: clock.clone(),
        keys: keys.clone(),
        connector: workers::audit_stream::Connector::new(stream.clone())?,
        sender: Sender::new(stream.facility, &stream.hostname),
        replay: stream.replay_entries.into(),
        holder: uuid::Uuid::new_v4().to_string(),
    });
    workers.spawn("audit_stream", move |stop| {
        workers::audit_stream::run(streamer.clone(), stop)
    });
    Ok(())
}
