use crate::mail_sink::MailSink;
use diesel::{Connection, PgConnection, RunQueryDsl};
use reqwest::{Client, RequestBuilder, Response};
use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Output};
use wiselink::db::Db;
use wiselink::services::api_keys;
use wiselink::settings::{Settings, Sources};
use wiselink::startup::Application;

pub const WISELINK: &str = env!("CARGO_BIN_EXE_wiselink");

/// A running wiselink with its own database and one API key.
pub struct TestApp {
    pub address: String,
    pub api_key: String,
    pub client: Client,
    pub db: Db,
    /// The SMTP server this app delivers its emails to.
    pub mail: MailSink,
    database: Option<TestDatabase>,
    sim: Option<TestSim>,
}

/// A database that exists only for one test and is dropped after it.
pub enum TestDatabase {
    Sqlite {
        _dir: tempfile::TempDir,
        url: String,
    },
    Postgres {
        admin_url: String,
        name: String,
        url: String,
    },
}

impl TestDatabase {
    /// A new empty database on the backend TEST_DATABASE_URL names (SQLite when unset).
    pub fn create() -> Self {
        match std::env::var("TEST_DATABASE_URL") {
            Ok(admin_url) if admin_url.starts_with("postgres") => {
                let name = format!("wiselink_test_{}", uuid::Uuid::new_v4().simple());
                let mut admin = PgConnection::establish(&admin_url)
                    .unwrap_or_else(|e| panic!("TEST_DATABASE_URL is not reachable: {e}"));
                diesel::sql_query(format!("CREATE DATABASE {name}"))
                    .execute(&mut admin)
                    .expect("create test database");
                let mut url = url::Url::parse(&admin_url).expect("TEST_DATABASE_URL is a URL");
                url.set_path(&name);
                Self::Postgres {
                    admin_url,
                    name,
                    url: url.to_string(),
                }
            }
            _ => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("wiselink.sqlite3").display());
                Self::Sqlite { _dir: dir, url }
            }
        }
    }

    pub fn url(&self) -> &str {
        match self {
            Self::Sqlite { url, .. } | Self::Postgres { url, .. } => url,
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, Self::Postgres { .. })
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Self::Postgres {
            admin_url, name, ..
        } = self
            && let Ok(mut admin) = PgConnection::establish(admin_url)
        {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut admin);
        }
    }
}

/// Settings for a test: defaults, port 0, the given database, then `overrides`.
pub fn settings(database_url: &str, overrides: &[(&str, &str)]) -> Settings {
    let mut vars = vec![
        ("WISELINK__SERVER__PORT".to_owned(), "0".to_owned()),
        ("WISELINK__SERVER__WORKERS".to_owned(), "2".to_owned()),
        (
            "WISELINK__DATABASE__URL".to_owned(),
            database_url.to_owned(),
        ),
    ];
    vars.extend(
        overrides
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string())),
    );
    Settings::load(&Sources::defaults_with(vars)).expect("test settings are valid")
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
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
    let app = Application::build_with_clock(settings(database.url(), &vars), sim.clock.clone())
        .await
        .expect("application starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    let db = app.db().clone();
    tokio::spawn(app.run_until_stopped());
    let api_key = create_api_key(&db, "tests").await;
    let client = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("HTTP client");
    TestApp {
        address,
        api_key,
        client,
        db,
        mail,
        database: Some(database),
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
}

pub async fn create_api_key(db: &Db, name: &str) -> String {
    use secrecy::ExposeSecret;
    let db = db.clone();
    let name = name.to_owned();
    tokio::task::spawn_blocking(move || {
        let key = api_keys::create(&mut db.get().expect("connection"), &name).expect("create key");
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
        json(
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

    /// Runs `sql` (a single `SELECT COUNT(*) AS n …`) against this app's database.
    pub async fn count(&self, sql: &'static str) -> i64 {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || count_rows(&db, sql))
            .await
            .expect("count task")
    }

    /// Runs the wiselink binary against this app's database.
    pub fn cli(&self, args: &[&str]) -> Output {
        run_cli(
            args,
            &[("WISELINK__DATABASE__URL", self.database().url())],
            None,
        )
    }
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

pub fn count_rows(db: &Db, sql: &str) -> i64 {
    let mut conn = db.get().expect("connection");
    diesel::sql_query(sql)
        .get_result::<Count>(&mut **conn)
        .expect("count query")
        .n
}

/// A TCP port nothing listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

/// Waits (up to 20 s) until a wiselink binary started on `base` answers `/healthz`.
pub async fn wait_until_serving(client: &Client, base: &str) {
    let started = std::time::Instant::now();
    while client.get(format!("{base}/healthz")).send().await.is_err() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "server did not start"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// A valid customer body.
pub fn customer_body() -> Value {
    serde_json::json!({
        "email": "ada@example.com",
        "date_of_birth": "1990-04-17",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "language": "en"
    })
}

/// Runs the binary with a clean environment plus `envs`, in `cwd` (a new temp dir if `None`).
pub fn run_cli(args: &[&str], envs: &[(&str, &str)], cwd: Option<&PathBuf>) -> Output {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut cmd = Command::new(WISELINK);
    cmd.args(args)
        .current_dir(cwd.unwrap_or(&dir.path().to_path_buf()))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.output().expect("wiselink runs")
}

pub async fn json(response: Response) -> Value {
    response.json().await.expect("JSON body")
}

/// The `code` and field codes of a problem response, after checking its content type.
pub async fn problem(response: Response) -> Value {
    let ct = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(ct, "application/problem+json", "problem content type");
    let body = json(response).await;
    assert!(
        body["type"]
            .as_str()
            .unwrap_or_default()
            .starts_with("urn:wiselink:problem:"),
        "{body}"
    );
    assert!(body["title"].is_string(), "{body}");
    body
}

/// `[(field, code)]` of a validation problem.
pub fn field_codes(problem: &Value) -> Vec<(String, String)> {
    problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| {
                    (
                        e["field"].as_str().unwrap_or_default().to_owned(),
                        e["code"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The id part of an API key `wl_<12 hex id>_<secret>`.
pub fn key_id(key: &str) -> &str {
    &key[3..15]
}

/// The secret part of an API key (it may itself contain `_`).
pub fn key_secret(key: &str) -> &str {
    &key[16..]
}

/// A simulated Wise on port 0 and a client configured for it.
pub struct TestSim {
    pub url: String,
    pub http: Client,
    pub wise: std::sync::Arc<wiselink::wise::WiseClient>,
    pub settings: Settings,
    /// The clock the simulator reads, shared with the app a test starts on it.
    pub clock: wiselink::clock::SharedClock,
}

/// Starts the simulator; `overrides` adjust the `[wise]` settings the client and simulator share.
pub async fn spawn_sim_with(overrides: &[(&str, &str)]) -> TestSim {
    use actix_web::web;
    use wiselink::simulator::{self, Simulator};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let authorize = format!("{url}/oauth/authorize/");
    let mut vars = vec![
        ("WISELINK__WISE__API_URL", url.as_str()),
        ("WISELINK__WISE__AUTHORIZE_URL", authorize.as_str()),
        ("WISELINK__WISE__RETRY_BASE_MS", "20"),
    ];
    vars.extend_from_slice(overrides);
    let settings = self::settings("sqlite://unused.sqlite3", &vars);
    let clock = wiselink::clock::Clock::system();
    let sim = web::Data::new(Simulator::from_settings(&settings.wise).with_clock(clock.clone()));
    tokio::spawn(simulator::serve(listener, sim, 1).expect("simulator starts"));
    let wise = wiselink::wise::WiseClient::new(settings.wise.clone()).expect("client");
    let http = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    TestSim {
        url,
        http,
        wise: std::sync::Arc::new(wise),
        settings,
        clock,
    }
}

pub async fn spawn_sim() -> TestSim {
    spawn_sim_with(&[]).await
}

/// What `/__sim/users` answered.
pub struct SeededUser {
    pub user_id: i64,
    pub profile_id: Option<i64>,
}

impl TestSim {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.url, path)
    }

    pub async fn control(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Response {
        let mut req = self.http.request(method, self.url(path));
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send().await.expect("control call")
    }

    pub async fn seed(&self, email: &str, extra: Value) -> SeededUser {
        let mut body = serde_json::json!({"email": email, "date_of_birth": "1990-04-17", "first_name": "Ada", "last_name": "Lovelace"});
        if let (Some(b), Value::Object(extra)) = (body.as_object_mut(), extra) {
            b.extend(extra);
        }
        let r = self
            .control(reqwest::Method::POST, "/__sim/users", Some(body))
            .await;
        assert_eq!(r.status(), reqwest::StatusCode::CREATED);
        let v: Value = r.json().await.unwrap();
        SeededUser {
            user_id: v["user_id"].as_i64().unwrap(),
            profile_id: v["profile_id"].as_i64(),
        }
    }

    pub async fn fault(&self, fault: Value) {
        let r = self
            .control(reqwest::Method::POST, "/__sim/faults", Some(fault))
            .await;
        assert_eq!(r.status(), reqwest::StatusCode::CREATED);
    }

    pub async fn user_action(&self, user_id: i64, action: &str, body: Option<Value>) {
        let r = self
            .control(
                reqwest::Method::POST,
                &format!("/__sim/users/{user_id}/{action}"),
                body,
            )
            .await;
        assert_eq!(r.status(), reqwest::StatusCode::NO_CONTENT);
    }

    pub async fn variants(&self, v: Value) {
        let r = self
            .control(reqwest::Method::POST, "/__sim/variants", Some(v))
            .await;
        assert_eq!(r.status(), reqwest::StatusCode::OK);
    }

    pub async fn advance(&self, secs: i64) {
        let r = self
            .control(
                reqwest::Method::POST,
                "/__sim/clock",
                Some(serde_json::json!({"advance_secs": secs})),
            )
            .await;
        assert_eq!(r.status(), reqwest::StatusCode::OK);
    }

    pub async fn calls(&self) -> Vec<Value> {
        self.control(reqwest::Method::GET, "/__sim/calls", None)
            .await
            .json()
            .await
            .unwrap()
    }

    /// How many calls reached `path` (any method).
    pub async fn calls_to(&self, path: &str) -> usize {
        self.calls()
            .await
            .iter()
            .filter(|c| c["path"] == path)
            .count()
    }

    pub async fn mailbox(&self, to: &str) -> Vec<Value> {
        self.control(
            reqwest::Method::GET,
            &format!("/__sim/mailbox?to={to}"),
            None,
        )
        .await
        .json()
        .await
        .unwrap()
    }

    /// The code in the newest email Wise sent to `to`.
    pub async fn latest_code(&self, to: &str) -> String {
        let mail = self.mailbox(to).await;
        let newest = mail
            .last()
            .unwrap_or_else(|| panic!("Wise sent no email to {to}"));
        newest["authorization_code"]
            .as_str()
            .expect("Wise's email carries a code")
            .to_owned()
    }

    /// Signup for an email that already has a Wise account, asking Wise to email the code; returns
    /// the code from the mailbox.
    pub async fn emailed_code(&self, email: &str) -> secrecy::SecretString {
        let outcome = self
            .wise
            .create_user(email, &registration_code(), "EN", true)
            .await
            .unwrap();
        assert!(
            matches!(
                outcome,
                wiselink::wise::CreateUserOutcome::AlreadyExists { .. }
            ),
            "{outcome:?}"
        );
        secrecy::SecretString::from(self.latest_code(email).await)
    }

    /// An existing Wise user linked through the email flow. Returns the user and its tokens.
    pub async fn linked_user(&self, email: &str) -> (SeededUser, wiselink::wise::UserTokens) {
        let user = self.seed(email, serde_json::json!({})).await;
        let code = self.emailed_code(email).await;
        let tokens = self.wise.authorization_code_grant(&code).await.unwrap();
        (user, tokens)
    }
}

/// A fresh 43-character registration code.
pub fn registration_code() -> secrecy::SecretString {
    secrecy::SecretString::from(format!("rc-{}", uuid::Uuid::new_v4().simple()))
}

/// Active links whose last entry into `active` was not a verified match, a staff approval, or a
/// partner-created user. Must always be zero.
const UNVOUCHED_ACTIVE_LINKS: &str = "SELECT COUNT(*) AS n FROM links l \
     WHERE l.state = 'active' AND NOT EXISTS ( \
       SELECT 1 FROM link_events e WHERE e.link_id = l.id AND e.to_state = 'active' \
         AND (e.from_state IN ('verifying', 'needs_review') OR (e.from_state = 'pending' AND l.origin = 'created')))";

impl Drop for TestApp {
    /// After every test: the invariant holds in that test's database.
    fn drop(&mut self) {
        if std::thread::panicking() || self.database.is_none() {
            return;
        }
        let unvouched = count_rows(&self.db, UNVOUCHED_ACTIVE_LINKS);
        assert_eq!(
            unvouched, 0,
            "an active link exists without a DOB match or staff approval"
        );
    }
}

#[test]
fn the_invariant_query_notices_an_unvouched_active_link() {
    let database = TestDatabase::create();
    let db = Db::connect(&settings(database.url(), &[]).database).unwrap();
    let mut conn = db.get().unwrap();
    wiselink::db::migrations::run_pending(&mut conn).unwrap();
    let now = "'2026-01-01 00:00:00'";
    for sql in [
        format!(
            "INSERT INTO customers (customer_ref, email, date_of_birth, first_name, last_name, language, created_at, updated_at) VALUES ('c', 'c@example.com', '1990-01-01', 'C', 'D', 'EN', {now}, {now})"
        ),
        format!(
            "INSERT INTO links (id, customer_id, flow, state, signup_email, attempts_remaining, created_at, updated_at) SELECT 'l', id, 'email_code', 'active', 'c@example.com', 5, {now}, {now} FROM customers"
        ),
    ] {
        diesel::sql_query(sql).execute(&mut **conn).unwrap();
    }
    assert_eq!(count_rows(&db, UNVOUCHED_ACTIVE_LINKS), 1);
}
