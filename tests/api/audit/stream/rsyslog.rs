//! The stream into a real collector: rsyslog (Debian's `rsyslog` with `rsyslog-gnutls`), started
//! on loopback with TLS that requires a client certificate from the bank's CA. What rsyslog parsed
//! (facility, severity, hostname, APP-NAME, MSGID) is what wiselink meant, and the messages it
//! kept check offline. An instance without a client certificate gets nothing in.

use super::{app_with, assert_contiguous, bank_ca, head, kept_by_collector, stream_to};
use crate::audit::export::{check, public_keys};
use crate::audit::traffic;
use crate::helpers::{free_port, issue};
use crate::syslog_receiver::record_seq;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const RSYSLOGD: &str = "/usr/sbin/rsyslogd";

/// rsyslogd on `port`, writing each message as `FACILITY SEVERITY HOST APP MSGID MSG` to
/// `out.log`; killed when dropped.
struct Rsyslog {
    child: Child,
    out: PathBuf,
}

impl Rsyslog {
    fn start(dir: &Path, port: u16, ca: &Path, cert: &Path, key: &Path) -> Self {
        assert!(
            Path::new(RSYSLOGD).exists(),
            "rsyslogd is missing: apt-get install rsyslog rsyslog-gnutls (scripts/test.sh does)"
        );
        let out = dir.join("out.log");
        let conf = dir.join("rsyslog.conf");
        let d = |p: &Path| p.display().to_string();
        std::fs::write(
            &conf,
            format!(
                r#"global(workDirectory="{dir}" maxMessageSize="64k"
  defaultNetstreamDriver="gtls"
  defaultNetstreamDriverCAFile="{ca}"
  defaultNetstreamDriverCertFile="{cert}"
  defaultNetstreamDriverKeyFile="{key}")
module(load="imtcp" streamDriver.name="gtls" streamDriver.mode="1"
  streamDriver.authMode="x509/certvalid")
input(type="imtcp" address="127.0.0.1" port="{port}")
template(name="fields" type="list") {{
  property(name="syslogfacility") constant(value=" ")
  property(name="syslogseverity") constant(value=" ")
  property(name="hostname") constant(value=" ")
  property(name="app-name") constant(value=" ")
  property(name="msgid") constant(value=" ")
  property(name="msg") constant(value="\n")
}}
action(type="omfile" file="{out}" template="fields")
"#,
                dir = d(dir),
                ca = d(ca),
                cert = d(cert),
                key = d(key),
                out = d(&out),
            ),
        )
        .unwrap();
        let child = Command::new(RSYSLOGD)
            .args(["-n", "-f"])
            .arg(&conf)
            .arg("-i")
            .arg(dir.join("rsyslogd.pid"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("rsyslogd starts");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "rsyslogd did not listen"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Self { child, out }
    }

    /// The lines rsyslog wrote, split into their six fields.
    fn kept(&self) -> Vec<[String; 6]> {
        let text = std::fs::read_to_string(&self.out).unwrap_or_default();
        text.lines()
            .filter_map(|line| {
                let parts: Vec<&str> = line.splitn(6, ' ').collect();
                let fields: [&str; 6] = parts.try_into().ok()?;
                Some(fields.map(str::to_owned))
            })
            .collect()
    }
}

impl Drop for Rsyslog {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn a_real_rsyslog_over_mutual_tls_keeps_a_stream_that_checks_offline() {
    let dir = tempfile::tempdir().unwrap();
    let (bank, bank_ca) = bank_ca(dir.path());
    let (server_cert, server_key) = issue(&bank, dir.path(), "collector", false);
    let (client_cert, client_key) = issue(&bank, dir.path(), "wiselink", true);
    let port = free_port();
    let rsyslog = Rsyslog::start(dir.path(), port, &bank_ca, &server_cert, &server_key);
    let address = format!("127.0.0.1:{port}");
    let path = |p: &Path| p.to_str().unwrap().to_owned();

    let mut vars = stream_to(&address, "500", true);
    vars.extend([
        ("WISELINK__AUDIT__STREAM__CA_FILE", path(&bank_ca)),
        (
            "WISELINK__AUDIT__STREAM__CLIENT_CERT_FILE",
            path(&client_cert),
        ),
        (
            "WISELINK__AUDIT__STREAM__CLIENT_KEY_FILE",
            path(&client_key),
        ),
        ("WISELINK__AUDIT__STREAM__FACILITY", "16".into()),
        ("WISELINK__AUDIT__STREAM__HOSTNAME", "wl-bank".into()),
    ]);
    let app = app_with(&vars).await;
    // An instance with no client certificate, on its own database, is refused by rsyslog.
    let mut anonymous = stream_to(&address, "500", true);
    anonymous.extend([
        ("WISELINK__AUDIT__STREAM__CA_FILE", path(&bank_ca)),
        ("WISELINK__AUDIT__STREAM__HOSTNAME", "wl-anonymous".into()),
    ]);
    let other = app_with(&anonymous).await;
    traffic(&app).await;
    traffic(&other).await;
    let wanted = head(&app).await;

    let started = Instant::now();
    let kept = loop {
        let kept = rsyslog.kept();
        let highest = kept
            .iter()
            .filter(|f| f[4] == "audit-entry")
            .map(|f| record_seq(f[5].trim_start_matches('\u{feff}')))
            .max()
            .unwrap_or(0);
        if highest >= wanted {
            break kept;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "rsyslog kept entries up to {highest} of {wanted}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    for [facility, severity, host, app_name, msgid, _] in &kept {
        assert_eq!(facility, "16", "local0");
        assert_eq!(severity, "6", "informational");
        assert_eq!(
            host, "wl-bank",
            "nothing from the instance without a certificate"
        );
        assert_eq!(app_name, "wiselink");
        assert!(["audit-entry", "audit-checkpoint"].contains(&msgid.as_str()));
    }
    let msgs: Vec<&str> = kept
        .iter()
        .map(|f| f[5].trim_start_matches('\u{feff}'))
        .collect();
    let seqs: Vec<i64> = kept
        .iter()
        .zip(&msgs)
        .filter(|(f, _)| f[4] == "audit-entry")
        .map(|(_, m)| record_seq(m))
        .collect();
    assert_contiguous(&seqs, 1);
    let file = kept_by_collector(dir.path(), msgs.into_iter());
    let (ok, out, err) = check(&file, &public_keys(&app));
    assert!(ok, "{out}{err}");
    assert!(out.contains("the audit trail holds"), "{out}");
}
