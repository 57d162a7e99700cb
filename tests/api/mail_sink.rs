//! A real SMTP server on loopback (mailin-embedded) that keeps what it receives, and can refuse
//! the next messages with a temporary error or not be listening at all yet.

use mail_parser::MessageParser;
use mailin_embedded::{Handler, Server, response};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One message as the server received it.
#[derive(Debug, Clone)]
pub struct ReceivedMail {
    pub to: Vec<String>,
    pub raw: String,
    pub message_id: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl ReceivedMail {
    fn parse(to: Vec<String>, raw: Vec<u8>) -> Self {
        let parsed = MessageParser::default()
            .parse(&raw)
            .expect("the SMTP server received a parseable message");
        Self {
            to,
            message_id: parsed.message_id().unwrap_or_default().to_owned(),
            subject: parsed.subject().unwrap_or_default().to_owned(),
            text: parsed.body_text(0).unwrap_or_default().into_owned(),
            html: parsed.body_html(0).unwrap_or_default().into_owned(),
            raw: String::from_utf8_lossy(&raw).into_owned(),
        }
    }
}

#[derive(Default)]
struct Shared {
    delivered: Mutex<Vec<ReceivedMail>>,
    /// Every DATA the server saw, accepted or not.
    attempts: Mutex<Vec<ReceivedMail>>,
    refuse_next: AtomicUsize,
}

#[derive(Clone)]
struct Sink {
    shared: Arc<Shared>,
    to: Vec<String>,
    data: Vec<u8>,
}

impl Handler for Sink {
    fn data_start(&mut self, _: &str, _: &str, _: bool, to: &[String]) -> response::Response {
        self.to = to.to_vec();
        self.data.clear();
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> response::Response {
        let mail =
            ReceivedMail::parse(std::mem::take(&mut self.to), std::mem::take(&mut self.data));
        self.shared.attempts.lock().unwrap().push(mail.clone());
        let refuse = self
            .shared
            .refuse_next
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if refuse {
            // 421: a temporary failure that also closes the connection (mailin keeps the session
            // in its DATA state after other errors, which would swallow the client's next command).
            return response::NO_SERVICE;
        }
        self.shared.delivered.lock().unwrap().push(mail);
        response::OK
    }
}

/// An SMTP server for one test. It keeps serving (on its own thread) until the process ends.
#[derive(Clone)]
pub struct MailSink {
    pub port: u16,
    shared: Arc<Shared>,
}

impl MailSink {
    /// A sink on a free port, listening now.
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind SMTP");
        let sink = Self::unstarted(listener.local_addr().unwrap().port());
        sink.serve(listener);
        sink
    }

    /// A sink that owns a free port but does not listen until [`MailSink::listen`]: a mail
    /// server that is down. The port is chosen below Linux's ephemeral range (32768 and up), so
    /// no outgoing connection can take it meanwhile: not another test's, and not the relay's own
    /// retries, which can connect a socket to itself when source and destination port coincide.
    pub fn down() -> Self {
        use rand::Rng;
        loop {
            let port = rand::rng().random_range(20_000..32_000);
            if TcpListener::bind(("127.0.0.1", port)).is_ok() {
                return Self::unstarted(port);
            }
        }
    }

    fn unstarted(port: u16) -> Self {
        Self {
            port,
            shared: Arc::new(Shared::default()),
        }
    }

    /// Starts listening on the sink's port.
    pub fn listen(&self) {
        let listener = TcpListener::bind(("127.0.0.1", self.port)).expect("bind SMTP port again");
        self.serve(listener);
    }

    fn serve(&self, listener: TcpListener) {
        let mut server = Server::new(Sink {
            shared: self.shared.clone(),
            to: Vec::new(),
            data: Vec::new(),
        });
        server
            .with_name("sink.test")
            // Every open connection holds one of the server's threads, and each wiselink instance
            // may keep up to 8 open (its relay's concurrency); tests run up to 3 instances.
            .with_num_threads(24)
            .with_tcp_listener(listener);
        std::thread::spawn(move || {
            // Serves until the test process ends; an error here shows up as undelivered mail.
            let _ = server.serve();
        });
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Answers the next `n` messages with 421 (a temporary failure).
    pub fn refuse_next(&self, n: usize) {
        self.shared.refuse_next.store(n, Ordering::SeqCst);
    }

    pub fn delivered(&self) -> Vec<ReceivedMail> {
        self.shared.delivered.lock().unwrap().clone()
    }

    pub fn attempts(&self) -> Vec<ReceivedMail> {
        self.shared.attempts.lock().unwrap().clone()
    }

    /// Messages delivered to `to`, waiting up to 10 s for at least `n` of them.
    pub async fn wait_for(&self, to: &str, n: usize) -> Vec<ReceivedMail> {
        for _ in 0..200 {
            let got = self.to(to);
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "expected {n} email(s) to {to}, got {:?} ({} attempts seen)",
            self.to(to).iter().map(|m| &m.subject).collect::<Vec<_>>(),
            self.attempts().len()
        );
    }

    pub fn to(&self, to: &str) -> Vec<ReceivedMail> {
        self.delivered()
            .into_iter()
            .filter(|m| m.to.iter().any(|t| t == to))
            .collect()
    }
}
