use clap::Parser;
use std::process::ExitCode;
use wiselink::cli::{ApiKeyCommand, Cli, Command, KeysCommand};
use wiselink::settings::{Settings, Sources};
use wiselink::{commands, telemetry};

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Generating a key needs no configuration: production's validation asks for a key this
    // command makes, so it must work before the configuration is complete.
    if let Some(Command::Keys(KeysCommand::Generate { id })) = &cli.command {
        return exit_code(commands::keys_generate(id));
    }
    let settings = match Settings::load(&Sources::from_process()) {
        Ok(s) => s,
        Err(problems) => {
            eprintln!("{problems}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(&settings.log);
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => run_async(commands::serve(settings)),
        Command::Migrate => commands::migrate(&settings),
        Command::Sim {
            port,
            tls_cert,
            tls_key,
            client_ca,
        } => {
            let tls = tls_cert
                .zip(tls_key)
                .map(|(cert, key)| wiselink::simulator::tls::TlsFiles {
                    cert,
                    key,
                    client_ca,
                });
            run_async(commands::sim(settings, port, tls))
        }
        Command::Keys(KeysCommand::Rotate) => commands::keys_rotate(&settings),
        Command::Keys(KeysCommand::Generate { id }) => commands::keys_generate(&id),
        Command::ApiKey(ApiKeyCommand::Create { name }) => {
            commands::api_key_create(&settings, &name)
        }
        Command::ApiKey(ApiKeyCommand::List) => commands::api_key_list(&settings),
        Command::ApiKey(ApiKeyCommand::Revoke { id }) => commands::api_key_revoke(&settings, &id),
        Command::Staff(command) => run_async(commands::staff(&settings, command)),
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
