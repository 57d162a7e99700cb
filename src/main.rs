use clap::Parser;
use std::process::ExitCode;
use wiselink::cli::{ApiKeyCommand, AuditCommand, Cli, Command, ConfigArg, KeysCommand, ServeArgs};
use wiselink::settings::{Settings, Sources};
use wiselink::{commands, telemetry};

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Generating a key needs no configuration: production's validation asks for a key this
    // command makes, so it must work before the configuration is complete.
    if let Some(Command::Keys(KeysCommand::Generate { id, hsm: false })) = &cli.command {
        return exit_code(commands::keys::generate(id));
    }
    if let Some(Command::Audit(AuditCommand::CheckExport { file, public_keys })) = &cli.command {
        return match commands::audit::check_export(file, public_keys) {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::FAILURE,
            Err(e) => exit_code(Err(e)),
        };
    }
    let command = cli.command.unwrap_or(Command::Serve(ServeArgs::default()));
    let mut sources = Sources::from_process();
    match &command {
        Command::Serve(ServeArgs { port, config }) => {
            sources.config_file.clone_from(&config.config);
            if let Some(port) = port {
                sources
                    .env_vars
                    .push(("WISELINK__SERVER__PORT".to_owned(), port.to_string()));
            }
        }
        Command::Migrate(ConfigArg { config }) => sources.config_file.clone_from(config),
        _ => {}
    }
    let settings = match Settings::load(&sources) {
        Ok(s) => s,
        Err(problems) => return refuse(&problems.to_string()),
    };
    if let Command::Demo(args) = command {
        return match wiselink::commands::demo::settings(&sources, &settings, &args) {
            Ok(demo) => {
                let _traces = match telemetry::init(&demo.log, &demo.traces) {
                    Ok(traces) => traces,
                    Err(e) => return refuse(&e),
                };
                exit_code(run_async(wiselink::commands::demo::run(demo, args)))
            }
            Err(refusal) => refuse(&refusal.to_string()),
        };
    }
    // Kept to the end of `main`: dropping it sends the spans still queued.
    let _traces = match telemetry::init(&settings.log, &settings.traces) {
        Ok(traces) => traces,
        Err(e) => return refuse(&e),
    };
    let result = match command {
        Command::Serve(_) => run_async(commands::serve(settings)),
        Command::Demo(_) => unreachable!("handled above"),
        Command::Migrate(_) => commands::migrate(&settings),
        Command::Sim {
            port,
            tls_cert,
            tls_key,
            client_ca,
            wise_rate_limits,
        } => {
            let tls = tls_cert
                .zip(tls_key)
                .map(|(cert, key)| wiselink_simulator::tls::TlsFiles {
                    cert,
                    key,
                    client_ca,
                });
            run_async(commands::sim(settings, port, tls, wise_rate_limits))
        }
        Command::Audit(AuditCommand::Verify { against }) => {
            match commands::audit::verify(&settings, &against) {
                Ok(true) => Ok(()),
                Ok(false) => return ExitCode::FAILURE,
                Err(e) => Err(e),
            }
        }
        Command::Audit(AuditCommand::AcceptUnsealed) => commands::audit::accept_unsealed(&settings),
        Command::Audit(AuditCommand::Export {
            since,
            format,
            output,
        }) => commands::audit::export(&settings, &since, format, output.as_deref()),
        Command::Audit(AuditCommand::CheckExport { .. }) => unreachable!("handled above"),
        Command::Audit(AuditCommand::Keys) => commands::audit::keys(&settings),
        Command::Import(args) => match run_async(commands::import::run(settings, args)) {
            Err(e) if e.is::<commands::import::Unreadable>() => return refuse(&format!("{e:#}")),
            other => other,
        },
        Command::Keys(KeysCommand::Rotate {
            batch_size,
            pause_ms,
        }) => commands::keys::rotate(
            &settings,
            &wiselink::services::keys::Options {
                batch: batch_size,
                pause: std::time::Duration::from_millis(pause_ms),
            },
        ),
        Command::Keys(KeysCommand::Generate { id, hsm: false }) => commands::keys::generate(&id),
        Command::Keys(KeysCommand::Generate { id, hsm: true }) => {
            commands::keys::generate_in_hsm(&settings, &id)
        }
        Command::Keys(KeysCommand::Rewrap) => commands::keys::rewrap(&settings),
        Command::ApiKey(ApiKeyCommand::Create { name, test }) => {
            run_async(commands::api_key_create(&settings, &name, test))
        }
        Command::ApiKey(ApiKeyCommand::List) => commands::api_key_list(&settings),
        Command::ApiKey(ApiKeyCommand::Revoke { id }) => commands::api_key_revoke(&settings, &id),
        Command::Staff(command) => run_async(commands::staff(&settings, command)),
        Command::Wise(command) => run_async(commands::wise::run(&settings, command)),
    };
    exit_code(result)
}

fn exit_code(result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run_async(fut: impl std::future::Future<Output = anyhow::Result<()>>) -> anyhow::Result<()> {
    actix_web::rt::System::new().block_on(fut)
}

/// Start-up refused for a reason the operator must fix: the reason on stderr, exit status 2.
fn refuse(reason: &str) -> ExitCode {
    eprintln!("{reason}");
    ExitCode::from(2)
}
