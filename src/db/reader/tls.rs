//! How the async read pool reaches PostgreSQL, from the same `database.url` libpq reads for the
//! other connections, with the same meaning of `sslmode`:
//! - `disable`: no TLS;
//! - `prefer` (the default) and `allow`: TLS when the server offers it, else plain;
//! - `require`: TLS or no connection;
//! - `verify-ca` and `verify-full`: TLS with the server's certificate checked against
//!   `sslrootcert` (or, without it, the public roots) and its name against the host.
//!
//! As with libpq, `prefer` and `require` encrypt without checking whose certificate it is, unless
//! `sslrootcert` names a file: then the certificate must chain to it, as under `verify-full`.

use diesel::ConnectionResult;
use diesel::result::ConnectionError;
use diesel_async::AsyncPgConnection;
use futures_util::future::BoxFuture;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::sync::Arc;
use tokio_postgres::config::SslMode;

/// What a new connection needs: the parsed URL and, unless TLS is off, the TLS client.
#[derive(Clone)]
pub struct Connect {
    config: tokio_postgres::Config,
    tls: Option<Arc<rustls::ClientConfig>>,
}

impl Connect {
    pub fn from_url(url: &str) -> anyhow::Result<Self> {
        let mut parsed = url::Url::parse(url)?;
        let (mut mode, mut root) = ("prefer".to_owned(), None);
        let kept: Vec<(String, String)> = parsed
            .query_pairs()
            .filter_map(|(k, v)| match &*k {
                "sslmode" => {
                    mode = v.into_owned();
                    None
                }
                "sslrootcert" => {
                    root = Some(v.into_owned());
                    None
                }
                _ => Some((k.into_owned(), v.into_owned())),
            })
            .collect();
        parsed.set_query(None);
        if !kept.is_empty() {
            parsed.query_pairs_mut().extend_pairs(&kept);
        }
        let mut config: tokio_postgres::Config = parsed.as_str().parse()?;
        let (ssl, verify) = match mode.as_str() {
            "disable" => (SslMode::Disable, false),
            "allow" | "prefer" => (SslMode::Prefer, root.is_some()),
            "require" => (SslMode::Require, root.is_some()),
            "verify-ca" | "verify-full" => (SslMode::Require, true),
            other => anyhow::bail!("database.url: sslmode={other} is not one PostgreSQL knows"),
        };
        config.ssl_mode(ssl);
        let tls = match ssl {
            SslMode::Disable => None,
            _ => Some(Arc::new(client_config(verify, root.as_deref())?)),
        };
        Ok(Self { config, tls })
    }

    /// Opens one connection, its driver task on the runtime.
    pub fn establish(self) -> BoxFuture<'static, ConnectionResult<AsyncPgConnection>> {
        Box::pin(async move {
            let failed = |e: tokio_postgres::Error| ConnectionError::BadConnection(e.to_string());
            match self.tls {
                None => {
                    let (client, conn) = self
                        .config
                        .connect(tokio_postgres::NoTls)
                        .await
                        .map_err(failed)?;
                    AsyncPgConnection::try_from_client_and_connection(client, conn).await
                }
                Some(tls) => {
                    let tls = tokio_postgres_rustls::MakeRustlsConnect::new((*tls).clone());
                    let (client, conn) = self.config.connect(tls).await.map_err(failed)?;
                    AsyncPgConnection::try_from_client_and_connection(client, conn).await
                }
            }
        })
    }
}

fn client_config(verify: bool, root: Option<&str>) -> anyhow::Result<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?;
    if !verify {
        return Ok(builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(EncryptOnly(provider)))
            .with_no_client_auth());
    }
    let mut roots = RootCertStore::empty();
    match root {
        Some(file) => {
            for cert in crate::wise::pem::certificates(std::path::Path::new(file))? {
                roots.add(cert)?;
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    Ok(builder.with_root_certificates(roots).with_no_client_auth())
}

/// libpq's `prefer` and `require` without a root certificate: the channel is encrypted and the
/// handshake's signatures checked, but any certificate is taken.
#[derive(Debug)]
struct EncryptOnly(Arc<CryptoProvider>);

impl ServerCertVerifier for EncryptOnly {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(query: &str) -> anyhow::Result<Connect> {
        Connect::from_url(&format!(
            "postgres://app:p%40ss@db.internal:5433/wiselink{query}"
        ))
    }

    #[test]
    fn sslmode_keeps_libpqs_meaning_and_the_rest_of_the_url_is_kept() {
        let plain = parsed("?sslmode=disable&application_name=wiselink").unwrap();
        assert!(plain.tls.is_none());
        assert_eq!(plain.config.get_ssl_mode(), SslMode::Disable);
        assert_eq!(plain.config.get_application_name(), Some("wiselink"));
        assert_eq!(plain.config.get_user(), Some("app"));
        assert_eq!(plain.config.get_password(), Some(&b"p@ss"[..]));
        assert_eq!(plain.config.get_ports(), &[5433]);
        assert_eq!(plain.config.get_dbname(), Some("wiselink"));
        // Without sslmode, libpq prefers TLS: so does this pool.
        for (query, mode) in [
            ("", SslMode::Prefer),
            ("?sslmode=allow", SslMode::Prefer),
            ("?sslmode=require", SslMode::Require),
            ("?sslmode=verify-full", SslMode::Require),
            ("?sslmode=verify-ca", SslMode::Require),
        ] {
            let c = parsed(query).unwrap();
            assert_eq!(c.config.get_ssl_mode(), mode, "{query}");
            assert!(c.tls.is_some(), "{query}");
        }
    }

    #[test]
    fn an_unknown_sslmode_or_a_missing_root_certificate_stops_start_up() {
        let e = parsed("?sslmode=verify").err().unwrap();
        assert!(e.to_string().contains("sslmode=verify"), "{e}");
        assert!(parsed("?sslmode=verify-full&sslrootcert=/nonexistent/root.pem").is_err());
        assert!(parsed("?sslmode=require&sslrootcert=/nonexistent/root.pem").is_err());
    }
}
