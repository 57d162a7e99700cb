//! A real HTTP receiver on loopback for webhook deliveries: it keeps every request it gets and
//! answers with a status the test chooses, after a delay the test chooses. Signatures are checked
//! by the Standard Webhooks reference library (`standardwebhooks` on PyPI), not by code here.

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::io::Write;
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU16, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One request as the receiver got it.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: HashMap<String, String>,
    pub body: String,
    pub status: u16,
}

impl Received {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("a delivery's body is JSON")
    }

    pub fn webhook_id(&self) -> &str {
        &self.headers["webhook-id"]
    }
}

#[derive(Default)]
struct Shared {
    received: Mutex<Vec<Received>>,
    status: AtomicU16,
    delay_ms: AtomicU64,
    location: Mutex<Option<String>>,
    close: AtomicBool,
}

pub struct Receiver {
    pub url: String,
    shared: Arc<Shared>,
    server: actix_web::dev::ServerHandle,
}

async fn receive(req: HttpRequest, body: web::Bytes, shared: web::Data<Shared>) -> HttpResponse {
    let delay = shared.delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    let status = shared.status.load(Ordering::SeqCst);
    let headers = req
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    shared.received.lock().unwrap().push(Received {
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
        status,
    });
    let mut answer = HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap());
    if let Some(location) = shared.location.lock().unwrap().clone() {
        answer.insert_header(("Location", location));
    }
    if shared.close.load(Ordering::SeqCst) {
        answer.force_close();
    }
    answer.body(format!("receiver answered {status}"))
}

impl Receiver {
    /// Listening on loopback, answering 200.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let shared = Arc::new(Shared::default());
        shared.status.store(200, Ordering::SeqCst);
        let data = web::Data::from(shared.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .default_service(web::to(receive))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Self {
            url: format!("http://127.0.0.1:{port}/hooks/wiselink"),
            shared,
            server: handle,
        }
    }

    /// Answers every later request with `status`.
    pub fn answer(&self, status: u16) {
        self.shared.status.store(status, Ordering::SeqCst);
    }

    /// Sends a `Location` header with every answer (for redirects).
    pub fn redirect_to(&self, location: &str) {
        *self.shared.location.lock().unwrap() = Some(location.to_owned());
    }

    /// Closes the connection after every answer, so each delivery connects (and resolves) anew.
    pub fn close_connections(&self) {
        self.shared.close.store(true, Ordering::SeqCst);
    }

    /// Waits this long before answering.
    pub fn delay(&self, by: Duration) {
        self.shared
            .delay_ms
            .store(by.as_millis() as u64, Ordering::SeqCst);
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.received.lock().unwrap().clone()
    }

    /// The requests answered 2xx, in the order they came.
    pub fn accepted(&self) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| (200..300).contains(&r.status))
            .collect()
    }

    /// Waits (up to 15 s) until `done` holds for what was received; returns it.
    pub async fn wait_until(
        &self,
        what: &str,
        done: impl Fn(&[Received]) -> bool,
    ) -> Vec<Received> {
        for _ in 0..300 {
            let got = self.received();
            if done(&got) {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the receiver never got {what}: {:#?}", self.received());
    }

    /// Waits until `n` requests were answered 2xx; returns them.
    pub async fn wait_accepted(&self, n: usize) -> Vec<Received> {
        let what = format!("{n} accepted deliveries");
        self.wait_until(&what, |got| {
            got.iter()
                .filter(|r| (200..300).contains(&r.status))
                .count()
                >= n
        })
        .await;
        self.accepted()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let server = self.server.clone();
        // Stopping is asynchronous; the runtime finishes it or drops it with the test.
        drop(server.stop(false));
    }
}

/// Runs each delivery through `standardwebhooks.Webhook(secret).verify(body, headers)` at the
/// wall-clock time of the check; true where the library accepted it.
pub fn verified(secret: &str, deliveries: &[Received]) -> Vec<bool> {
    let cases: Vec<Value> = deliveries
        .iter()
        .map(|d| {
            json!({
                "secret": secret,
                "body": d.body,
                "headers": {
                    "webhook-id": d.headers.get("webhook-id"),
                    "webhook-timestamp": d.headers.get("webhook-timestamp"),
                    "webhook-signature": d.headers.get("webhook-signature"),
                },
            })
        })
        .collect();
    verify_cases(&cases)
}

/// Each case `{secret, body, headers}` through the reference library; true where it accepted.
pub fn verify_cases(cases: &[Value]) -> Vec<bool> {
    const VERIFY: &str = r#"
import json, sys
from standardwebhooks import Webhook
for case in json.load(sys.stdin):
    try:
        Webhook(case["secret"]).verify(case["body"].encode(), case["headers"])
        print("ok")
    except Exception as e:
        print("refused: " + type(e).__name__)
"#;
    let mut child = Command::new("python3")
        .args(["-c", VERIFY])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_vec(cases).unwrap().as_slice())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the standardwebhooks package must be installed (scripts/test.sh does it): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<bool> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l == "ok")
        .collect();
    assert_eq!(lines.len(), cases.len());
    lines
}
