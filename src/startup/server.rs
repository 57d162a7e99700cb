//! The HTTP server: every handler's shared parts, the middleware and the routes, on the listener.

use crate::crypto::KeyRing;
use crate::demo::DemoInfo;
use crate::http::idempotency::Idempotency;
use crate::http::rate_limit::IpLimiter;
use crate::http::{metrics, problem};
use crate::routes;
use crate::routes::staff::LoginLimiter;
use crate::services::customers::CustomerService;
use crate::services::links::LinkService;
use crate::services::staff::StaffService;
use crate::services::webhooks::WebhookService;
use crate::state::AppState;
use crate::telemetry::SafeRootSpan;
use actix_web::dev::{Server, Service as _};
use actix_web::middleware::DefaultHeaders;
use actix_web::{App, HttpServer, web};
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;
use tracing_actix_web::TracingLogger;

/// The parts handlers take one by one, besides [`AppState`].
pub(super) struct Parts {
    pub(super) links: web::Data<LinkService>,
    pub(super) brand: web::Data<crate::brand::Brand>,
    pub(super) keys: web::Data<KeyRing>,
    pub(super) ip_limiter: web::Data<IpLimiter>,
    pub(super) idempotency: web::Data<Idempotency>,
    pub(super) customers: web::Data<CustomerService>,
    pub(super) staff: web::Data<StaffService>,
    pub(super) webhooks: web::Data<WebhookService>,
    pub(super) wise_events: web::Data<crate::services::wise_events::WiseEventService>,
    pub(super) login_limiter: web::Data<LoginLimiter>,
    pub(super) triggers: web::Data<crate::services::test_mode::Triggers>,
}

pub(super) fn serve(
    listener: TcpListener,
    state: AppState,
    parts: Parts,
    demo: Option<Arc<DemoInfo>>,
) -> anyhow::Result<Server> {
    let server_settings = state.settings.server.clone();
    let pool_size = state.settings.database.pool_size as usize;
    let settings = state.settings.clone();
    let data = web::Data::new(state);
    let demo_pages = demo.is_some();
    let custody = parts.keys.custody().clone();
    let mut server = HttpServer::new(move || {
        let settings = settings.clone();
        let custody = custody.clone();
        App::new()
            .wrap(
                DefaultHeaders::new()
                    .add(("X-Content-Type-Options", "nosniff"))
                    .add(("Referrer-Policy", "no-referrer")),
            )
            .wrap_fn(move |req, srv| crate::http::custody::gate(&custody, req, srv))
            .wrap_fn(crate::http::html::docs_headers)
            .wrap_fn(metrics::observe)
            .wrap_fn(move |req, srv| crate::demo::pages(demo_pages, srv.call(req)))
            .wrap(TracingLogger::<SafeRootSpan>::new())
            .app_data(data.clone())
            .app_data(web::QueryConfig::default().error_handler(problem::invalid_query))
            .app_data(parts.links.clone())
            .app_data(parts.brand.clone())
            .app_data(parts.keys.clone())
            .app_data(parts.ip_limiter.clone())
            .app_data(parts.idempotency.clone())
            .app_data(parts.customers.clone())
            .app_data(parts.staff.clone())
            .app_data(parts.webhooks.clone())
            .app_data(parts.wise_events.clone())
            .app_data(parts.login_limiter.clone())
            .app_data(parts.triggers.clone())
            .configure(|cfg| routes::configure(cfg, &settings, demo.clone()))
            .default_service(web::to(problem::not_found))
    })
    .shutdown_timeout(server_settings.shutdown_timeout_secs)
    .keep_alive(Duration::from_secs(server_settings.keep_alive_secs))
    // The head of a request must arrive within this; the body has its own deadline (`body.rs`).
    .client_request_timeout(Duration::from_secs(
        server_settings.request_read_timeout_secs,
    ))
    .listen(listener)?;
    let workers = match server_settings.workers {
        0 => std::thread::available_parallelism().map_or(1, usize::from),
        n => n,
    };
    // Database calls are the only blocking work, and no more of them can run than the pool has
    // connections: more blocking threads would only queue on the pool and cost context switches.
    let blocking = (pool_size / workers).max(2);
    server = server
        .workers(workers)
        .worker_max_blocking_threads(blocking);
    Ok(server.run())
}
