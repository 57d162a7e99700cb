//! A real OpenID provider for the staff sign-in tests: npm's `oidc-provider`, started on loopback
//! by `tests/oidc/provider.mjs` with the people a test names, and driven as a browser drives its
//! pages (the session cookies kept by hand).

use super::{StaffBrowser, TestApp};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// wiselink's secret at the provider.
pub const OIDC_CLIENT_SECRET: &str = "oidc-test-client-secret-5b1e94";
/// `server.public_url` in the tests: the redirect URI the provider knows is under it.
const PUBLIC_URL: &str = "http://127.0.0.1:8080";

pub struct OpenIdProvider {
    child: Child,
    pub issuer: String,
    http: reqwest::Client,
    /// The provider's TLS certificate and key, and the CA that signed them (`ca.pem`).
    tls: tempfile::TempDir,
    accounts: Value,
}

impl Drop for OpenIdProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl OpenIdProvider {
    /// Starts a provider that knows `accounts` (`{"alice": {"groups": [...]}}`), over HTTPS with
    /// a certificate from a CA of its own.
    pub fn start(accounts: Value) -> Self {
        Self::start_for(accounts, PUBLIC_URL)
    }

    /// The same, for a wiselink whose `server.public_url` is `public_url`.
    pub fn start_for(accounts: Value, public_url: &str) -> Self {
        let tls = tempfile::tempdir().unwrap();
        let ca = super::ca("provider test CA");
        std::fs::write(tls.path().join("ca.pem"), &ca.pem).unwrap();
        super::issue(&ca, tls.path(), "provider", false);
        Self::start_with(accounts, 0, tls, public_url)
    }

    /// Starts the provider again on the port it had (its grants, kept in memory, are gone).
    pub fn restart(&mut self) {
        let tls = std::mem::replace(&mut self.tls, tempfile::tempdir().unwrap());
        let accounts = std::mem::take(&mut self.accounts);
        *self = Self::start_with(accounts, self.port(), tls, PUBLIC_URL);
    }

    fn start_with(accounts: Value, port: u16, tls: tempfile::TempDir, public_url: &str) -> Self {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/oidc");
        let mut child = Command::new("node")
            .arg("provider.mjs")
            .current_dir(dir)
            .env(
                "OIDC_REDIRECT_URI",
                format!("{public_url}/staff/sso/callback"),
            )
            .env("OIDC_POST_LOGOUT_URI", format!("{public_url}/staff/login"))
            .env("OIDC_CLIENT_SECRET", OIDC_CLIENT_SECRET)
            .env("OIDC_ACCOUNTS", accounts.to_string())
            .env("OIDC_PORT", port.to_string())
            .env("OIDC_TLS_CERT", tls.path().join("provider.pem"))
            .env("OIDC_TLS_KEY", tls.path().join("provider.key"))
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(tls.path().join("provider.err")).unwrap())
            .spawn()
            .expect("node runs tests/oidc/provider.mjs (npm ci in tests/oidc)");
        let mut line = String::new();
        let mut out = BufReader::new(child.stdout.take().expect("stdout"));
        out.read_line(&mut line)
            .expect("the provider says where it listens");
        // What it prints later (notices) is read and dropped, so its writes never fail.
        std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
        let started: Value = serde_json::from_str(&line).expect("the provider's first line");
        let ca = reqwest::Certificate::from_pem(&std::fs::read(tls.path().join("ca.pem")).unwrap())
            .unwrap();
        Self {
            child,
            issuer: started["issuer"].as_str().expect("issuer").to_owned(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .tls_certs_only([ca])
                .build()
                .expect("HTTP client"),
            tls,
            accounts,
        }
    }

    /// The port the provider listens on.
    pub fn port(&self) -> u16 {
        self.issuer.rsplit(':').next().unwrap().parse().unwrap()
    }

    /// Stops the provider (it answers nothing until started again).
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// wiselink's `[staff.sso]` for this provider: admins, reviewers and viewers by group.
    pub fn settings(&self) -> Vec<(&'static str, String)> {
        vec![
            ("WISELINK__STAFF__SSO__ISSUER", self.issuer.clone()),
            ("WISELINK__STAFF__SSO__PROVIDER_NAME", "Bank ID".to_owned()),
            ("WISELINK__STAFF__SSO__CLIENT_ID", "wiselink".to_owned()),
            (
                "WISELINK__STAFF__SSO__CLIENT_SECRET",
                OIDC_CLIENT_SECRET.to_owned(),
            ),
            (
                "WISELINK__STAFF__SSO__SCOPES",
                "openid,profile,email,groups,offline_access".to_owned(),
            ),
            (
                "WISELINK__STAFF__SSO__ADMIN_GROUPS",
                "wiselink-admins".to_owned(),
            ),
            (
                "WISELINK__STAFF__SSO__REVIEWER_GROUPS",
                "wiselink-reviewers".to_owned(),
            ),
            (
                "WISELINK__STAFF__SSO__VIEWER_GROUPS",
                "wiselink-viewers,support".to_owned(),
            ),
            (
                "WISELINK__STAFF__LOGINS_PER_IP_PER_MINUTE",
                "1000".to_owned(),
            ),
            (
                "WISELINK__STAFF__SSO__CA_FILE",
                self.tls.path().join("ca.pem").display().to_string(),
            ),
        ]
    }

    /// Changes a person at the provider (their groups, or `"disabled": true`).
    pub async fn set_account(&self, id: &str, change: Value) {
        self.control(&format!("/test/accounts/{id}"), change).await;
    }

    /// The next ID token from the token endpoint is re-signed with `claim` changed.
    pub async fn tamper(&self, claim: &str) {
        self.control("/test/tamper", json!({ "claim": claim }))
            .await;
    }

    /// A new signing key at the provider, published first.
    pub async fn rotate_keys(&self) {
        self.control("/test/rotate", json!({})).await;
    }

    /// What the provider saw.
    pub async fn log(&self) -> Vec<Value> {
        self.http
            .get(format!("{}/test/log", self.issuer))
            .send()
            .await
            .unwrap_or_else(|e| {
                let err = std::fs::read_to_string(self.tls.path().join("provider.err"));
                panic!("the provider's log: {e}; its stderr: {err:?}")
            })
            .json()
            .await
            .expect("log JSON")
    }

    async fn control(&self, path: &str, body: Value) {
        let answer = self
            .http
            .post(format!("{}{path}", self.issuer))
            .json(&body)
            .send()
            .await
            .expect("provider control");
        assert_eq!(answer.status(), StatusCode::OK, "{path}");
    }
}

/// A person's browser at the provider: its cookies there, kept by hand.
#[derive(Default)]
pub struct ProviderBrowser {
    cookies: Vec<(String, String)>,
}

impl ProviderBrowser {
    /// Follows `url` through the provider's pages, signing in as `login` where it asks, to the
    /// redirect away from the provider (back to wiselink); returns that address.
    pub async fn authorize(&mut self, provider: &OpenIdProvider, url: &str, login: &str) -> String {
        let mut next = url.to_owned();
        for _ in 0..10 {
            if !next.starts_with(&provider.issuer) {
                return next;
            }
            let answer = self.send(provider.http.get(&next)).await;
            if answer.status() == StatusCode::OK {
                // The provider's sign-in form: it posts back to the same address.
                let page = answer.text().await.unwrap();
                assert!(page.contains("name=\"login\""), "a sign-in form: {page}");
                let form = [("prompt", "login"), ("login", login), ("password", "any")];
                let posted = self.send(provider.http.post(&next).form(&form)).await;
                next = location(&provider.issuer, &posted);
                continue;
            }
            next = location(&provider.issuer, &answer);
        }
        panic!("the provider never sent the browser back");
    }

    async fn send(&mut self, request: reqwest::RequestBuilder) -> Response {
        let header = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let answer = request
            .header("Cookie", header)
            .send()
            .await
            .expect("provider answers");
        for set in answer.headers().get_all("set-cookie") {
            let pair = set.to_str().unwrap().split(';').next().unwrap_or_default();
            if let Some((name, value)) = pair.split_once('=') {
                self.cookies.retain(|(k, _)| k != name);
                if !value.is_empty() {
                    self.cookies.push((name.to_owned(), value.to_owned()));
                }
            }
        }
        answer
    }
}

fn location(issuer: &str, answer: &Response) -> String {
    let to = answer
        .headers()
        .get("location")
        .unwrap_or_else(|| panic!("a redirect, got {}", answer.status()))
        .to_str()
        .unwrap();
    if to.starts_with('/') {
        format!("{issuer}{to}")
    } else {
        to.to_owned()
    }
}

impl TestApp {
    /// `login` signs in at `provider` in a new browser; panics unless wiselink signs them in.
    pub async fn sso_staff(&self, provider: &OpenIdProvider, login: &str) -> StaffBrowser<'_> {
        let mut browser = self.anonymous();
        let answer = browser
            .sso_sign_in(provider, &mut ProviderBrowser::default(), login, "")
            .await;
        assert_eq!(answer.status(), StatusCode::OK, "{login} signs in");
        browser
    }
}

impl StaffBrowser<'_> {
    /// Starts a sign-in at wiselink (`query` after `/staff/sso/start`), signs in as `login` at the
    /// provider, and brings the provider's answer back to wiselink's callback.
    pub async fn sso_sign_in(
        &mut self,
        provider: &OpenIdProvider,
        at_provider: &mut ProviderBrowser,
        login: &str,
        query: &str,
    ) -> Response {
        let back = self
            .sso_authorize(provider, at_provider, login, query)
            .await;
        self.sso_callback(&back).await
    }

    /// The first half: wiselink's start, and the provider's pages; the address the provider
    /// sends the browser back to.
    pub async fn sso_authorize(
        &mut self,
        provider: &OpenIdProvider,
        at_provider: &mut ProviderBrowser,
        login: &str,
        query: &str,
    ) -> String {
        let started = self.get(&format!("/staff/sso/start{query}")).await;
        assert_eq!(
            started.status(),
            StatusCode::SEE_OTHER,
            "the sign-in starts"
        );
        if let Some(secret) = cookie_value(&started, "__Host-wiselink-staff-sso") {
            self.sso_cookie = Some(secret);
        }
        let to = started.headers()["location"].to_str().unwrap().to_owned();
        at_provider.authorize(provider, &to, login).await
    }

    /// The second half: the provider's answer (`back`, under the public URL) at the callback.
    pub async fn sso_callback(&mut self, back: &str) -> Response {
        let path = back.strip_prefix(PUBLIC_URL).expect("back to wiselink");
        let answer = self.get(path).await;
        if let Some(id) = super::set_cookie_value(&answer) {
            self.cookie = Some(id);
        }
        answer
    }
}

/// The value a response sets for cookie `name`, if any.
fn cookie_value(answer: &Response, name: &str) -> Option<String> {
    answer
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix(&format!("{name}=")).map(str::to_owned))
        .map(|rest| rest.split(';').next().unwrap_or_default().to_owned())
        .filter(|v| !v.is_empty())
}
