//! A syslog collector for the tests: TCP (or TLS) on loopback, octet-counted framing read
//! strictly (RFC 6587 3.4.1), each message parsed as RFC 5424. Anything that does not parse is kept
//! as a framing error, so a test sees a malformed stream instead of a missing message.

use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// One RFC 5424 message as received.
#[derive(Debug, Clone)]
pub struct SyslogMessage {
    pub priority: u16,
    pub timestamp: String,
    pub hostname: String,
    pub app_name: String,
    pub procid: String,
    pub msgid: String,
    pub structured_data: String,
    /// MSG without its byte-order mark.
    pub msg: String,
}

impl SyslogMessage {
    /// The `seq` of an `audit-entry` message's record.
    pub fn seq(&self) -> i64 {
        record_seq(&self.msg)
    }
}

/// The `seq` of the export record a message carries.
pub fn record_seq(msg: &str) -> i64 {
    let record: serde_json::Value = serde_json::from_str(msg).expect("MSG is a JSON record");
    record["seq"].as_i64().expect("a seq")
}

#[derive(Default)]
struct Shared {
    messages: Mutex<Vec<SyslogMessage>>,
    errors: Mutex<Vec<String>>,
    connections: Mutex<usize>,
}

pub struct SyslogReceiver {
    pub port: u16,
    shared: Arc<Shared>,
    accept: JoinHandle<()>,
    readers: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl SyslogReceiver {
    /// A plain TCP collector on a free port.
    pub async fn start() -> Self {
        Self::start_on(0, None).await
    }

    /// A collector on `port` (0: any free one), speaking TLS with `tls` when given.
    pub async fn start_on(port: u16, tls: Option<Arc<rustls::ServerConfig>>) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.expect("bind");
        let port = listener.local_addr().unwrap().port();
        let shared = Arc::new(Shared::default());
        let readers = Arc::new(Mutex::new(Vec::new()));
        let (accept_shared, accept_readers) = (shared.clone(), readers.clone());
        let accept = tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let (shared, tls) = (accept_shared.clone(), tls.clone());
                let reader = tokio::spawn(async move {
                    match tls {
                        Some(config) => {
                            let acceptor = tokio_rustls::TlsAcceptor::from(config);
                            match acceptor.accept(tcp).await {
                                Ok(stream) => read_frames(stream, &shared).await,
                                Err(e) => shared.errors.lock().unwrap().push(format!("TLS: {e}")),
                            }
                        }
                        None => read_frames(tcp, &shared).await,
                    }
                });
                accept_readers.lock().unwrap().push(reader);
            }
        });
        Self {
            port,
            shared,
            accept,
            readers,
        }
    }

    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn messages(&self) -> Vec<SyslogMessage> {
        self.shared.messages.lock().unwrap().clone()
    }

    /// Framing or parse errors, and refused TLS handshakes.
    pub fn errors(&self) -> Vec<String> {
        self.shared.errors.lock().unwrap().clone()
    }

    /// Connections whose frames were read (TLS ones after the handshake).
    pub fn connections(&self) -> usize {
        *self.shared.connections.lock().unwrap()
    }

    /// Waits (up to `within`) until the entries received reach sequence number `seq`.
    pub async fn wait_for_seq(&self, seq: i64, within: Duration) {
        let started = std::time::Instant::now();
        loop {
            let highest = self
                .messages()
                .iter()
                .filter(|m| m.msgid == "audit-entry")
                .map(SyslogMessage::seq)
                .max()
                .unwrap_or(0);
            if highest >= seq {
                return;
            }
            assert!(
                started.elapsed() < within,
                "the collector got entries up to {highest}, not {seq}, within {within:?}; errors: {:?}",
                self.errors()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Goes down: stops listening and drops every connection.
    pub fn stop(&self) {
        self.accept.abort();
        for reader in self.readers.lock().unwrap().drain(..) {
            reader.abort();
        }
    }
}

impl Drop for SyslogReceiver {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn read_frames<S: AsyncRead + Unpin>(mut stream: S, shared: &Shared) {
    *shared.connections.lock().unwrap() += 1;
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
        while let Some((frame, used)) = next_frame(&buffer) {
            let parsed = frame.and_then(|f| parse(&f));
            match parsed {
                Ok(message) => shared.messages.lock().unwrap().push(message),
                Err(e) => shared.errors.lock().unwrap().push(e),
            }
            buffer.drain(..used);
        }
    }
    if !buffer.is_empty() {
        shared
            .errors
            .lock()
            .unwrap()
            .push(format!("{} bytes of a cut frame", buffer.len()));
    }
}

/// The first whole frame in `buffer` and the bytes it took, or `None` until it is all there.
fn next_frame(buffer: &[u8]) -> Option<(Result<String, String>, usize)> {
    let space = buffer.iter().position(|b| *b == b' ')?;
    let length = std::str::from_utf8(&buffer[..space])
        .ok()
        .and_then(|l| l.parse::<usize>().ok())
        .filter(|_| buffer[0] != b'0' && space <= 10);
    let Some(length) = length else {
        return Some((
            Err(format!("no MSG-LEN at {:?}", &buffer[..space])),
            buffer.len(),
        ));
    };
    let end = space + 1 + length;
    if buffer.len() < end {
        return None;
    }
    let frame = String::from_utf8(buffer[space + 1..end].to_vec()).map_err(|e| e.to_string());
    Some((frame, end))
}

/// RFC 5424: `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD MSG`.
fn parse(frame: &str) -> Result<SyslogMessage, String> {
    let rest = frame.strip_prefix('<').ok_or("no PRI")?;
    let (priority, rest) = rest.split_once(">1 ").ok_or("no PRI or VERSION 1")?;
    let priority: u16 = priority.parse().map_err(|_| "PRI is not a number")?;
    let parts: Vec<&str> = rest.splitn(7, ' ').collect();
    let [timestamp, hostname, app_name, procid, msgid, sd, msg] = parts[..] else {
        return Err(format!("too few header fields: {frame:?}"));
    };
    chrono::DateTime::parse_from_rfc3339(timestamp).map_err(|e| format!("TIMESTAMP: {e}"))?;
    let msg = msg.strip_prefix('\u{feff}').ok_or("MSG has no BOM")?;
    Ok(SyslogMessage {
        priority,
        timestamp: timestamp.to_owned(),
        hostname: hostname.to_owned(),
        app_name: app_name.to_owned(),
        procid: procid.to_owned(),
        msgid: msgid.to_owned(),
        structured_data: sd.to_owned(),
        msg: msg.to_owned(),
    })
}
