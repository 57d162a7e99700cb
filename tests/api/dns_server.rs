//! A real DNS server on loopback (Debian's `dnsmasq`) whose answers a test changes while it runs:
//! it serves only the names the test gives it, from a hosts directory it re-reads on every change.

use hickory_resolver::TokioResolver;
use hickory_resolver::config::{NameServerConfigGroup, ResolverConfig, ResolverOpts};
use hickory_resolver::name_server::TokioConnectionProvider;
use std::net::{IpAddr, SocketAddr, TcpListener, UdpSocket};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct DnsServer {
    /// Where it listens, as `webhooks.dns_server` takes it.
    pub addr: SocketAddr,
    dir: tempfile::TempDir,
    child: Child,
    client: TokioResolver,
}

impl DnsServer {
    /// Starts dnsmasq on a port free for both UDP and TCP (it listens on both). Another test can
    /// take the port between the check and dnsmasq's bind; dnsmasq then exits at once, and is
    /// started again on another port.
    pub fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("hosts")).unwrap();
        for _ in 0..10 {
            let port = free_udp_and_tcp_port();
            let mut child = dnsmasq(&dir, port);
            std::thread::sleep(Duration::from_millis(200));
            if child.try_wait().unwrap().is_none() {
                return Self::serving(dir, port, child);
            }
        }
        panic!("dnsmasq did not stay up on any of ten ports");
    }

    fn serving(dir: tempfile::TempDir, port: u16, child: Child) -> Self {
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let servers = NameServerConfigGroup::from_ips_clear(&[addr.ip()], port, true);
        let mut options = ResolverOpts::default();
        options.cache_size = 0;
        options.timeout = Duration::from_millis(300);
        let client = TokioResolver::builder_with_config(
            ResolverConfig::from_parts(None, Vec::new(), servers),
            TokioConnectionProvider::default(),
        )
        .with_options(options)
        .build();
        Self {
            addr,
            dir,
            child,
            client,
        }
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join("hosts").join(name)
    }

    /// From now on `name` resolves to `ip` only; returns once the server answers so.
    pub async fn answer(&self, name: &str, ip: &str) {
        std::fs::write(self.file(name), format!("{ip} {name}\n")).unwrap();
        let want: IpAddr = ip.parse().unwrap();
        for _ in 0..100 {
            if let Ok(found) = self.client.lookup_ip(format!("{name}.")).await
                && found.iter().collect::<Vec<_>>() == [want]
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("dnsmasq at {} never answered {name} with {ip}", self.addr);
    }
}

/// A port nothing listens on, over UDP or TCP, right now.
fn free_udp_and_tcp_port() -> u16 {
    loop {
        let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = udp.local_addr().unwrap().port();
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// dnsmasq serving only the names in `dir`'s hosts directory, on loopback at `port`.
fn dnsmasq(dir: &tempfile::TempDir, port: u16) -> Child {
    let mut command = Command::new("dnsmasq");
    command
        .arg("--keep-in-foreground")
        .arg("--no-resolv")
        .arg("--no-hosts")
        .arg(format!("--hostsdir={}", dir.path().join("hosts").display()))
        .arg("--listen-address=127.0.0.1")
        .arg("--bind-interfaces")
        .arg(format!("--port={port}"))
        .arg("--pid-file=")
        .arg("--cache-size=0")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    // As root dnsmasq would drop to `nobody`, who cannot read the test's directory.
    if is_root() {
        command.arg("--user=root");
    }
    command.spawn().unwrap_or_else(|e| {
        panic!("cannot start dnsmasq ({e}): install Debian's dnsmasq-base (scripts/test.sh does)")
    })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

impl Drop for DnsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
