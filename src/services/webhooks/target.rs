//! Where webhooks may go. An endpoint URL is checked when it is registered and again at every
//! connection (a name can resolve elsewhere later): in production it must be `https` and every
//! address it resolves to public — no private, loopback, link-local (cloud metadata), shared,
//! multicast or reserved address — unless the operator's `webhooks.allowed_hosts` names it. In a
//! development environment `http` and loopback are accepted too, so a partner can try webhooks
//! against a receiver on their own machine.

use crate::domain::Invalid;
use hickory_resolver::TokioResolver;
use hickory_resolver::config::{
    LookupIpStrategy, NameServerConfigGroup, ResolveHosts, ResolverConfig, ResolverOpts,
};
use hickory_resolver::name_server::TokioConnectionProvider;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use url::{Host, Url};

/// The rules for one deployment.
#[derive(Debug, Clone)]
pub struct TargetPolicy {
    pub production: bool,
    /// Host names or addresses exempt from the address rule, lower-case.
    pub allowed_hosts: Vec<String>,
    lookup: Lookup,
}

/// Where endpoint host names are looked up.
#[derive(Clone)]
enum Lookup {
    /// The system's resolver (`/etc/hosts`, `/etc/resolv.conf`).
    System,
    /// Only the DNS server `webhooks.dns_server` names, honouring each answer's TTL.
    Server(SocketAddr, Arc<TokioResolver>),
}

impl std::fmt::Debug for Lookup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::System => f.write_str("System"),
            Self::Server(at, _) => write!(f, "Server({at})"),
        }
    }
}

/// The longest URL accepted.
pub const MAX_URL_LEN: usize = 2048;

impl TargetPolicy {
    pub fn new(production: bool, allowed_hosts: &[String]) -> Self {
        Self {
            production,
            allowed_hosts: allowed_hosts
                .iter()
                .map(|h| h.trim().trim_matches(['[', ']']).to_ascii_lowercase())
                .collect(),
            lookup: Lookup::System,
        }
    }

    /// The same rules, with host names looked up only at the DNS server at `server`.
    pub fn with_dns_server(mut self, server: SocketAddr) -> Self {
        let servers = NameServerConfigGroup::from_ips_clear(&[server.ip()], server.port(), true);
        let config = ResolverConfig::from_parts(None, Vec::new(), servers);
        let mut options = ResolverOpts::default();
        options.ip_strategy = LookupIpStrategy::Ipv4AndIpv6;
        options.use_hosts_file = ResolveHosts::Never;
        options.timeout = Duration::from_secs(3);
        options.attempts = 2;
        let resolver =
            TokioResolver::builder_with_config(config, TokioConnectionProvider::default())
                .with_options(options)
                .build();
        self.lookup = Lookup::Server(server, Arc::new(resolver));
        self
    }

    /// Every address `host` resolves to now (`port` only matters to the system's resolver).
    pub async fn resolve(&self, host: &str, port: u16) -> std::io::Result<Vec<IpAddr>> {
        let found: Vec<IpAddr> = match &self.lookup {
            Lookup::System => tokio::net::lookup_host((host, port))
                .await?
                .map(|a| a.ip())
                .collect(),
            Lookup::Server(_, resolver) => resolver
                .lookup_ip(host)
                .await
                .map_err(std::io::Error::other)?
                .iter()
                .collect(),
        };
        if found.is_empty() {
            return Err(std::io::Error::other("no addresses"));
        }
        Ok(found)
    }

    /// Whether the operator exempted this host from the address rule.
    pub fn host_allowed(&self, host: &str) -> bool {
        let host = host.trim_matches(['[', ']']).to_ascii_lowercase();
        self.allowed_hosts.contains(&host)
    }

    /// Whether a connection may go to `ip` (for a host not on the allow-list).
    pub fn address_allowed(&self, ip: IpAddr) -> bool {
        is_public(ip) || (!self.production && ip.is_loopback())
    }

    /// The URL's form: scheme, no credentials, a host. Addresses are checked by [`Self::check`].
    pub fn parse(&self, raw: &str) -> Result<Url, Invalid> {
        if raw.len() > MAX_URL_LEN {
            return Err(Invalid::new(
                "url_too_long",
                format!("url must be at most {MAX_URL_LEN} characters"),
            ));
        }
        let url = Url::parse(raw)
            .map_err(|_| Invalid::new("invalid_url", "url must be an absolute URL"))?;
        match url.scheme() {
            "https" => {}
            "http" if !self.production => {}
            _ => {
                return Err(Invalid::new(
                    "url_not_https",
                    "url must use https".to_owned()
                        + if self.production {
                            ""
                        } else {
                            " (or http while trying it out)"
                        },
                ));
            }
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Invalid::new(
                "url_has_credentials",
                "url must not carry a user name or password",
            ));
        }
        if url.host().is_none() {
            return Err(Invalid::new("invalid_url", "url must name a host"));
        }
        if url.fragment().is_some() {
            return Err(Invalid::new("invalid_url", "url must not have a fragment"));
        }
        Ok(url)
    }

    /// The URL's form and every address its host resolves to now.
    pub async fn check(&self, raw: &str) -> Result<Url, Invalid> {
        let url = self.parse(raw)?;
        let host = url.host_str().unwrap_or_default().to_owned();
        if self.host_allowed(&host) {
            return Ok(url);
        }
        let addresses = match url.host() {
            Some(Host::Ipv4(ip)) => vec![IpAddr::V4(ip)],
            Some(Host::Ipv6(ip)) => vec![IpAddr::V6(ip)],
            _ => {
                let port = url.port_or_known_default().unwrap_or(443);
                self.resolve(&host, port)
                    .await
                    .map_err(|_| Invalid::new("url_unresolvable", "url's host does not resolve"))?
            }
        };
        if let Some(refused) = addresses.iter().find(|ip| !self.address_allowed(**ip)) {
            return Err(Invalid::new(
                "url_not_public",
                format!(
                    "url must lead to a public address, not {} ({})",
                    refused,
                    kind(*refused)
                ),
            ));
        }
        Ok(url)
    }
}

/// Whether an address is on the public internet: none of the special-purpose ranges of RFC 6890
/// and its successors that a webhook must never reach.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            let s = v6.segments();
            // NAT64 (64:ff9b::/96) carries an IPv4 address in its last 32 bits.
            if s[0..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
                return is_public_v4(Ipv4Addr::new(
                    (s[6] >> 8) as u8,
                    s[6] as u8,
                    (s[7] >> 8) as u8,
                    s[7] as u8,
                ));
            }
            !(v6.is_unspecified()
                || v6.is_loopback()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local, incl. fd00:ec2::254
                || (s[0] & 0xffc0) == 0xfe80 // link-local
                || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated)
                || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
                || (s[0] == 0x2001 && s[1] < 0x0200) // IETF protocol assignments (Teredo, ...)
                || s[0] == 0x2002 // 6to4 relays carry IPv4 addresses
                || s[0] == 0x0100 && s[1..4] == [0, 0, 0]) // discard-only
        }
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local() // 169.254/16: cloud metadata lives here
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (18..20).contains(&b)) // benchmarking
        || a >= 240) // reserved
}

/// A word for why an address is refused.
fn kind(ip: IpAddr) -> &'static str {
    let v4 = match ip {
        IpAddr::V4(v4) => Some(v4),
        IpAddr::V6(v6) => v6.to_ipv4_mapped(),
    };
    match (ip, v4) {
        (_, Some(v4)) if v4.is_loopback() => "loopback",
        (_, Some(v4)) if v4.is_private() => "private",
        (_, Some(v4)) if v4.is_link_local() => "link-local or metadata",
        (IpAddr::V6(v6), None) if v6.is_loopback() => "loopback",
        (IpAddr::V6(v6), None) if (v6.segments()[0] & 0xfe00) == 0xfc00 => "private",
        (IpAddr::V6(v6), None) if (v6.segments()[0] & 0xffc0) == 0xfe80 => "link-local",
        _ => "special-purpose",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn only_public_addresses_are_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "192.0.2.1",
            "198.18.0.1",
            "240.0.0.1",
            "::1",
            "::",
            "fd00:ec2::254",
            "fe80::1",
            "::ffff:10.0.0.1",
            "::ffff:127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2001:db8::1",
            "2002:a00:1::",
            "ff02::1",
        ] {
            assert!(!is_public(ip(private)), "{private}");
        }
        for public in [
            "93.184.216.34",
            "1.1.1.1",
            "2606:4700:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(is_public(ip(public)), "{public}");
        }
    }

    #[test]
    fn development_accepts_http_and_loopback_and_production_neither() {
        let dev = TargetPolicy::new(false, &[]);
        let prod = TargetPolicy::new(true, &[]);
        assert!(dev.parse("http://127.0.0.1:9000/hook").is_ok());
        assert_eq!(
            prod.parse("http://example.com/hook").unwrap_err().code,
            "url_not_https"
        );
        assert!(dev.address_allowed(ip("127.0.0.1")));
        assert!(dev.address_allowed(ip("::1")));
        assert!(!prod.address_allowed(ip("127.0.0.1")));
        assert!(!dev.address_allowed(ip("10.0.0.1")));
        for bad in [
            "ftp://example.com/",
            "https://user:pw@example.com/",
            "not a url",
            "https://example.com/#x",
        ] {
            assert!(prod.parse(bad).is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn addresses_are_checked_unless_the_operator_allows_the_host() {
        let prod = TargetPolicy::new(true, &["10.0.0.7".to_owned(), "Hooks.Internal".to_owned()]);
        assert_eq!(
            prod.check("https://169.254.169.254/latest/meta-data/")
                .await
                .unwrap_err()
                .code,
            "url_not_public"
        );
        assert_eq!(
            prod.check("https://[::ffff:192.168.0.1]/")
                .await
                .unwrap_err()
                .code,
            "url_not_public"
        );
        assert!(prod.check("https://10.0.0.7/hook").await.is_ok());
        assert!(prod.check("https://hooks.internal/hook").await.is_ok());
        assert_eq!(
            prod.check("https://localhost/hook").await.unwrap_err().code,
            "url_not_public"
        );
    }
}
