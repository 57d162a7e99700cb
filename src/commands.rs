//! What each CLI command does, once settings are loaded and telemetry is running.

pub mod audit;
pub mod demo;
pub mod import;
pub mod keys;
pub mod wise;

use crate::cli::{StaffCommand, TotpCommand};
use crate::clock::Clock;
use crate::db::{Db, migrations};
use crate::services::api_keys;
use crate::services::staff::StaffService;
use crate::settings::Settings;
use crate::startup::Application;
use actix_web::web;
use anyhow::Context;
use secrecy::{ExposeSecret, SecretString};
use std::io::Write;
use wiselink_simulator::{self as simulator, Simulator};

pub async fn serve(settings: Settings) -> anyhow::Result<()> {
    let app = Application::build(settings).await?;
    tracing::info!(port = app.port(), "wiselink listening");
    app.run_until_stopped()
        .await
        .context("HTTP server failed")?;
    tracing::info!("wiselink stopped");
    Ok(())
}

pub async fn sim(
    settings: Settings,
    port: Option<u16>,
    tls: Option<simulator::tls::TlsFiles>,
    wise_rate_limits: bool,
) -> anyhow::Result<()> {
    let host = settings.simulator.host.clone();
    let port = port.unwrap_or(settings.simulator.port);
    let listener = std::net::TcpListener::bind((host.as_str(), port))
        .with_context(|| format!("cannot listen on {host}:{port}"))?;
    let bound = listener.local_addr()?.port();
    let mut sim = Simulator::from_settings(&settings.wise);
    let scheme = if tls.is_some() { "https" } else { "http" };
    sim.public_url = format!("{scheme}://{host}:{bound}");
    if wise_rate_limits {
        sim.enforce(simulator::RateLimits::WISE);
    }
    let mutual = tls.as_ref().is_some_and(|t| t.client_ca.is_some());
    tracing::info!(port = bound, scheme, mutual_tls = mutual, wise_rate_limits, client_id = %sim.client.id, "Wise simulator listening");
    let workers = std::thread::available_parallelism().map_or(1, usize::from);
    let sim = web::Data::new(sim);
    let server = match &tls {
        Some(files) => simulator::serve_tls(listener, sim, workers, files)?,
        None => simulator::serve(listener, sim, workers)?,
    };
    server.await.context("simulator failed")?;
    Ok(())
}

pub fn migrate(settings: &Settings) -> anyhow::Result<()> {
    let db = Db::connect(&settings.database)?;
    let mut conn = db.get().context("cannot get a database connection")?;
    let applied = migrations::run_pending(&mut conn)?;
    let mut out = std::io::stdout().lock();
    if applied.is_empty() {
        writeln!(out, "database is up to date")?;
    }
    for name in applied {
        writeln!(out, "applied {name}")?;
    }
    Ok(())
}

/// Opens the database and brings it up to date, so key commands work on a fresh machine.
pub(crate) fn migrated(settings: &Settings) -> anyhow::Result<Db> {
    let db = Db::connect(&settings.database)?;
    migrations::run_pending(&mut *db.get().context("cannot get a database connection")?)?;
    Ok(db)
}

/// `wiselink api-key create`. A test key is made only while `wise.api_url` is the simulator.
pub async fn api_key_create(settings: &Settings, name: &str, test: bool) -> anyhow::Result<()> {
    let mode = if test {
        let wise = crate::wise::WiseClient::new(settings.wise.clone())?;
        let test_mode = crate::services::test_mode::TestMode::new(&wise);
        if !test_mode.is_simulator().await? {
            anyhow::bail!(
                "test keys work only against the simulator, and wise.api_url ({}) is not the simulator",
                settings.wise.api_url
            );
        }
        api_keys::KeyMode::Test
    } else {
        api_keys::KeyMode::Live
    };
    let db = migrated(settings)?;
    let key = api_keys::create(&mut *db.get()?, name, mode, Clock::system().now())?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "Created {} API key {} ({}). Store it now: it is not shown again.",
        mode.as_str(),
        key.id,
        name.trim()
    )?;
    writeln!(out, "{}", key.token.expose_secret())?;
    Ok(())
}

pub fn api_key_list(settings: &Settings) -> anyhow::Result<()> {
    let db = migrated(settings)?;
    let keys = api_keys::list(&mut *db.get()?)?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{:<14} {:<5} {:<8} {:<20} NAME",
        "ID", "MODE", "STATUS", "CREATED"
    )?;
    for k in keys {
        let status = if k.revoked_at.is_some() {
            "revoked"
        } else {
            "active"
        };
        writeln!(
            out,
            "{:<14} {:<5} {:<8} {:<20} {}",
            k.id,
            k.mode.as_str(),
            status,
            k.created_at.format("%Y-%m-%d %H:%M:%S"),
            k.name
        )?;
    }
    Ok(())
}

pub fn api_key_revoke(settings: &Settings, id: &str) -> anyhow::Result<()> {
    let db = migrated(settings)?;
    if api_keys::revoke(&mut *db.get()?, id, Clock::system().now())? {
        writeln!(std::io::stdout(), "revoked API key {id}")?;
        Ok(())
    } else {
        anyhow::bail!("no active API key with id {id:?}")
    }
}

/// The audit signing keys of `settings`.
pub fn audit_keys(settings: &Settings) -> anyhow::Result<crate::audit::SigningKeys> {
    crate::audit::SigningKeys::parse(&settings.audit.signing_keys)
        .map_err(|p| anyhow::anyhow!(p.join("; ")))
}

/// `wiselink staff …`.
pub async fn staff(settings: &Settings, command: StaffCommand) -> anyhow::Result<()> {
    let db = migrated(settings)?;
    let keys = settings.crypto.key_ring()?;
    let staff = StaffService::new(
        db,
        std::sync::Arc::new(keys),
        std::sync::Arc::new(audit_keys(settings)?),
        crate::clock::Clock::system(),
        settings.staff.clone(),
    );
    let mut out = std::io::stdout().lock();
    match command {
        StaffCommand::Add {
            username,
            role,
            password_stdin,
        } => {
            let password = password_from_stdin(password_stdin)?;
            staff.add(&username, &role, &password, CLI_ACTOR).await?;
            writeln!(
                out,
                "added staff member {} ({})",
                username.trim().to_ascii_lowercase(),
                role.trim()
            )?;
        }
        StaffCommand::List => {
            writeln!(
                out,
                "{:<24} {:<9} {:<9} {:<5} CREATED",
                "USERNAME", "ROLE", "STATUS", "TOTP"
            )?;
            for s in staff.list().await? {
                writeln!(
                    out,
                    "{:<24} {:<9} {:<9} {:<5} {}",
                    s.username,
                    s.role,
                    if s.disabled { "disabled" } else { "active" },
                    if s.totp { "yes" } else { "no" },
                    s.created_at.format("%Y-%m-%d %H:%M:%S")
                )?;
            }
        }
        StaffCommand::Disable { username } => {
            staff.disable(&username, CLI_ACTOR).await?;
            writeln!(out, "disabled {username}; their sessions have ended")?;
        }
        StaffCommand::Enable { username } => {
            staff.enable(&username, CLI_ACTOR).await?;
            writeln!(out, "enabled {username}")?;
        }
        StaffCommand::ResetPassword {
            username,
            password_stdin,
        } => {
            let password = password_from_stdin(password_stdin)?;
            staff
                .reset_password(&username, &password, CLI_ACTOR)
                .await?;
            writeln!(
                out,
                "new password set for {username}; their sessions have ended"
            )?;
        }
        StaffCommand::SetRole { username, role } => {
            staff.set_role(&username, &role, CLI_ACTOR).await?;
            writeln!(
                out,
                "{username} is now {}; their sessions have ended",
                role.trim()
            )?;
        }
        StaffCommand::Totp(TotpCommand::Enroll { username }) => {
            let enrolment = staff.enroll_totp(&username, CLI_ACTOR).await?;
            writeln!(
                out,
                "Scan this with an authenticator app, or enter the URI below. It holds the secret: keep it private."
            )?;
            writeln!(out, "{}", enrolment.qr)?;
            writeln!(out, "{}", enrolment.uri.expose_secret())?;
        }
    }
    Ok(())
}

/// Who changes staff accounts from the command line, as the sign-in record names it.
const CLI_ACTOR: &str = "cli";

/// One line of standard input, without its line break. Passwords never come from the command
/// line, where other users of the machine and the shell history could read them.
fn password_from_stdin(asked: bool) -> anyhow::Result<SecretString> {
    if !asked {
        anyhow::bail!("pass the password on standard input with --password-stdin");
    }
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    let password = line.trim_end_matches(['\n', '\r']).to_owned();
    if password.is_empty() {
        anyhow::bail!("no password on standard input");
    }
    Ok(SecretString::from(password))
}
