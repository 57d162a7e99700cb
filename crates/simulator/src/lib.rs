//! A faithful, stateful simulation of the Wise endpoints wiselink uses, served over real HTTP
//! (`wiselink sim`, or mounted in-process by tests and the demo). Shapes, statuses and error
//! bodies follow Wise's documentation; `/__sim/…` is the control API for tests.

mod authorize;
mod control;
mod errors;
mod intercept;
mod oauth;
mod profiles;
mod state;
pub mod tls;
mod users;
mod webhooks;

pub use webhooks::{public_key_pem as webhook_public_key_pem, sign as sign_webhook};

pub use errors::WiseReply;
pub use state::{Client, Fault, RateLimits, Variants};

use actix_web::dev::Server;
use actix_web::{App, HttpRequest, HttpServer, middleware, web};
use secrecy::ExposeSecret;
use state::SimState;
use std::net::TcpListener;
use wiselink_domain::clock::{Clock, SharedClock};
use wiselink_wise::WiseSettings;

/// Idle keep-alive connections stay open longer than a client keeps them in its pool, as a
/// well-run server's do: a connection the server closes just as a client reuses it would fail
/// that request for no reason of the client's (actix's default is 5 s).
const KEEP_ALIVE: std::time::Duration = std::time::Duration::from_secs(120);
use std::sync::{Mutex, MutexGuard};

/// The simulated Wise: its clock, its one registered API client and its state.
pub struct Simulator {
    /// Real time unless a test shares its own clock ([`Simulator::with_clock`]).
    pub clock: SharedClock,
    pub client: Client,
    /// Base URL the simulator is reached at, for links in the emails it sends.
    pub public_url: String,
    state: Mutex<SimState>,
}

impl Simulator {
    pub fn new(client: Client, public_url: String) -> Self {
        Self {
            clock: Clock::system(),
            client,
            public_url,
            state: Mutex::new(SimState::default()),
        }
    }

    /// The simulator reading time from `clock` (tests share one with wiselink).
    pub fn with_clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// Registers the client wiselink is configured with, so `sim` and `serve` pair up.
    pub fn from_settings(wise: &WiseSettings) -> Self {
        let client = Client {
            id: wise.client_id.clone(),
            secret: wise.client_secret.expose_secret().to_owned(),
            redirect_uri: wise.redirect_uri.clone(),
        };
        Self::new(client, wise.api_url.clone())
    }

    /// Enforces Wise's request limits from now on (`wiselink sim --wise-rate-limits`).
    pub fn enforce(&self, limits: RateLimits) {
        self.lock().control.limiter = Some(state::Limiter::new(limits));
    }

    fn lock(&self) -> MutexGuard<'_, SimState> {
        // A panic while holding the lock leaves plain data behind; keep serving it.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Registers every simulated endpoint, the control API, and the middleware that applies faults,
/// records calls and adds Wise's headers. `sim` must also be in the app's data.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(control::scope()).service(
        web::scope("")
            .wrap(middleware::from_fn(intercept::intercept))
            .configure(oauth::configure)
            .configure(users::configure)
            .configure(profiles::configure)
            .configure(authorize::configure)
            .configure(webhooks::configure),
    );
}

/// Serves the simulator alone on `listener`.
pub fn serve(
    listener: TcpListener,
    sim: web::Data<Simulator>,
    workers: usize,
) -> std::io::Result<Server> {
    webhooks::spawn_sender(&sim);
    let server = HttpServer::new(move || App::new().app_data(sim.clone()).configure(configure))
        .workers(workers.max(1))
        .keep_alive(KEEP_ALIVE)
        .listen(listener)?
        .run();
    Ok(server)
}

/// [`serve`] over HTTPS, requiring client certificates when `tls` names a client CA.
pub fn serve_tls(
    listener: TcpListener,
    sim: web::Data<Simulator>,
    workers: usize,
    tls: &tls::TlsFiles,
) -> anyhow::Result<Server> {
    webhooks::spawn_sender(&sim);
    let config = tls::server_config(tls)?;
    let server = HttpServer::new(move || App::new().app_data(sim.clone()).configure(configure))
        .workers(workers.max(1))
        .keep_alive(KEEP_ALIVE)
        .listen_rustls_0_23(listener, config)?
        .run();
    Ok(server)
}

/// The bearer token of a request, if it has one.
fn bearer(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get("authorization")?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

impl SimState {
    /// The user behind a live user access token, or Wise's 401.
    fn authenticate_user(
        &self,
        req: &HttpRequest,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<i64, WiseReply> {
        let token = bearer(req).ok_or_else(|| WiseReply::invalid_token(""))?;
        match self.tokens.access_token(&token) {
            Some(a) if a.expires_at > now => match a.user_id {
                Some(user_id)
                    if self
                        .people
                        .user(user_id)
                        .is_some_and(|u| u.state.can_use_api()) =>
                {
                    Ok(user_id)
                }
                _ => Err(WiseReply::invalid_token(&token)),
            },
            _ => Err(WiseReply::invalid_token(&token)),
        }
    }

    /// The client behind a live client-credentials token, or Wise's 401.
    fn authenticate_client(
        &self,
        req: &HttpRequest,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<String, WiseReply> {
        let token = bearer(req).ok_or_else(|| WiseReply::invalid_token(""))?;
        match self.tokens.access_token(&token) {
            Some(a) if a.expires_at > now && a.user_id.is_none() => Ok(a.client_id.clone()),
            _ => Err(WiseReply::invalid_token(&token)),
        }
    }
}
