//! Builds the application: pool, migrations, services, workers, listener; the HTTP server
//! itself is assembled in [`server`].

mod audit;
mod core;
mod custody;
mod server;

pub use core::Core;

use crate::clock::{Clock, SharedClock};
use crate::db::{Db, migrations};
use crate::demo::DemoInfo;
use crate::http::idempotency::Idempotency;
use crate::http::metrics;
use crate::http::rate_limit::IpLimiter;
use crate::routes::staff::LoginLimiter;
use crate::services::api_keys::KeyCache;
use crate::services::customers::CustomerService;
use crate::services::links::LinkService;
use crate::services::staff::SsoProvider;
use crate::services::staff::StaffService;
use crate::services::test_mode::{TestMode, Triggers};
use crate::services::webhooks::WebhookService;
use crate::settings::Settings;
use crate::state::AppState;
use crate::workers::{self, Workers};
use actix_web::dev::Server;
use actix_web::web;
use anyhow::Context;
use server::{Parts, serve};
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

pub struct Application {
    server: Server,
    port: u16,
    db: Db,
    links: Arc<LinkService>,
    /// The background workers, stopped after the server.
    workers: Workers,
}

impl Application {
    /// Connects to the database, applies migrations if configured, and binds the listener
    /// (port 0 picks a free port; [`Application::port`] says which).
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        Self::build_with_clock(settings, Clock::system()).await
    }

    /// [`Application::build`] reading time from `clock` (tests share one with the simulator).
    pub async fn build_with_clock(settings: Settings, clock: SharedClock) -> anyhow::Result<Self> {
        Self::build_with(settings, clock, None).await
    }

    /// [`Application::build_with_clock`] for `wiselink demo`, whose start page and API calls
    /// need `demo` (mounted only when given).
    pub async fn build_with(
        settings: Settings,
        clock: SharedClock,
        demo: Option<Arc<DemoInfo>>,
    ) -> anyhow::Result<Self> {
        let db = open_database(&settings).await?;
        let listener = TcpListener::bind((settings.server.host.as_str(), settings.server.port))
            .with_context(|| {
                format!(
                    "cannot listen on {}:{}",
                    settings.server.host, settings.server.port
                )
            })?;
        let port = listener.local_addr()?.port();
        let key_cache = KeyCache::new(
            Duration::from_secs(settings.auth.key_cache_secs),
            clock.clone(),
        );
        let expiries = workers::credentials::Expiries::from_settings(&settings.wise)?;
        let mailer = crate::mail::Mailer::from_settings(&settings.mail)?;
        let Core {
            wise,
            keys,
            audit,
            brand,
            mail_from,
            outbox_wake,
            events_wake,
            links,
        } = Core::build(&settings, &db, clock.clone())?;
        let test_mode = Arc::new(TestMode::new(&wise));
        let test_keys = db.run(crate::db::api_keys::live_test_keys).await?;
        test_mode.permits(&test_keys).await?;
        let triggers = web::Data::new(Triggers::new(
            test_mode.clone(),
            links.clone(),
            wise.clone(),
            settings.wise_webhooks.trusts_simulator(),
        ));
        // Workers that open sealed values wait while the HSM does not vouch for the keys.
        let mut workers = Workers::new(Duration::from_secs(1)).with_custody(keys.custody().clone());
        custody::watch(&mut workers, &keys, &settings.crypto);
        let watch = Arc::new(workers::credentials::Watch {
            wise,
            settings: settings.wise.clone(),
            clock: clock.clone(),
            every: Duration::from_secs(settings.workers.credentials_check_secs),
        });
        workers.spawn("credentials", move |stop| {
            workers::credentials::run(watch.clone(), stop)
        });
        let refresher = workers::refresher::Refresher {
            every: Duration::from_secs(settings.tokens.refresh_interval_secs),
            batch: settings.tokens.batch_size,
            concurrency: settings.tokens.concurrency,
        };
        let refreshing = links.clone();
        workers.spawn("refresher", move |stop| {
            workers::refresher::run(refreshing.clone(), refresher, stop)
        });
        let recovering = links.clone();
        let every = Duration::from_millis(settings.workers.recovery_interval_ms);
        let stale_after =
            chrono::Duration::seconds(settings.workers.recovery_stale_after_secs.into());
        workers.spawn("recovery", move |stop| {
            workers::recovery::run(recovering.clone(), every, stale_after, stop)
        });
        let relay = Arc::new(workers::outbox::Relay {
            db: db.clone(),
            keys: keys.clone(),
            mailer: Arc::new(mailer),
            mail_from,
            settings: settings.mail.clone(),
            wake: outbox_wake,
            clock,
        });
        workers.spawn("outbox", move |stop| {
            workers::outbox::run(relay.clone(), stop)
        });
        let webhooks = web::Data::new(WebhookService::new(
            db.clone(),
            keys.clone(),
            audit.clone(),
            links.clock().clone(),
            settings.webhooks.clone(),
            events_wake.clone(),
        ));
        let deliverer = Arc::new(workers::webhooks::Deliverer::new(
            db.clone(),
            keys.clone(),
            links.clock().clone(),
            settings.webhooks.clone(),
            webhooks.policy().clone(),
            events_wake,
        )?);
        workers.spawn("webhooks", move |stop| {
            workers::webhooks::run(deliverer.clone(), stop)
        });
        let (retained_db, retained_clock) = (db.clone(), links.clock().clone());
        let retention_days = settings.webhooks.retention_days;
        workers.spawn("event_retention", move |stop| {
            workers::event_retention::run(
                retained_db.clone(),
                retained_clock.clone(),
                retention_days,
                stop,
            )
        });
        let (folded_db, folded_clock) = (db.clone(), links.clock().clone());
        workers.spawn("stats_folding", move |stop| {
            workers::stats_folding::run(folded_db.clone(), folded_clock.clone(), stop)
        });
        let (kept_db, kept_clock) = (db.clone(), links.clock().clone());
        let periods = workers::retention::Periods {
            final_link: chrono::Duration::days(settings.retention.final_link_days.into()),
            idempotency: chrono::Duration::hours(settings.idempotency.retention_hours.into()),
        };
        workers.spawn("retention", move |stop| {
            workers::retention::run(kept_db.clone(), kept_clock.clone(), periods, stop)
        });
        audit::spawn(&mut workers, &db, links.clock(), &audit, &settings.audit)?;
        let wise_wake = Arc::new(tokio::sync::Notify::new());
        let wise_keys = settings
            .wise_webhooks
            .keys()
            .map_err(|problems| anyhow::anyhow!(problems.join("; ")))?;
        let wise_events = web::Data::new(crate::services::wise_events::WiseEventService::new(
            db.clone(),
            links.clock().clone(),
            wise_keys,
            settings
                .wise_webhooks
                .trusts_simulator()
                .then(|| crate::services::wise_events::SimulatorKey::new(&settings.wise.api_url)),
            wise_wake.clone(),
        ));
        let applier = Arc::new(workers::wise_events::Applier {
            db: db.clone(),
            links: links.clone(),
            settings: settings.wise_webhooks.clone(),
            wake: wise_wake,
        });
        workers.spawn("wise_events", move |stop| {
            workers::wise_events::run(applier.clone(), stop)
        });
        let mut staff = StaffService::new(
            db.clone(),
            keys.clone(),
            audit.clone(),
            links.clock().clone(),
            settings.staff.clone(),
        );
        if settings.staff.sso.enabled() {
            let provider = SsoProvider::new(&settings.staff.sso, &settings.server.public_url)
                .map_err(|e| anyhow::anyhow!(e))?;
            staff = staff.with_sso(provider);
        }
        let staff = web::Data::new(staff);
        let login_limiter = web::Data::new(LoginLimiter(
            IpLimiter::new(
                settings.staff.logins_per_ip_per_minute,
                settings.limits.proxies(),
                links.clock().clone(),
            )
            .shared_through(&db, "staff_logins"),
        ));
        let parts = Parts {
            staff,
            webhooks,
            wise_events,
            login_limiter,
            triggers,
            links: web::Data::from(links.clone()),
            brand: web::Data::from(brand),
            keys: web::Data::from(keys.clone()),
            ip_limiter: web::Data::new(
                IpLimiter::new(
                    settings.limits.code_submissions_per_ip_per_minute,
                    settings.limits.proxies(),
                    links.clock().clone(),
                )
                .shared_through(&db, "link_sessions"),
            ),
            idempotency: web::Data::new(Idempotency {
                db: db.clone(),
                keys: keys.clone(),
                settings: settings.idempotency.clone(),
                clock: links.clock().clone(),
            }),
            customers: web::Data::new(CustomerService::new(db.clone(), links.clock().clone())),
        };
        let state = AppState {
            db: db.clone(),
            settings: Arc::new(settings),
            metrics: metrics::handle(),
            api_keys: Arc::new(key_cache),
            test_mode,
        };
        // The recorder exists from here on.
        expiries.export();
        let server = serve(listener, state, parts, demo)?;
        Ok(Self {
            server,
            port,
            db,
            links,
            workers,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The link service the routes and workers share (tests drive the workers' passes with it).
    pub fn links(&self) -> &Arc<LinkService> {
        &self.links
    }

    /// Serves until SIGINT/SIGTERM: stops taking requests, lets in-flight ones finish (up to
    /// `server.shutdown_timeout_secs`), then stops the workers, each after the item it is on.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let served = self.server.await;
        self.workers.stop().await;
        served
    }
}

/// Opens the pool on a blocking thread and, when configured, applies pending migrations.
pub async fn open_database(settings: &Settings) -> anyhow::Result<Db> {
    let db_settings = settings.database.clone();
    let db = tokio::task::spawn_blocking(move || -> anyhow::Result<Db> {
        let db = Db::connect(&db_settings)?;
        if db_settings.migrate_on_start {
            let mut conn = db.get().context("cannot get a connection to migrate")?;
            let applied = migrations::run_pending(&mut conn)?;
            if !applied.is_empty() {
                tracing::info!(migrations = ?applied, "applied migrations");
            }
        }
        Ok(db)
    })
    .await
    .context("database start-up task failed")??;
    tracing::info!(database = %settings.database.url.redacted(), backend = db.backend().name(), "database ready");
    Ok(db)
}
