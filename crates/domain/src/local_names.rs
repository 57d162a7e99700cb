//! Whether a `Host` header names this machine: a loopback name or address, or a configured host.
//! Pure; used by the routes that exist only on a developer's machine and by the simulator's
//! control API, so that a page on a DNS-rebound name cannot read them.

use std::net::IpAddr;

/// Whether `host` (a `Host` header: a name or address, perhaps with a port) is a loopback name,
/// a loopback address, or `public_host`.
pub fn names_this_machine(host: &str, public_host: Option<&str>) -> bool {
    let name = hostname(host).to_ascii_lowercase();
    if name == "localhost" || name.ends_with(".localhost") {
        return true;
    }
    if let Ok(ip) = name
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
    {
        return ip.is_loopback();
    }
    public_host.is_some_and(|p| p.trim_start_matches('[').trim_end_matches(']') == name)
}

/// `host` without its port (`[::1]:8080` → `::1`, `localhost:80` → `localhost`).
fn hostname(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    }
}

#[cfg(test)]
mod tests {
    use super::names_this_machine;

    #[test]
    fn loopback_names_and_the_public_host_are_this_machine_nothing_else_is() {
        let public = Some("wiselink.test");
        for host in [
            "localhost",
            "localhost:8080",
            "app.localhost:3000",
            "127.0.0.1",
            "127.0.0.1:8080",
            "127.1.2.3:80",
            "[::1]:8080",
            "[::1]",
            "LOCALHOST",
            "wiselink.test",
            "wiselink.test:8443",
        ] {
            assert!(names_this_machine(host, public), "{host}");
        }
        for host in [
            "rebind.example",
            "rebind.example:8080",
            "127.0.0.1.nip.io:8080",
            "localhost.evil.example",
            "10.0.0.1:8080",
            "[2001:db8::1]:80",
            "",
            "wiselink.test.evil.example",
        ] {
            assert!(!names_this_machine(host, public), "{host}");
        }
        assert!(!names_this_machine("wiselink.test", None));
    }
}
