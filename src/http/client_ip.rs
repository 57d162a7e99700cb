//! Who the client is, by address. Behind proxies the socket peer is the last proxy; the address
//! each proxy saw is appended to `Forwarded` (or `X-Forwarded-For`), and a client can write
//! anything it likes to the left of what the first proxy appends. So the client is the right-most
//! address that is not one of the configured trusted proxies (`limits.trusted_proxies`), and the
//! headers are read only when the peer itself is one of them.

pub use crate::settings::TrustedProxies;
use actix_web::HttpRequest;
use actix_web::http::header::HeaderMap;
use std::net::IpAddr;

impl TrustedProxies {
    /// The client of `req`: the peer, unless the peer is a trusted proxy, in which case the
    /// right-most forwarded address that is not a trusted proxy.
    pub fn client_ip(&self, req: &HttpRequest) -> Option<IpAddr> {
        let peer = req.peer_addr().map(|a| canonical(a.ip()))?;
        Some(self.client_of(peer, req.headers()))
    }

    fn client_of(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        let mut client = peer;
        for hop in forwarded_chain(headers).iter().rev() {
            // An entry we cannot read (`unknown`, an obfuscated name) ends the chain: the last
            // trusted hop is the best we know.
            let Some(ip) = hop.map(canonical) else {
                return client;
            };
            client = ip;
            if !self.trusts(ip) {
                return ip;
            }
        }
        client
    }
}

/// IPv4-mapped IPv6 addresses as IPv4, so one rule covers both.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The addresses proxies reported, left to right: `Forwarded`'s `for=` when present (RFC 7239),
/// else `X-Forwarded-For`. Every header line counts, in order.
fn forwarded_chain(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let forwarded: Vec<Option<IpAddr>> = headers
        .get_all("forwarded")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|element| {
            element.split(';').find_map(|pair| {
                let (name, value) = pair.split_once('=')?;
                name.trim()
                    .eq_ignore_ascii_case("for")
                    .then(|| parse_node(value.trim().trim_matches('"')))
            })
        })
        .collect();
    if !forwarded.is_empty() {
        return forwarded;
    }
    headers
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|node| parse_node(node.trim()))
        .collect()
}

/// `1.2.3.4`, `1.2.3.4:80`, `[2001:db8::1]`, `[2001:db8::1]:80` or `2001:db8::1`.
fn parse_node(node: &str) -> Option<IpAddr> {
    if let Ok(ip) = node.parse() {
        return Some(ip);
    }
    if let Some(rest) = node.strip_prefix('[') {
        return rest.split_once(']')?.0.parse().ok();
    }
    node.parse::<std::net::SocketAddr>().ok().map(|s| s.ip())
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};

    /// (what, peer, forwarding headers, expected client).
    type Case = (
        &'static str,
        &'static str,
        &'static [(&'static str, &'static str)],
        &'static str,
    );

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                HeaderName::from_static(name),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        map
    }

    #[test]
    fn the_client_is_the_right_most_untrusted_address() {
        let proxies = TrustedProxies::parse(&["10.0.0.0/8".into(), "192.0.2.7".into()]).unwrap();
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let cases: &[Case] = &[
            (
                "no proxy: headers ignored",
                "203.0.113.9",
                &[("x-forwarded-for", "1.1.1.1")],
                "203.0.113.9",
            ),
            (
                "one proxy",
                "10.0.0.2",
                &[("x-forwarded-for", "198.51.100.4")],
                "198.51.100.4",
            ),
            (
                "a forged entry on the left",
                "10.0.0.2",
                &[("x-forwarded-for", "6.6.6.6, 198.51.100.4")],
                "198.51.100.4",
            ),
            (
                "two proxies",
                "10.0.0.2",
                &[("x-forwarded-for", "198.51.100.4, 192.0.2.7")],
                "198.51.100.4",
            ),
            (
                "split over header lines",
                "10.0.0.2",
                &[
                    ("x-forwarded-for", "6.6.6.6"),
                    ("x-forwarded-for", "198.51.100.4, 10.1.1.1"),
                ],
                "198.51.100.4",
            ),
            (
                "Forwarded wins",
                "10.0.0.2",
                &[
                    (
                        "forwarded",
                        "for=6.6.6.6, for=\"[2001:db8::5]:4711\";proto=https",
                    ),
                    ("x-forwarded-for", "7.7.7.7"),
                ],
                "2001:db8::5",
            ),
            (
                "unknown node stops the chain",
                "10.0.0.2",
                &[("forwarded", "for=6.6.6.6, for=unknown")],
                "10.0.0.2",
            ),
            (
                "all trusted: the left-most",
                "10.0.0.2",
                &[("x-forwarded-for", "10.9.9.9, 10.0.0.3")],
                "10.9.9.9",
            ),
            (
                "mapped IPv6 peer",
                "::ffff:10.0.0.2",
                &[("x-forwarded-for", "198.51.100.4")],
                "198.51.100.4",
            ),
        ];
        for (name, peer, pairs, expected) in cases {
            let peer = canonical(ip(peer));
            assert_eq!(
                proxies.client_of(peer, &headers(pairs)),
                ip(expected),
                "{name}"
            );
        }
        let none = TrustedProxies::default();
        assert_eq!(
            none.client_of(ip("10.0.0.2"), &headers(&[("x-forwarded-for", "1.1.1.1")])),
            ip("10.0.0.2"),
            "no trusted proxies: the peer"
        );
    }

    #[test]
    fn entries_that_are_not_networks_are_named() {
        assert_eq!(
            TrustedProxies::parse(&["10.0.0.0/8".into(), "proxy.internal".into()]).unwrap_err(),
            vec!["proxy.internal".to_owned()]
        );
    }
}
