//! What every way of running wiselink on its database shares: the Wise client (with the call
//! budget every instance shares), the key ring, the audit trail's keys, the brand, and the link
//! service built on them. `serve` adds the server and the workers; `import` uses it alone.

use crate::audit::SigningKeys;
use crate::brand::Brand;
use crate::clock::SharedClock;
use crate::crypto::KeyRing;
use crate::db::Db;
use crate::services::links::{LinkDeps, LinkService};
use crate::settings::Settings;
use crate::wise::WiseClient;
use anyhow::Context;
use lettre::message::Mailbox;
use std::sync::Arc;
use tokio::sync::Notify;

pub struct Core {
    pub wise: Arc<WiseClient>,
    pub keys: Arc<KeyRing>,
    pub audit: Arc<SigningKeys>,
    pub brand: Arc<Brand>,
    pub mail_from: Mailbox,
    /// Wakes the outbox relay (queued mail) and the webhook worker (published events).
    pub outbox_wake: Arc<Notify>,
    pub events_wake: Arc<Notify>,
    pub links: Arc<LinkService>,
}

impl Core {
    pub fn build(settings: &Settings, db: &Db, clock: SharedClock) -> anyhow::Result<Self> {
        let wise = Arc::new(
            WiseClient::with_budget_store(
                settings.wise.clone(),
                crate::db::wise_budget::store_for(db),
            )
            .context("cannot build the Wise client")?,
        );
        let keys = Arc::new(
            settings
                .crypto
                .key_ring()
                .context("cannot open crypto.keys")?,
        );
        let mail_from: Mailbox = settings
            .mail
            .from
            .parse()
            .context("mail.from is not an email address")?;
        let audit = Arc::new(
            SigningKeys::parse(&settings.audit.signing_keys)
                .map_err(|problems| anyhow::anyhow!(problems.join("; ")))?,
        );
        let brand = Arc::new(Brand::load(&settings.branding)?);
        let outbox_wake = Arc::new(Notify::new());
        let events_wake = Arc::new(Notify::new());
        let links = Arc::new(LinkService::new(LinkDeps {
            db: db.clone(),
            wise: wise.clone(),
            keys: keys.clone(),
            audit: audit.clone(),
            mail_from: mail_from.clone(),
            public_url: settings.server.public_url.clone(),
            outbox_wake: outbox_wake.clone(),
            events_wake: events_wake.clone(),
            policy: settings.links.policy(&settings.limits),
            tokens: settings.tokens.policy(),
            clock,
            brand: brand.clone(),
        }));
        Ok(Self {
            wise,
            keys,
            audit,
            brand,
            mail_from,
            outbox_wake,
            events_wake,
            links,
        })
    }
}
