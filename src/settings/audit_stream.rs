//! `[audit.stream]`: the audit trail sent live, as RFC 5424 syslog over TCP or TLS, to the
//! operator's collector. Off unless an address is set.

use super::Environment;
use serde::Deserialize;
use std::path::PathBuf;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditStreamSettings {
    /// The collector as `host:port`; empty: no stream.
    pub address: String,
    /// TLS (RFC 5425) to the collector; plain TCP when off.
    pub tls: bool,
    /// PEM certificates trusted for the collector; empty: the public web's roots built in.
    pub ca_file: String,
    /// The name the collector's certificate must carry; empty: the address's host.
    pub server_name: String,
    /// A client certificate (PEM chain) and key for a collector that asks for one; both or neither.
    pub client_cert_file: String,
    pub client_key_file: String,
    /// RFC 5424 facility, 0 to 23 (13: log audit).
    pub facility: u8,
    /// HOSTNAME in each message; empty: the machine's hostname.
    pub hostname: String,
    /// Entries sent again after each new connection (see `docs/security.md`).
    pub replay_entries: u32,
    /// Longest a connect, a handshake or a write may take before the connection is dropped.
    pub timeout_ms: u64,
}

impl AuditStreamSettings {
    pub fn enabled(&self) -> bool {
        !self.address.is_empty()
    }

    /// The address's host and port.
    pub fn host_port(&self) -> Option<(&str, u16)> {
        let (host, port) = self.address.rsplit_once(':')?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let port = port.parse().ok().filter(|p| *p != 0)?;
        (!host.is_empty()).then_some((host, port))
    }

    /// The name checked against the collector's certificate.
    pub fn server_name(&self) -> &str {
        if self.server_name.is_empty() {
            self.host_port().map_or("", |(host, _)| host)
        } else {
            &self.server_name
        }
    }

    pub fn ca_file(&self) -> Option<PathBuf> {
        (!self.ca_file.is_empty()).then(|| PathBuf::from(&self.ca_file))
    }

    /// The client certificate and key files, when set.
    pub fn client_identity(&self) -> Option<(PathBuf, PathBuf)> {
        (!self.client_cert_file.is_empty()).then(|| {
            (
                PathBuf::from(&self.client_cert_file),
                PathBuf::from(&self.client_key_file),
            )
        })
    }

    pub(super) fn problems(&self, environment: &Environment, out: &mut Vec<String>) {
        if !self.enabled() {
            return;
        }
        let Some((host, _)) = self.host_port() else {
            out.push(format!(
                "audit.stream.address must be host:port, got {:?}",
                self.address
            ));
            return;
        };
        let loopback = host == "localhost"
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        if !self.tls && environment.is_production() && !loopback {
            out.push(
                "audit.stream.tls must be on in production unless the collector is on loopback"
                    .to_owned(),
            );
        }
        if self.tls && rustls_pki_types::ServerName::try_from(self.server_name()).is_err() {
            out.push(format!(
                "audit.stream.server_name {:?} is not a DNS name or IP address",
                self.server_name()
            ));
        }
        if self.client_cert_file.is_empty() != self.client_key_file.is_empty() {
            out.push(
                "audit.stream.client_cert_file and client_key_file must be set together".to_owned(),
            );
        }
        if self.facility > 23 {
            out.push(format!(
                "audit.stream.facility must be between 0 and 23, got {}",
                self.facility
            ));
        }
        if !(100..=120_000).contains(&self.timeout_ms) {
            out.push(format!(
                "audit.stream.timeout_ms must be between 100 and 120000, got {}",
                self.timeout_ms
            ));
        }
    }
}
