//! A simulated Wise in-process on port 0, sharing its clock with the app a test starts on it, and
//! one method per question a test asks it.

use super::settings;
use reqwest::{Client, Response};
use serde_json::Value;
use wiselink::settings::Settings;

/// A simulated Wise on port 0 and a client configured for it.
#[derive(Clone)]
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
    use wiselink_simulator::{self as simulator, Simulator};
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
        // Shorter than the servers' keep-alive: the client always drops an idle connection
        // before a server could close it under a request.
        .pool_idle_timeout(std::time::Duration::from_secs(30))
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

    /// A user the partner created (signup without the email flow), with the registration code
    /// and the tokens its grant returned.
    pub async fn created_user(
        &self,
        email: &str,
    ) -> (secrecy::SecretString, wiselink::wise::UserTokens) {
        let code = registration_code();
        self.wise
            .create_user(email, &code, "EN", false)
            .await
            .unwrap();
        let tokens = self
            .wise
            .registration_code_grant(email, &code)
            .await
            .unwrap();
        (code, tokens)
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
