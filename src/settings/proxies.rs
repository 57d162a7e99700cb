//! `limits.trusted_proxies`, parsed: the proxies whose forwarding headers are believed. Reading
//! the client's address from a request with them is `http::client_ip`'s job.

use ipnet::IpNet;
use std::net::IpAddr;

/// The configured proxies, as networks.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Parses CIDRs (`10.0.0.0/8`) or single addresses (`127.0.0.1`), skipping empty entries;
    /// returns the entries that are neither.
    pub fn parse(entries: &[String]) -> Result<Self, Vec<String>> {
        let (mut nets, mut bad) = (Vec::new(), Vec::new());
        for entry in entries.iter().map(|e| e.trim()).filter(|e| !e.is_empty()) {
            match entry
                .parse::<IpNet>()
                .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
            {
                Ok(net) => nets.push(net),
                Err(_) => bad.push(entry.to_owned()),
            }
        }
        if bad.is_empty() {
            Ok(Self(nets))
        } else {
            Err(bad)
        }
    }

    /// Whether `ip` (IPv4-mapped IPv6 already read as IPv4) is one of the proxies.
    pub(crate) fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&ip))
    }
}
