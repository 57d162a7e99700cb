//! The command line: `wiselink [serve|migrate|api-key …]`.

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "wiselink",
    version,
    about = "Links a partner's customers to their Wise accounts.",
    long_about = "Links a partner's customers to their Wise accounts.\n\n\
        Configuration: config/default.toml (built in) → config/$WISELINK_ENV.toml → \
        WISELINK__SECTION__KEY environment variables. With no command, runs `serve`."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP service (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Run the Wise simulator alone (the endpoints wiselink uses, plus the /__sim control API).
    Sim {
        /// Port to listen on; defaults to simulator.port.
        #[arg(long)]
        port: Option<u16>,
    },
    /// Manage the API keys the partner's backend authenticates with.
    #[command(subcommand)]
    ApiKey(ApiKeyCommand),
}

#[derive(Debug, Subcommand)]
pub enum ApiKeyCommand {
    /// Create a key. The key is printed once, as the last line of standard output.
    Create {
        /// A label for the key, e.g. the system that will use it.
        #[arg(long)]
        name: String,
    },
    /// List keys (ids, names, status). Never shows the keys themselves.
    List,
    /// Revoke a key by id; requests using it are refused from then on.
    Revoke {
        /// The key id shown by `create` and `list`.
        id: String,
    },
}
