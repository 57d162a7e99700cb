//! A staff member in a browser, as far as HTTP goes: the session cookie kept by hand (the
//! `__Host-` cookie is `Secure`, which an HTTP client would not send back over loopback HTTP),
//! the form token read from each page, and same-origin form posts as Chromium sends them.

use super::{TestApp, run_cli};
use reqwest::{Response, StatusCode};

/// A password zxcvbn accepts.
pub const STAFF_PASSWORD: &str = "violet-otter-27-lantern";

impl TestApp {
    /// `wiselink staff add USER --role ROLE --password-stdin` against this app's database.
    pub fn add_staff(&self, username: &str, role: &str) {
        let out = self.staff_cli(
            &["staff", "add", username, "--role", role, "--password-stdin"],
            Some(STAFF_PASSWORD),
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Runs a `wiselink staff …` command on this app's database, with `stdin` as its input.
    pub fn staff_cli(&self, args: &[&str], stdin: Option<&str>) -> std::process::Output {
        let url = self.database().url().to_owned();
        let envs = [("WISELINK__DATABASE__URL", url.as_str())];
        match stdin {
            None => run_cli(args, &envs, None),
            Some(input) => super::run_cli_with_stdin(args, &envs, input),
        }
    }

    /// `wiselink staff totp enroll USER` against this app's database, its secret sealed with
    /// `keys` (`crypto.keys`; the development key when `None`); returns the standard output
    /// (the `otpauth://` URI and the QR code).
    pub fn enrol_totp(&self, username: &str, keys: Option<&str>) -> String {
        let mut envs = vec![("WISELINK__DATABASE__URL", self.database().url())];
        envs.extend(keys.map(|k| ("WISELINK__CRYPTO__KEYS", k)));
        let out = run_cli(&["staff", "totp", "enroll", username], &envs, None);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Signs `username` in with the staff password; panics unless it works.
    pub async fn staff(&self, username: &str) -> StaffBrowser<'_> {
        let mut browser = self.anonymous();
        let answer = browser.login(username, STAFF_PASSWORD).await;
        assert_eq!(
            answer.status(),
            StatusCode::SEE_OTHER,
            "{username} signs in"
        );
        browser
    }

    /// A browser nobody signed in with yet.
    pub fn anonymous(&self) -> StaffBrowser<'_> {
        StaffBrowser {
            app: self,
            cookie: None,
            sso_cookie: None,
        }
    }
}

pub struct StaffBrowser<'a> {
    app: &'a TestApp,
    /// The session id the server set, if any.
    pub cookie: Option<String>,
    /// The secret binding a sign-in at the identity provider to this browser, if one started.
    pub sso_cookie: Option<String>,
}

impl StaffBrowser<'_> {
    /// Posts the sign-in form; keeps the cookie it sets.
    pub async fn login(&mut self, username: &str, password: &str) -> Response {
        self.login_with(&[("username", username), ("password", password)])
            .await
    }

    pub async fn login_with(&mut self, form: &[(&str, &str)]) -> Response {
        let answer = self.send_form("/staff/login", form).await;
        if let Some(id) = set_cookie_value(&answer) {
            self.cookie = Some(id);
        }
        answer
    }

    pub async fn get(&self, path: &str) -> Response {
        let mut request = self.app.client.get(self.app.url(path));
        if let Some(cookies) = self.cookie_header() {
            request = request.header("Cookie", cookies);
        }
        request.send().await.expect("request sent")
    }

    /// The page's text; panics unless it answers 200.
    pub async fn page(&self, path: &str) -> String {
        let answer = self.get(path).await;
        assert_eq!(answer.status(), StatusCode::OK, "GET {path}");
        answer.text().await.unwrap()
    }

    /// Posts a form from one of our pages, with the form token `page_path` carries.
    pub async fn post(&self, page_path: &str, action: &str, form: &[(&str, &str)]) -> Response {
        let page = self.page(page_path).await;
        let mut fields: Vec<(String, String)> = vec![("csrf".into(), form_value(&page, "csrf"))];
        if let Some(seen) = try_form_value(&page, "seen") {
            fields.push(("seen".into(), seen));
        }
        fields.extend(form.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        let borrowed: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        self.send_form(action, &borrowed).await
    }

    /// Posts `form` as Chromium posts a form of our own page (`Sec-Fetch-Site: same-origin`).
    pub async fn send_form(&self, path: &str, form: &[(&str, &str)]) -> Response {
        self.send_form_with(path, form, &[("Sec-Fetch-Site", "same-origin")])
            .await
    }

    pub async fn send_form_with(
        &self,
        path: &str,
        form: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Response {
        let mut request = self.app.client.post(self.app.url(path)).form(form);
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        if let Some(cookies) = self.cookie_header() {
            request = request.header("Cookie", cookies);
        }
        request.send().await.expect("request sent")
    }

    /// The cookies this browser sends: its session, and its sign-in at the provider.
    fn cookie_header(&self) -> Option<String> {
        let cookies: Vec<String> = [
            self.cookie
                .as_ref()
                .map(|c| format!("__Host-wiselink-staff={c}")),
            self.sso_cookie
                .as_ref()
                .map(|c| format!("__Host-wiselink-staff-sso={c}")),
        ]
        .into_iter()
        .flatten()
        .collect();
        (!cookies.is_empty()).then(|| cookies.join("; "))
    }
}

/// The session id a response sets, if it sets one (an empty value clears it).
pub fn set_cookie_value(answer: &Response) -> Option<String> {
    answer
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("__Host-wiselink-staff="))
        .map(|rest| rest.split(';').next().unwrap_or_default().to_owned())
        .filter(|v| !v.is_empty())
}

pub fn try_form_value(page: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page.find(&marker)? + marker.len();
    let end = page[start..].find('"')? + start;
    Some(page[start..end].to_owned())
}

pub fn form_value(page: &str, name: &str) -> String {
    try_form_value(page, name).unwrap_or_else(|| panic!("no {name} field in the page"))
}

/// The base32 secret in the `otpauth://` URI an enrolment printed.
pub fn totp_secret(printed: &str) -> String {
    let uri = printed
        .lines()
        .find(|l| l.starts_with("otpauth://totp/"))
        .expect("an otpauth URI");
    url::Url::parse(uri)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "secret")
        .map(|(_, v)| v.to_string())
        .expect("a secret")
}
