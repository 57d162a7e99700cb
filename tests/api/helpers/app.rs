//! The app under test: a real wiselink on port 0 with its own database, simulator, mail sink and
//! API key, and one method per endpoint the tests call.

use super::{TestDatabase, TestSim, count_rows, settings, spawn_sim};
use crate::mail_sink::MailSink;
use reqwest::{Client, RequestBuilder, Response};
use serde_json::{Value, json};
use wiselink::db::Db;
use wiselink::services::api_keys;
use wiselink::startup::Application;

/// A running wiselink with its own database and one API key.
pub struct TestApp {
    pub address: String,
    pub api_key: String,
    pub client: Client,
    pub db: Db,
    /// The app's link service, to run a worker's pass at a chosen moment.
    pub links: std::sync::Arc<wiselink::services::links::LinkService>,
    /// The SMTP server this app delivers its emails to.
    pub mail: MailSink,
    pub(super) database: Option<TestDatabase>,
    pub(super) sim: Option<TestSim>,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// An app whose recovery worker looks every 100 ms and takes over links untouched for 30 s (tests
/// move the shared clock past that), with a Wise budget that fits the lease.
pub async fn spawn_recovering_app() -> TestApp {
    spawn_app_with(&[
        ("WISELINK__WORKERS__RECOVERY_INTERVAL_MS", "100"),
        ("WISELINK__WORKERS__RECOVERY_STALE_AFTER_SECS", "30"),
        ("WISELINK__LINKS__WISE_BUDGET_SECS", "20"),
    ])
    .await
}

pub async fn spawn_app_with(overrides: &[(&str, &str)]) -> TestApp {
    spawn_app_mailing_to(MailSink::start(), overrides).await
}

/// An app whose emails go to `mail` (which may be down).
pub async fn spawn_app_mailing_to(mail: MailSink, overrides: &[(&str, &str)]) -> TestApp {
    start_app(TestDatabase::create(), spawn_sim().await, mail, overrides).await
}

/// Starts wiselink on `database`, talking to `sim`, mailing to `mail`, with a new API key.
async fn start_app(
    database: TestDatabase,
    sim: TestSim,
    mail: MailSink,
    overrides: &[(&str, &str)],
) -> TestApp {
    let app = Application::build_with_clock(
        wired_settings(database.url(), &sim, &mail, overrides),
        sim.clock.clone(),
    )
    .await
    .expect("application starts");
    let db = app.db().clone();
    let api_key = create_api_key(&db, "tests").await;
    serving(app, api_key, mail, Some(database), sim)
}

/// Settings for an app on `database_url` that talks to `sim` and mails to `mail`, with the
/// tests' short retry and relay timings, then `overrides`.
fn wired_settings(
    database_url: &str,
    sim: &TestSim,
    mail: &MailSink,
    overrides: &[(&str, &str)],
) -> wiselink::settings::Settings {
    let authorize = format!("{}/oauth/authorize/", sim.url);
    let smtp_url = mail.url();
    let mut vars = vec![
        ("WISELINK__WISE__API_URL", sim.url.as_str()),
        ("WISELINK__WISE__AUTHORIZE_URL", authorize.as_str()),
        ("WISELINK__WISE__RETRY_BASE_MS", "20"),
        ("WISELINK__MAIL__TRANSPORT", "smtp"),
        ("WISELINK__MAIL__SMTP_URL", smtp_url.as_str()),
        ("WISELINK__MAIL__SMTP_TIMEOUT_SECS", "5"),
        ("WISELINK__MAIL__RELAY_INTERVAL_MS", "50"),
        ("WISELINK__MAIL__RETRY_BASE_MS", "50"),
        ("WISELINK__MAIL__RETRY_MAX_SECS", "1"),
    ];
    vars.extend_from_slice(overrides);
    settings(database_url, &vars)
}

/// Runs `app` in the background and wraps it for tests.
fn serving(
    app: Application,
    api_key: String,
    mail: MailSink,
    database: Option<TestDatabase>,
    sim: TestSim,
) -> TestApp {
    let address = format!("http://127.0.0.1:{}", app.port());
    let db = app.db().clone();
    let links = app.links().clone();
    tokio::spawn(app.run_until_stopped());
    let client = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        // Shorter than the servers' keep-alive: the client always drops an idle connection
        // before a server could close it under a request.
        .pool_idle_timeout(std::time::Duration::from_secs(30))
        .build()
        .expect("HTTP client");
    TestApp {
        address,
        api_key,
        client,
        db,
        links,
        mail,
        database,
        sim: Some(sim),
    }
}

impl TestApp {
    /// A new instance on the same database and simulator with other settings (a restart, or a
    /// second instance); this one keeps serving.
    pub async fn restart_with(mut self, overrides: &[(&str, &str)]) -> TestApp {
        let database = self.database.take().expect("database");
        let sim = self.sim.take().expect("simulator");
        start_app(database, sim, self.mail.clone(), overrides).await
    }

    /// A second instance beside this one: its own pool, workers and port, on the same database,
    /// simulator, clock and mail sink, answering to the same API key. Both keep serving.
    pub async fn second_instance(&self, overrides: &[(&str, &str)]) -> TestApp {
        let sim = self.sim().clone();
        let settings = wired_settings(self.database().url(), &sim, &self.mail, overrides);
        let app = Application::build_with_clock(settings, sim.clock.clone())
            .await
            .expect("second instance starts");
        serving(app, self.api_key.clone(), self.mail.clone(), None, sim)
    }
}

pub async fn create_api_key(db: &Db, name: &str) -> String {
    create_key(db, name, api_keys::KeyMode::Live).await
}

/// A key of `mode`, made straight in the database.
pub async fn create_key(db: &Db, name: &str, mode: api_keys::KeyMode) -> String {
    use secrecy::ExposeSecret;
    let db = db.clone();
    let name = name.to_owned();
    tokio::task::spawn_blocking(move || {
        let now = wiselink::clock::Clock::system().now();
        let key = api_keys::create(&mut db.get().expect("connection"), &name, mode, now)
            .expect("create key");
        key.token.expose_secret().to_owned()
    })
    .await
    .expect("key task")
}

impl TestApp {
    pub fn database(&self) -> &TestDatabase {
        self.database.as_ref().expect("database")
    }

    /// Moves time forward for this app and its simulated Wise at once (they share one clock).
    pub fn advance(&self, by: chrono::Duration) {
        self.sim().clock.advance(by);
    }

    /// The simulated Wise this app talks to.
    pub fn sim(&self) -> &TestSim {
        self.sim.as_ref().expect("simulator")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// A request carrying this app's API key.
    pub fn authed(&self, method: reqwest::Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, self.url(path))
            .bearer_auth(&self.api_key)
    }

    pub async fn put_customer(&self, customer_ref: &str, body: &Value) -> Response {
        self.authed(
            reqwest::Method::PUT,
            &format!("/v1/customers/{customer_ref}"),
        )
        .json(body)
        .send()
        .await
        .expect("request sent")
    }

    pub async fn get_customer(&self, customer_ref: &str) -> Response {
        self.get_customer_as(&self.api_key, customer_ref).await
    }

    /// `GET path` with this app's API key, read as JSON.
    pub async fn get_json(&self, path: &str) -> Value {
        super::json(
            self.authed(reqwest::Method::GET, path)
                .send()
                .await
                .expect("request sent"),
        )
        .await
    }

    /// `GET path` with any bearer value (another key, a link-session token).
    pub async fn get_as(&self, bearer: &str, path: &str) -> Response {
        self.client
            .get(self.url(path))
            .bearer_auth(bearer)
            .send()
            .await
            .expect("request sent")
    }

    /// `POST /v1/links/{id}/access-token` with this app's API key.
    pub async fn access_token(&self, link_id: &str) -> Response {
        self.authed(
            reqwest::Method::POST,
            &format!("/v1/links/{link_id}/access-token"),
        )
        .send()
        .await
        .expect("request sent")
    }

    /// `GET /v1/customers/{customer_ref}` with another API key (or any bearer value).
    pub async fn get_customer_as(&self, key: &str, customer_ref: &str) -> Response {
        self.client
            .get(self.url(&format!("/v1/customers/{customer_ref}")))
            .bearer_auth(key)
            .send()
            .await
            .expect("request sent")
    }

    /// `GET /metrics`, as text.
    pub async fn metrics(&self) -> String {
        self.client
            .get(self.url("/metrics"))
            .send()
            .await
            .expect("request sent")
            .text()
            .await
            .expect("metrics text")
    }

    /// The names of a link's events, oldest first.
    pub async fn event_names(&self, link_id: &str) -> Vec<String> {
        self.get_json(&format!("/v1/links/{link_id}/events"))
            .await
            .as_array()
            .expect("events")
            .iter()
            .map(|e| e["event"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// Runs `sql` (a single `SELECT COUNT(*) AS n …`) against this app's database.
    pub async fn count(&self, sql: &str) -> i64 {
        let (db, sql) = (self.db.clone(), sql.to_owned());
        tokio::task::spawn_blocking(move || count_rows(&db, &sql))
            .await
            .expect("count task")
    }
}

impl TestApp {
    /// Runs one statement against this app's database, as an operator with SQL access could.
    pub async fn execute(&self, sql: &'static str) -> Result<usize, diesel::result::Error> {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || {
            use diesel::RunQueryDsl;
            diesel::sql_query(sql).execute(&mut **db.get().expect("connection"))
        })
        .await
        .expect("statement task")
    }

    /// `POST /v1/links/{id}/{approve|reject}` with `bearer` (an API key) and a reason.
    pub async fn decide(
        &self,
        bearer: &str,
        link_id: &str,
        decision: &str,
        reason: &str,
    ) -> Response {
        self.client
            .post(self.url(&format!("/v1/links/{link_id}/{decision}")))
            .bearer_auth(bearer)
            .json(&json!({"reason": reason}))
            .send()
            .await
            .expect("request sent")
    }
}

/// One method per endpoint the link tests call, with any bearer value (the app's API key, a link
/// session token, a foreign key).
impl TestApp {
    /// `POST /v1/links` for a customer, with the API key.
    pub async fn start_link(&self, customer_ref: &str) -> Response {
        self.authed(reqwest::Method::POST, "/v1/links")
            .json(&json!({"customer_ref": customer_ref}))
            .send()
            .await
            .expect("request sent")
    }

    /// `POST /v1/links/{id}/code`.
    pub async fn submit_code(&self, link_id: &str, bearer: &str, code: &str) -> Response {
        self.client
            .post(self.url(&format!("/v1/links/{link_id}/code")))
            .bearer_auth(bearer)
            .json(&json!({"code": code}))
            .send()
            .await
            .expect("request sent")
    }

    /// `POST /v1/links/{id}/resend`.
    pub async fn resend(&self, link_id: &str, bearer: &str) -> Response {
        self.client
            .post(self.url(&format!("/v1/links/{link_id}/resend")))
            .bearer_auth(bearer)
            .send()
            .await
            .expect("request sent")
    }
}
