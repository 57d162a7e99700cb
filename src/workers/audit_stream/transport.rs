//! The connection to the syslog collector: TCP, or TLS over it (rustls, the same provider as
//! every other TLS connection wiselink makes), each step bounded by `audit.stream.timeout_ms`.

use crate::settings::AuditStreamSettings;
use futures_util::FutureExt;
use rustls::RootCertStore;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{PrivateKeyDer, ServerName};
use std::io;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

/// Opens connections to the collector. The certificate files are read again for each new
/// connection, so a renewed client certificate or CA bundle is used from the next reconnect on.
pub struct Connector {
    settings: AuditStreamSettings,
    timeout: Duration,
}

/// An open connection.
pub enum Connection {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl Connector {
    /// A connector for `settings`; an error when its certificate files cannot be used.
    pub fn new(settings: AuditStreamSettings) -> anyhow::Result<Self> {
        if settings.tls {
            tls_config(&settings)?;
        }
        Ok(Self {
            timeout: Duration::from_millis(settings.timeout_ms),
            settings,
        })
    }

    /// Where the stream goes, as configured.
    pub fn destination(&self) -> &str {
        &self.settings.address
    }

    pub async fn connect(&self) -> io::Result<Connection> {
        let tcp = bounded(self.timeout, TcpStream::connect(&self.settings.address)).await?;
        tcp.set_nodelay(true)?;
        notice_a_vanished_peer(&tcp, self.timeout)?;
        if !self.settings.tls {
            return Ok(Connection::Plain(tcp));
        }
        let config = tls_config(&self.settings).map_err(io::Error::other)?;
        let name = ServerName::try_from(self.settings.server_name().to_owned())
            .map_err(io::Error::other)?;
        let tls = bounded(
            self.timeout,
            TlsConnector::from(Arc::new(config)).connect(name, tcp),
        )
        .await?;
        Ok(Connection::Tls(Box::new(tls)))
    }

    /// Whether the collector has closed the connection (or it broke). A collector sends nothing on
    /// a syslog connection, so anything to read is its end of the stream; finding that before a
    /// write keeps a batch from going into a connection the other side already left.
    pub fn closed(connection: &mut Connection) -> bool {
        let mut byte = [0u8; 1];
        let read = match connection {
            Connection::Plain(tcp) => tcp.read(&mut byte).now_or_never(),
            Connection::Tls(tls) => tls.read(&mut byte).now_or_never(),
        };
        matches!(read, Some(Ok(0) | Err(_)))
    }

    /// Writes `bytes` whole and flushes them to the collector's side of the connection.
    pub async fn send(&self, connection: &mut Connection, bytes: &[u8]) -> io::Result<()> {
        bounded(self.timeout, async {
            match connection {
                Connection::Plain(tcp) => {
                    tcp.write_all(bytes).await?;
                    tcp.flush().await
                }
                Connection::Tls(tls) => {
                    tls.write_all(bytes).await?;
                    tls.flush().await
                }
            }
        })
        .await
    }
}

/// A collector that goes away without closing (its host down, the network cut) sends nothing a
/// syslog stream would read, and data written keeps waiting in the kernel. Keepalive probes on an
/// idle connection, and a limit on how long written data may stay unacknowledged, turn both into
/// an error the next pass sees, which reconnects and repeats the recent entries.
fn notice_a_vanished_peer(tcp: &TcpStream, timeout: Duration) -> io::Result<()> {
    let socket = socket2::SockRef::from(tcp);
    let keepalive = socket2::TcpKeepalive::new()
        .with_time(Duration::from_secs(30))
        .with_interval(Duration::from_secs(10))
        .with_retries(3);
    socket.set_tcp_keepalive(&keepalive)?;
    #[cfg(target_os = "linux")]
    socket.set_tcp_user_timeout(Some(timeout.max(Duration::from_secs(30))))?;
    #[cfg(not(target_os = "linux"))]
    let _ = timeout;
    Ok(())
}

async fn bounded<T>(timeout: Duration, work: impl Future<Output = io::Result<T>>) -> io::Result<T> {
    tokio::time::timeout(timeout, work)
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "the collector took too long"))?
}

fn tls_config(settings: &AuditStreamSettings) -> anyhow::Result<rustls::ClientConfig> {
    let mut roots = RootCertStore::empty();
    match settings.ca_file() {
        Some(ca) => {
            for cert in crate::wise::pem::certificates(&ca)? {
                roots.add(cert)?;
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots);
    Ok(match settings.client_identity() {
        Some((cert, key)) => {
            let key = PrivateKeyDer::from_pem_file(&key).map_err(|e| {
                anyhow::anyhow!("audit.stream.client_key_file {}: {e}", key.display())
            })?;
            builder.with_client_auth_cert(crate::wise::pem::certificates(&cert)?, key)?
        }
        None => builder.with_no_client_auth(),
    })
}
