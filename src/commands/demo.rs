//! `wiselink demo`: the whole product on one machine with nothing to set up — wiselink on a fresh
//! SQLite file, the Wise simulator in the same process, the dev mailbox, a demo API key, staff
//! logins and sample customers. It is refused anywhere it could touch real data or be reached
//! from another machine.

use crate::cli::DemoArgs;
use crate::clock::Clock;
use crate::crypto::KeyRing;
use crate::demo::{self, DemoInfo};
use crate::services::api_keys;
use crate::services::staff::StaffService;
use crate::settings::{DatabaseUrl, Settings, Sources};
use crate::startup::{Application, open_database};
use actix_web::web;
use anyhow::Context;
use secrecy::{ExposeSecret, SecretString};
use std::net::{IpAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use wiselink_simulator::{self as simulator, Simulator};

/// The SQLite file the demo replaces on each start.
fn database_file(dir: &Path) -> PathBuf {
    dir.join("wiselink.sqlite3")
}

/// The demo's settings: `settings` (what `serve` would run with) checked for what the demo must
/// not touch, then loaded again with the demo's own database, mail, key and simulator. Each
/// refusal is one line.
pub fn settings(
    sources: &Sources,
    settings: &Settings,
    args: &DemoArgs,
) -> Result<Settings, String> {
    if sources.environment.is_production() {
        return Err(
            "wiselink demo does not run with WISELINK_ENV=production: use `wiselink serve`".into(),
        );
    }
    if let DatabaseUrl::Postgres(_) = settings.database.url {
        return Err(format!(
            "wiselink demo runs on its own SQLite file, not on database.url {}: unset it, or use `wiselink serve`",
            settings.database.url.redacted()
        ));
    }
    if !is_loopback_host(&settings.server.host) {
        return Err(format!(
            "wiselink demo listens only on this machine, not on server.host {}: use 127.0.0.1",
            settings.server.host
        ));
    }
    for (key, value) in [
        ("wise.api_url", &settings.wise.api_url),
        ("wise.authorize_url", &settings.wise.authorize_url),
    ] {
        let host = url::Url::parse(value)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned));
        if !host.as_deref().is_some_and(is_loopback_host) {
            return Err(format!(
                "wiselink demo talks only to its own Wise simulator, not to {key} {value}: unset it, or use `wiselink serve`"
            ));
        }
    }
    let dir = std::path::absolute(&args.dir)
        .map_err(|e| format!("demo folder {}: {e}", args.dir.display()))?;
    let api = format!("http://127.0.0.1:{}", args.port);
    let sim = format!("http://127.0.0.1:{}", args.sim_port);
    let mut sources = sources.clone();
    let quiet = !sources
        .env_vars
        .iter()
        .any(|(k, _)| k == "WISELINK__LOG__FILTER");
    let overrides = [
        (
            "DATABASE__URL",
            format!("sqlite://{}", database_file(&dir).display()),
        ),
        ("DATABASE__MIGRATE_ON_START", "true".to_owned()),
        ("SERVER__PORT", args.port.to_string()),
        ("SERVER__PUBLIC_URL", api.clone()),
        ("SIMULATOR__HOST", "127.0.0.1".to_owned()),
        ("SIMULATOR__PORT", args.sim_port.to_string()),
        ("WISE__API_URL", sim.clone()),
        ("WISE__AUTHORIZE_URL", format!("{sim}/oauth/authorize/")),
        ("WISE__REDIRECT_URI", format!("{api}/oauth/callback")),
        ("MAIL__TRANSPORT", "dev".to_owned()),
        ("CRYPTO__KEYS", KeyRing::generate_entry("demo")),
    ];
    sources.env_vars.extend(
        overrides
            .into_iter()
            .map(|(k, v)| (format!("WISELINK__{k}"), v)),
    );
    if quiet {
        sources
            .env_vars
            .push(("WISELINK__LOG__FILTER".to_owned(), "warn".to_owned()));
    }
    Settings::load(&sources).map_err(|problems| problems.to_string())
}

/// `localhost`, or an IP address of this machine's loopback interface.
fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Runs the demo until Ctrl-C.
pub async fn run(mut settings: Settings, args: DemoArgs) -> anyhow::Result<()> {
    let file = fresh_database(&args.dir)?;
    let sim_url = settings.wise.api_url.clone();
    let listener = TcpListener::bind(("127.0.0.1", args.sim_port)).with_context(|| {
        format!(
            "cannot listen on 127.0.0.1:{} for the simulator (--sim-port)",
            args.sim_port
        )
    })?;
    let mut sim = Simulator::from_settings(&settings.wise);
    sim.public_url.clone_from(&sim_url);
    let sim_server = simulator::serve(listener, web::Data::new(sim), 1)?;
    let sim_handle = sim_server.handle();
    actix_web::rt::spawn(sim_server);

    let db = open_database(&settings).await?;
    // A test key: the demo talks to the simulator, so its triggers work with it too.
    let key = api_keys::create(
        &mut *db.get()?,
        "demo",
        api_keys::KeyMode::Test,
        Clock::system().now(),
    )?;
    let keys = settings.crypto.key_ring()?;
    let staff = StaffService::new(
        db,
        Arc::new(keys),
        Arc::new(super::audit_keys(&settings)?),
        Clock::system(),
        settings.staff.clone(),
    );
    let mut logins = Vec::new();
    for (username, role) in [("reviewer", "reviewer"), ("admin", "admin")] {
        let password = SecretString::from(demo::sample_password());
        staff
            .add(username, role, &password, "demo")
            .await
            .with_context(|| format!("cannot add the demo staff member {username}"))?;
        logins.push((username, password));
    }
    let public_url = settings.server.public_url.clone();
    sample_brand(&mut settings, &args.dir)?;
    let info = Arc::new(DemoInfo {
        api_key: key.token.clone(),
        sim_url: sim_url.clone(),
    });
    let wise = crate::wise::WiseClient::new(settings.wise.clone())?;
    let wise_url = super::wise::default_url(&settings);
    let app = Application::build_with(settings, Clock::system(), Some(info)).await?;
    let seeding = actix_web::rt::spawn(async move {
        // Wise's account events reach the demo as they would production: subscribed, signed.
        super::wise::subscribe(&wise, &wise_url).await?;
        demo::seed_everyone(&public_url, &sim_url, &key.token).await?;
        print_walkthrough(&public_url, &sim_url, &file, &key.token, &logins);
        anyhow::Ok(())
    });
    let served = app.run_until_stopped().await;
    sim_handle.stop(true).await;
    match seeding.await {
        Ok(Err(e)) => return Err(e.context("the sample customers could not be set up")),
        Err(e) if !e.is_cancelled() => anyhow::bail!("setting up the sample customers failed: {e}"),
        _ => {}
    }
    served.context("HTTP server failed")?;
    println!("wiselink demo stopped");
    Ok(())
}

/// The demo's partner: a made-up bank with a logo, so every customer page and email shows what
/// `[branding]` does.
fn sample_brand(settings: &mut Settings, dir: &Path) -> anyhow::Result<()> {
    let logo = dir.join("demo-bank-logo.svg");
    std::fs::write(&logo, DEMO_LOGO).with_context(|| format!("cannot write {}", logo.display()))?;
    let branding = &mut settings.branding;
    branding.partner_name = "Demo Bank".to_owned();
    branding.logo_file = logo.display().to_string();
    branding.accent_colour = "#1b4d89".to_owned();
    branding.support_contact = "help@demo-bank.example".to_owned();
    branding.privacy_url = format!("{}/#privacy", settings.server.public_url);
    Ok(())
}

const DEMO_LOGO: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 168 32" width="168" height="32" role="img" aria-label="Demo Bank"><rect width="32" height="32" rx="8" fill="#1b4d89"/><path d="M9 8h7a8 8 0 0 1 0 16H9z" fill="none" stroke="#fff" stroke-width="3"/><text x="42" y="23" font-family="system-ui, sans-serif" font-size="19" font-weight="700" fill="#0e0f0c">Demo Bank</text></svg>
"##;

/// Creates `dir` and removes the demo's SQLite file (and its journal) from an earlier start.
fn fresh_database(dir: &Path) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let file = database_file(dir);
    for suffix in ["", "-wal", "-shm"] {
        let path = PathBuf::from(format!("{}{suffix}", file.display()));
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("cannot remove {}", path.display())),
        }
    }
    Ok(file)
}

fn print_walkthrough(
    api: &str,
    sim: &str,
    file: &Path,
    key: &SecretString,
    logins: &[(&str, SecretString)],
) {
    let staff: Vec<String> = logins
        .iter()
        .map(|(user, password)| format!("{user} / {}", password.expose_secret()))
        .collect();
    println!(
        "\nwiselink demo: everything runs on this machine, and no real Wise account is touched.\n\n\
         \x20 Start here         {api}/\n\
         \x20 Mailbox            {api}/dev/mailbox   (wiselink's emails and the simulated Wise's)\n\
         \x20 Staff screen       {api}/staff   staff login: {}\n\
         \x20 API reference      {api}/docs/\n\
         \x20 Demo API key       {}   (a test key: it also pulls the triggers of\n\
         \x20                    docs/testing-your-integration.md)\n\
         \x20 Simulated Wise     {sim}\n\
         \x20 Data               {} (replaced on each start)\n\n\
         Walkthrough: on the start page, start a link for Ana with the email code. In the mailbox,\n\
         open Wise's email, log in to the simulated Wise (any password) and copy the code it shows;\n\
         open wiselink's email and enter the code on its page: Ana is linked. Do the same for Ben,\n\
         whose date of birth at Wise differs: his link waits for review; sign in to the staff\n\
         screen as reviewer and approve it. Cleo has no Wise account: Wise creates one, and the\n\
         start page then offers the claim-account step. Dana's Wise account is a business one.\n\n\
         Ctrl-C stops the demo.",
        staff.join(", "),
        key.expose_secret(),
        file.display(),
    );
}

#[cfg(test)]
mod tests {
    use super::is_loopback_host;

    #[test]
    fn only_this_machine_is_loopback() {
        for host in ["127.0.0.1", "127.8.0.1", "localhost", "::1", "[::1]"] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in ["0.0.0.0", "10.0.0.1", "::", "api.wise.com", "example.com"] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }
}
